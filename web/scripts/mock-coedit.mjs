// Development aid: two browser contexts co-editing through the mock hub (no server needed).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { installMock, journey, me, mockState } from './mock-api.mjs';

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const mk = async (name) => {
  const ctx = await browser.newContext({ viewport: { width: 1500, height: 950 }, baseURL: 'http://cx.test' });
  await installMock(ctx, { ...me, id: name, name });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(name, 'pageerror:', e.message));
  page.on('console', (m) => m.type() === 'error' || m.type() === 'warning' ? console.log(name, m.text()) : null);
  await page.goto(`/app/j/${journey.id}`);
  await page.waitForSelector('[data-testid=editor][data-status=online]');
  return { ctx, page };
};
const A = await mk('Alice');
const B = await mk('Bob');
const stage = journey.stages[0];
const tp = stage.touchpoints[0];
await B.page.click(`[data-testid=touchpoint][data-id="${tp.id}"] .tp-channel`);
await A.page.waitForSelector(`[data-testid=touchpoint][data-id="${tp.id}"][data-peer]`);
await A.page.waitForSelector('[data-testid=peer][title=Bob]');
const renameStage = async (page, name) => {
  await page.click(`[data-testid=stage][data-id="${stage.id}"] [data-testid=stage-name]`);
  await page.fill(`[data-testid=stage][data-id="${stage.id}"] [data-testid=stage-name-input]`, name);
  await page.keyboard.press('Enter');
};
await Promise.all([
  (async () => {
    await A.page.click(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name]`);
    await A.page.fill(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name-input]`, '동시 편집 A');
    await A.page.keyboard.press('Enter');
    await renameStage(A.page, 'Stage A');
  })(),
  (async () => {
    await B.page.evaluate(() => { window.__pe = []; for (const t of ['pointerdown','pointermove','pointerup','gotpointercapture','lostpointercapture']) document.addEventListener(t, (e) => window.__pe.push(`${t} ${e.clientY|0} ${e.target.tagName}.${e.target.getAttribute('class')}`), true); });
    const point = B.page.locator(`[data-testid=emotion-point][data-id="${tp.id}"] .emo-dot`);
    await point.scrollIntoViewIfNeeded();
    const box = await point.boundingBox();
    const svg = await B.page.locator('[data-testid=emotion-curve]').boundingBox();
    await B.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await B.page.mouse.down();
    await B.page.mouse.move(box.x + box.width / 2, svg.y + svg.height - 4, { steps: 6 });
    await B.page.mouse.up();

    console.log(JSON.stringify(await B.page.evaluate(() => [window.__cxmap.pending, window.__cxmap.undoStack])).slice(0, 1500));
    console.log('B local emotion after drag', await B.page.evaluate((id) => window.__cxmap.view.stages[0].touchpoints.find((t) => t.id === id).emotion, tp.id), 'box', box, 'svg', svg);
    await B.page.click(`[data-testid=stage][data-id="${stage.id}"] [data-testid=add-touchpoint]`);
    await renameStage(B.page, 'Stage B');
  })(),
]);
// drag and drop: move the 2nd touchpoint of stage 0 onto stage 2
const second = journey.stages[0].touchpoints[1];
await A.page.dragAndDrop(`[data-testid=touchpoint][data-id="${second.id}"]`, `[data-testid=stage][data-id="${journey.stages[2].id}"]`);
await new Promise((r) => setTimeout(r, 1000));
const views = await Promise.all([A.page, B.page].map((p) => p.evaluate(() => ({ v: window.__cxmap.view, pending: window.__cxmap.pending.length }))));
const strip = ({ version, updated_at, ...r }) => r;
assert.equal(views[0].pending, 0);
assert.deepEqual(strip(views[0].v), strip(mockState().journey));
assert.deepEqual(strip(views[1].v), strip(mockState().journey));
const s0 = mockState().journey.stages[0];
console.log('stage name', s0.name, 'tps', s0.touchpoints.map((t) => `${t.name}:${t.emotion}`), 'stage2', mockState().journey.stages[2].touchpoints.map((t) => t.name));
// offline
await A.ctx.setOffline(true);
await A.page.evaluate(() => window.__cxmap.dropSocket());
await A.page.waitForSelector('[data-testid=offline-badge]');
await A.page.click(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=flag-mot]`);
await A.page.screenshot({ path: 'test-results/mock-offline.png' });
await A.ctx.setOffline(false);
await A.page.waitForSelector('[data-testid=saved]', { timeout: 15000 });
await B.page.waitForFunction((id) => window.__cxmap.view.stages.flatMap((s) => s.touchpoints).find((t) => t.id === id).moment_of_truth === true, tp.id);
// undo
await A.page.click('.lane-label.corner');
await A.page.keyboard.press('Control+z');
await B.page.waitForFunction((id) => window.__cxmap.view.stages.flatMap((s) => s.touchpoints).find((t) => t.id === id).moment_of_truth === false, tp.id);
await A.page.screenshot({ path: 'test-results/mock-coedit-a.png' });
console.log('mock co-edit OK');
await browser.close();
