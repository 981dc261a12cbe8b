// End-to-end tests in a real browser against a real `cxmap demo` server (see harness.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RESULTS, WEB, comparable, fixtureJourney, launchBrowser, newContext, openEditor, pageMap, signUpMember,
  skipReason, sleep, startServer, until,
} from './harness.mjs';

describe('web app against cxmap demo', { skip: skipReason, timeout: 240_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Waits until every page shows the same map, with nothing pending, equal to the store's. */
  async function converged(pages, journeyId) {
    return until(async () => {
      const stored = comparable(await server.api('GET', `/api/v1/journeys/${journeyId}`));
      for (const page of pages) {
        const m = await pageMap(page);
        if (m.pending || m.status !== 'online') return false;
        assert.deepEqual(comparable(m.view), stored);
      }
      return stored;
    }, { timeout: 20_000, message: 'both pages to converge on the stored map' });
  }

  test('Korean renders: demo sign-in, Korean labels, screenshots', async () => {
    const ctx = await newContext(browser, server.base, { locale: 'ko-KR', viewport: { width: 1920, height: 1080 } });
    try {
      const page = await ctx.newPage();
      await page.goto('/app/');
      // Not signed in: the demo signs the browser in as the demo owner.
      await page.waitForSelector('[data-testid=journey-card]');
      assert.match(await page.textContent('body'), /프로젝트/);
      await page.screenshot({ path: join(RESULTS, 'home-ko.png') });
      const cards = await page.locator('[data-testid=journey-card]').allTextContents();
      // The demo's own Korean journey (this test runs first, before the others add journeys).
      const idx = Math.max(0, cards.findIndex((c) => /쇼핑/.test(c)));
      await page.locator('[data-testid=journey-card]').nth(idx).click();
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      const body = await page.textContent('body');
      for (const label of ['고객 행동', '터치포인트', '감정', '페인 포인트', '개선 기회', '내보내기', '공유']) {
        assert.ok(body.includes(label), `missing ${label}`);
      }
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
      // Select the moment-of-truth touchpoint so the details panel shows something useful.
      const mot = page.locator('[data-testid=touchpoint]:has([data-testid=flag-mot][aria-pressed=true])').first();
      if (await mot.count()) await mot.locator('.tp-channel').click();
      await page.mouse.move(0, 0);
      await sleep(300);
      await page.screenshot({ path: join(RESULTS, 'editor-ko.png') });
      copyFileSync(join(RESULTS, 'editor-ko.png'), join(WEB, '..', 'docs', 'editor.png'));

      await page.click('[data-testid=tab-audit]');
      await page.waitForSelector('[data-testid=audit-row]');
      await page.screenshot({ path: join(RESULTS, 'audit-ko.png') });
      await page.click('[data-testid=open-help]');
      await page.waitForSelector('[data-testid=help-dialog]');
      assert.match(await page.textContent('[data-testid=help-dialog]'), /실행 취소/);
      await page.keyboard.press('Escape');

      // The switch changes every label and is remembered.
      await page.click('[data-testid=lang-switch]');
      await page.click('[role=tab]:has-text("Map")');
      assert.match(await page.textContent('body'), /Customer actions/);
      await page.reload();
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      assert.match(await page.textContent('body'), /Customer actions/);
      await page.screenshot({ path: join(RESULTS, 'editor-en.png') });
    } finally {
      await ctx.close();
    }
  });

  test('two editors edit the same stage and touchpoints at once and converge', async () => {
    const { ws, journey } = await fixtureJourney(server);
    const ctxA = await newContext(browser, server.base);
    const ctxB = await newContext(browser, server.base);
    try {
      // A signs up through the sign-up page; B through the API and then the sign-in page.
      const pageA = await ctxA.newPage();
      const emailA = `alice-${Date.now()}@example.test`;
      await pageA.goto('/app/signup');
      await pageA.fill('input[name=name]', 'Alice');
      await pageA.fill('input[name=email]', emailA);
      await pageA.fill('input[name=password]', 'correct horse battery');
      await pageA.click('[data-testid=signup-submit]');
      await pageA.waitForURL(/\/app\/?$/);
      await server.api('POST', `/api/v1/workspaces/${ws.id}/members`, { email: emailA, role: 'editor' });

      const credsB = await signUpMember(server, ctxB, ws, 'Bob');
      await ctxB.clearCookies();
      const pageB = await ctxB.newPage();
      await pageB.goto(`/app/login?next=${encodeURIComponent(`/app/j/${journey.id}`)}`);
      await pageB.fill('input[name=email]', credsB.email);
      await pageB.fill('input[name=password]', credsB.password);
      await pageB.click('[data-testid=login-submit]');
      await pageB.waitForURL(new RegExp(`/app/j/${journey.id}$`));

      await openEditor(pageA, journey.id);
      await openEditor(pageB, journey.id);

      // Presence: each sees the other in the header.
      await pageA.waitForSelector('[data-testid=peer][title=Bob]');
      await pageB.waitForSelector('[data-testid=peer][title=Alice]');

      // The stage with the most touchpoints, and its first touchpoint.
      const stage = journey.stages.reduce((a, b) => (b.touchpoints.length > a.touchpoints.length ? b : a));
      const tp = stage.touchpoints[0];
      const before = tp.emotion;
      const target = before <= 0 ? 2 : -2;

      // B selects the touchpoint: A sees B's colour on it.
      await pageB.click(`[data-testid=touchpoint][data-id="${tp.id}"] .tp-channel`);
      await until(() => pageA.getAttribute(`[data-testid=touchpoint][data-id="${tp.id}"]`, 'data-peer'), { message: 'peer outline' });

      const renameTp = async () => {
        await pageA.click(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name]`);
        await pageA.fill(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name-input]`, '동시 편집 A');
        await pageA.keyboard.press('Enter');
      };
      const renameStage = async (page, name) => {
        await page.click(`[data-testid=stage][data-id="${stage.id}"] [data-testid=stage-name]`);
        await page.fill(`[data-testid=stage][data-id="${stage.id}"] [data-testid=stage-name-input]`, name);
        await page.keyboard.press('Enter');
      };
      const dragEmotion = async () => {
        const point = pageB.locator(`[data-testid=emotion-point][data-id="${tp.id}"] .emo-dot`);
        await point.scrollIntoViewIfNeeded();
        const box = await point.boundingBox();
        const svg = await pageB.locator('[data-testid=emotion-curve]').boundingBox();
        const x = box.x + box.width / 2;
        await pageB.mouse.move(x, box.y + box.height / 2);
        await pageB.mouse.down();
        await pageB.mouse.move(x, target > 0 ? svg.y + 4 : svg.y + svg.height - 4, { steps: 6 });
        await pageB.mouse.up();
      };
      const addTp = async () => {
        await pageB.click(`[data-testid=stage][data-id="${stage.id}"] [data-testid=add-touchpoint]`);
      };

      await Promise.all([
        (async () => {
          await renameTp();
          await renameStage(pageA, '결제 (A)');
        })(),
        (async () => {
          await dragEmotion();
          await addTp();
          await renameStage(pageB, '결제 (B)');
        })(),
      ]);

      const stored = await converged([pageA, pageB], journey.id);
      const s = stored.stages.find((x) => x.id === stage.id);
      const t = s.touchpoints.find((x) => x.id === tp.id);
      assert.equal(t.name, '동시 편집 A');
      assert.equal(t.emotion, target);
      assert.equal(s.touchpoints.length, stage.touchpoints.length + 1);
      assert.ok(['결제 (A)', '결제 (B)'].includes(s.name), s.name);
      // What the pages render agrees with the model.
      assert.equal(await pageA.textContent(`[data-testid=stage][data-id="${stage.id}"] [data-testid=stage-name]`), s.name);
      assert.equal(await pageB.textContent(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name]`), '동시 편집 A');

      // Undo on A reverts A's touchpoint rename for everyone; redo brings it back.
      await pageA.click('[data-testid=journey-grid] .lane-label.corner');
      await pageA.keyboard.press('Control+z');
      await pageA.keyboard.press('Control+z');
      const undone = await converged([pageA, pageB], journey.id);
      assert.equal(undone.stages.find((x) => x.id === stage.id).touchpoints.find((x) => x.id === tp.id).name, tp.name);
      await pageA.keyboard.press('Control+Shift+z');
      const redone = await converged([pageA, pageB], journey.id);
      assert.ok(redone.stages.find((x) => x.id === stage.id).touchpoints.some((x) => x.name === '동시 편집 A'));

      await pageA.screenshot({ path: join(RESULTS, 'coedit-a.png') });
      await pageB.screenshot({ path: join(RESULTS, 'coedit-b.png') });
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  });

  test('a viewer share link gives a read-only editor and the server refuses forged ops', async () => {
    const { journey } = await fixtureJourney(server);
    const share = await server.api('POST', `/api/v1/journeys/${journey.id}/shares`, { role: 'viewer' });
    assert.ok(share.token);
    const ctx = await newContext(browser, server.base);
    try {
      const page = await ctx.newPage();
      await page.goto(`/app/share/${share.token}`);
      await page.waitForURL(new RegExp(`/app/j/${journey.id}$`));
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      assert.equal(await page.getAttribute('[data-testid=editor]', 'data-readonly'), 'true');
      await page.waitForSelector('[data-testid=readonly-badge]');
      assert.equal(await page.locator('[data-testid=add-stage]').count(), 0);
      assert.equal(await page.locator('[data-testid=add-touchpoint]').count(), 0);
      assert.equal(await page.locator('[data-testid=undo]').count(), 0);
      // Clicking a name does not open an editor.
      await page.click('[data-testid=tp-name] >> nth=0');
      assert.equal(await page.locator('[data-testid=tp-name-input]').count(), 0);
      await page.screenshot({ path: join(RESULTS, 'viewer.png') });

      // A forged ops frame from the viewer's page (its cookies, its origin) is rejected.
      const answer = await page.evaluate(async (id) => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/journeys/${id}/live`);
        const frames = [];
        return await new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ timeout: true, frames }), 10_000);
          ws.onmessage = (ev) => {
            const msg = JSON.parse(ev.data);
            frames.push(msg);
            if (msg.type === 'hello') {
              ws.send(JSON.stringify({
                type: 'ops', client_id: crypto.randomUUID(), client_seq: 1, base: msg.version,
                ops: [{ op: 'update_journey', patch: { title: 'hacked by a viewer' } }],
              }));
            } else if (msg.type === 'rejected' || msg.type === 'applied') {
              clearTimeout(timer);
              ws.close();
              resolve({ msg, frames });
            }
          };
        });
      }, journey.id);
      assert.equal(answer.msg?.type, 'rejected', JSON.stringify(answer).slice(0, 500));
      assert.equal(answer.msg.code, 'forbidden');
      const stored = await server.api('GET', `/api/v1/journeys/${journey.id}`);
      assert.equal(stored.title, journey.title);
      assert.equal(stored.version, journey.version);
      // The viewer's own session (through the app) is also refused and keeps showing the stored map.
      await page.evaluate(() => window.__cxmap.role = 'editor');
      await page.evaluate(() => window.__cxmap.commit([{ op: 'update_journey', patch: { title: 'nope' } }]));
      await until(async () => (await pageMap(page)).pending === 0, { message: 'rejection of the forged batch' });
      assert.equal((await pageMap(page)).view.title, journey.title);
      assert.equal((await server.api('GET', `/api/v1/journeys/${journey.id}`)).title, journey.title);
    } finally {
      await ctx.close();
    }
  });

  test('edits made offline are replayed when the connection is back', async () => {
    const { ws, journey } = await fixtureJourney(server);
    const ctxA = await newContext(browser, server.base);
    const ctxB = await newContext(browser, server.base);
    try {
      await signUpMember(server, ctxA, ws, 'Offline Olga');
      await signUpMember(server, ctxB, ws, 'Online Omar');
      const pageA = await ctxA.newPage();
      const pageB = await ctxB.newPage();
      await openEditor(pageA, journey.id);
      await openEditor(pageB, journey.id);
      const tp = journey.stages[0].touchpoints[0];

      await ctxA.setOffline(true);
      await pageA.evaluate(() => window.__cxmap.dropSocket());
      await pageA.waitForSelector('[data-testid=offline-badge]');
      await pageA.click(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name]`);
      await pageA.fill(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name-input]`, '오프라인 수정');
      await pageA.keyboard.press('Enter');
      await pageA.click(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=flag-mot]`);
      assert.equal((await pageMap(pageA)).pending, 2);
      await pageA.screenshot({ path: join(RESULTS, 'offline.png') });
      await sleep(1500);
      assert.equal(await pageB.textContent(`[data-testid=touchpoint][data-id="${tp.id}"] [data-testid=tp-name]`), tp.name);

      await ctxA.setOffline(false);
      await pageB.waitForFunction(
        ([id]) => document.querySelector(`[data-testid=touchpoint][data-id="${id}"] [data-testid=tp-name]`)?.textContent === '오프라인 수정',
        [tp.id],
        { timeout: 20_000 },
      );
      await pageA.waitForSelector('[data-testid=saved]');
      assert.equal(await pageA.locator('[data-testid=offline-badge]').count(), 0);
      const stored = await converged([pageA, pageB], journey.id);
      const t = stored.stages[0].touchpoints.find((x) => x.id === tp.id);
      assert.equal(t.name, '오프라인 수정');
      assert.equal(t.moment_of_truth, !tp.moment_of_truth);
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  });


});
