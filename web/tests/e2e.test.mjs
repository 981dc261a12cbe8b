// End-to-end tests in a real browser against a real `cxmap demo` server (see harness.mjs).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RESULTS, WEB, comparable, pageProblems, fixtureJourney, launchBrowser, newContext, openEditor, pageMap, signUpMember,
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

  afterEach(() => {
    // No script errors and no Content-Security-Policy violations (the server's policy is applied).
    assert.deepEqual(pageProblems.splice(0), []);
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
      // `UPDATE_DOCS=1 npm test` refreshes the README's picture; normal runs leave the tree clean.
      if (process.env.UPDATE_DOCS === '1') copyFileSync(join(RESULTS, 'editor-ko.png'), join(WEB, '..', 'docs', 'editor.png'));

      await page.click('[data-testid=tab-audit]');
      await page.waitForSelector('[data-testid=audit-row]');
      await page.screenshot({ path: join(RESULTS, 'audit-ko.png') });
      await page.click('[data-testid=tab-audit]');
      await page.keyboard.press('?');
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

  test('the analytics dialog shows the measured funnel, split by channel, and the process map', async () => {
    const ctx = await newContext(browser, server.base, { locale: 'ko-KR', viewport: { width: 1440, height: 900 } });
    try {
      const page = await ctx.newPage();
      await page.goto('/app/');
      await page.waitForSelector('[data-testid=journey-card]');
      await page.locator('[data-testid=journey-card]', { hasText: '쇼핑' }).first().click();
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      const journeyId = page.url().match(/[0-9a-f]{8}-[0-9a-f-]{27}/)[0];
      const analytics = `/api/v1/journeys/${journeyId}/analytics`;
      // The dialog starts with the designed touchpoints that events were mapped to.
      const journey = await server.api('GET', `/api/v1/journeys/${journeyId}`);
      const { activities } = await server.api('GET', `${analytics}/dfg`);
      const designed = journey.stages.flatMap((st) => st.touchpoints.map((tp) => tp.name));
      const measured = designed.filter((name) => activities[name] > 0);
      assert.ok(measured.length > 3 && measured.length < designed.length, `${measured} of ${designed}`);
      const funnel = (steps, extra = '') =>
        server.api('GET', `${analytics}/funnel?window=30d&steps=${encodeURIComponent(steps.join(','))}${extra}`);
      const report = await funnel(measured);
      const fmt = (n) => new Intl.NumberFormat('ko-KR').format(n);

      // Every measured touchpoint shows its customers and drop-off on the map.
      const volumes = await server.api('GET', `${analytics}/touchpoints`);
      const badges = page.locator('[data-testid=tp-evidence]');
      await until(async () => (await badges.count()) === volumes.touchpoints.length, { message: 'a badge per measured touchpoint' });
      const firstVolume = volumes.touchpoints[0];
      const dropPct = `${Math.round((100 * firstVolume.ended_here) / firstVolume.cases)}%`;
      assert.equal((await badges.first().textContent()).replace(/\s+/g, ' '), `고객 ${fmt(firstVolume.cases)}명이탈 ${dropPct}`);
      await page.screenshot({ path: join(RESULTS, 'editor-evidence-ko.png') });

      await page.click('[data-testid=open-analytics]');
      await page.waitForSelector('[data-testid=funnel-table]');
      const chips = page.locator('[data-testid=step-chip]');
      assert.deepEqual(await chips.allTextContents(), designed);
      const rows = page.locator('[data-testid=funnel-table] tbody tr');
      await until(async () => (await rows.count()) === measured.length, { message: 'a row per measured touchpoint' });
      assert.match(await page.textContent('[data-testid=funnel-table] thead'), new RegExp(`전체 · ${fmt(report.cases)}건`));
      const cells = async (i) => (await rows.nth(i).textContent()).replace(/\s+/g, ' ');
      assert.ok((await cells(0)).includes(`${report.steps[0].activity}${fmt(report.steps[0].cases)}`), await cells(0));

      // The referral link is an alternative to the ad, not a step after it: leaving it out
      // lets the cases go on to the search.
      const alternative = measured[1];
      await chips.filter({ hasText: alternative }).click();
      const without = await funnel(measured.filter((name) => name !== alternative), '&segment=채널');
      assert.ok(without.steps[1].cases > 0, JSON.stringify(without.steps[1]));
      await until(async () => (await rows.count()) === measured.length - 1, { message: 'the step to be left out' });

      // The picker offers the demo's 채널 attribute; choosing it adds a column per channel.
      await page.selectOption('[data-testid=funnel-segment]', '채널');
      await page.waitForSelector('[data-testid=segment-head]');
      const heads = await page.locator('[data-testid=segment-head]').allTextContents();
      assert.deepEqual(heads.map((h) => h.replace(/[0-9,]+건$/, '')), without.segments.map((s) => s.segment ?? '(값 없음)'));
      assert.ok((await cells(1)).includes(`${without.steps[1].activity}${fmt(without.steps[1].cases)}`), await cells(1));
      await page.mouse.move(0, 0);
      await page.screenshot({ path: join(RESULTS, 'analytics-funnel-ko.png') });

      // Diagnosis: the designed touchpoints against what customers did, and the slowest transitions.
      const conformance = await server.api('GET', `${analytics}/conformance`);
      const slowest = (await server.api('GET', `${analytics}/bottlenecks?top=10&min_count=10`)).by_median;
      assert.ok(slowest.length > 0);
      await page.click('[data-testid=tab-diagnosis]');
      await page.waitForSelector('[data-testid=bottleneck-table]');
      const steps = page.locator('[data-testid=conformance-table] tbody tr');
      assert.equal(await steps.count(), conformance.steps.length);
      const firstStep = (await steps.first().textContent()).replace(/\s+/g, ' ');
      assert.ok(firstStep.startsWith(`${conformance.steps[0].activity}${fmt(conformance.steps[0].in_order)}`), firstStep);
      const slow = page.locator('[data-testid=bottleneck-table] tbody tr');
      assert.equal(await slow.count(), slowest.length);
      assert.ok((await slow.first().textContent()).includes(`${slowest[0].from} → ${slowest[0].to}`));
      await page.screenshot({ path: join(RESULTS, 'analytics-diagnosis-ko.png') });

      await page.click('[data-testid=tab-process]');
      await until(() => page.$eval('[data-testid=process-map]', (img) => img.complete && img.naturalWidth > 0), {
        timeout: 10_000, message: 'the process map image to load',
      });
      await page.screenshot({ path: join(RESULTS, 'analytics-process-ko.png') });
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
      await page.fill('[data-testid=share-name]', 'Viewer Vic');
      await page.click('[data-testid=share-continue]');
      await page.waitForURL(new RegExp(`/app/j/${journey.id}$`));
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      assert.equal(await page.getAttribute('[data-testid=editor]', 'data-readonly'), 'true');
      await page.waitForSelector('[data-testid=readonly-badge]');
      assert.equal(await page.textContent('.user-name'), 'Viewer Vic');
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



  test('owner creates a journey from a template, moves stages and touchpoints by drag and drop and by keyboard', async () => {
    const ctx = await newContext(browser, server.base);
    try {
      const page = await ctx.newPage();
      await page.goto('/app/');
      await page.click('[data-testid=new-journey]');
      // Every template is offered, the lead's newer ones included.
      for (const tpl of ['blank', 'default_stages', 'retail_online_shopping', 'b2b_saas', 'purchase', 'inquiry_complaint', 'usage_support', 'review']) {
        assert.equal(await page.locator(`input[name=template][value=${tpl}]`).count(), 1, tpl);
      }
      await page.check('input[name=template][value=b2b_saas]');
      await page.fill('[data-testid=journey-title-input]', 'DnD test journey');
      await page.click('[data-testid=create-journey]');
      await page.waitForURL(/\/app\/j\//);
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      const id = page.url().split('/').pop();
      let j = await server.api('GET', `/api/v1/journeys/${id}`);
      assert.equal(j.title, 'DnD test journey');
      const [s0, s1] = j.stages;
      const movable = s0.touchpoints[0];

      // Drag a touchpoint onto the second stage's header: it goes to the end of that stage.
      await page.dragAndDrop(`[data-testid=touchpoint][data-id="${movable.id}"]`, `[data-testid=stage][data-id="${s1.id}"]`);
      // Drag the first stage onto the second one: they swap.
      await page.dragAndDrop(`[data-testid=stage][data-id="${s0.id}"] .stage-desc, [data-testid=stage][data-id="${s0.id}"] .stage-num`, `[data-testid=stage][data-id="${s1.id}"] .stage-num`);
      await until(async () => (await pageMap(page)).pending === 0, { message: 'saved' });
      j = await server.api('GET', `/api/v1/journeys/${id}`);
      assert.equal(j.stages[0].id, s1.id);
      assert.equal(j.stages[1].id, s0.id);
      assert.equal(j.stages[0].touchpoints.at(-1).id, movable.id);

      // Keyboard: focus the stage's "move right" button and press Enter; Alt+→ on a selected touchpoint.
      await page.focus(`[data-testid=stage][data-id="${s1.id}"] [data-testid=stage-right]`);
      await page.keyboard.press('Enter');
      await page.click(`[data-testid=touchpoint][data-id="${movable.id}"] .tp-channel`);
      await page.waitForSelector(`[data-testid=touchpoint][data-id="${movable.id}"].selected`);
      await page.keyboard.press('Alt+ArrowLeft');
      await page.keyboard.press('ArrowUp');
      await until(async () => (await pageMap(page)).pending === 0, { message: 'saved' });
      j = await server.api('GET', `/api/v1/journeys/${id}`);
      assert.equal(j.stages[1].id, s1.id);
      const moved = j.stages[1].touchpoints;
      assert.equal(moved.at(-2).id, movable.id);
      assert.equal(moved.at(-2).emotion, Math.min(2, movable.emotion + 1));
      assert.deepEqual(comparable((await pageMap(page)).view), comparable(j));

      // Personas: add one, name it, give it a goal.
      await page.click('[data-testid=panel-personas]');
      const before = j.personas.length;
      await page.click('[data-testid=add-persona]');
      const card = page.locator('[data-testid=persona]').nth(before);
      await card.locator('[data-testid=persona-name]').click();
      await card.locator('[data-testid=persona-name-input]').fill('IT 보안 담당자');
      await page.keyboard.press('Enter');
      await card.locator('.add-note').first().click();
      await card.locator('textarea.inline-input').fill('SSO 지원 확인');
      await card.locator('textarea.inline-input').press('Enter');
      await until(async () => (await pageMap(page)).pending === 0, { message: 'saved' });
      j = await server.api('GET', `/api/v1/journeys/${id}`);
      assert.equal(j.personas.length, before + 1);
      assert.equal(j.personas.at(-1).name, 'IT 보안 담당자');
      assert.deepEqual(j.personas.at(-1).goals, ['SSO 지원 확인']);

      // The audit table lists every touchpoint.
      await page.click('[data-testid=tab-audit]');
      const count = j.stages.reduce((n, s) => n + s.touchpoints.length, 0);
      assert.equal(await page.locator('[data-testid=audit-row]').count(), count);
      // Export links point at the existing routes.
      await page.click('[data-testid=export]');
      const hrefs = await page.locator('[data-testid=export-menu] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(hrefs.map((h) => h.split('?')[0].split('/').pop()), ['map.svg', 'map.png', 'map.pdf', 'export', 'audit.csv']);
      const svg = await ctx.request.get(hrefs[0]);
      assert.equal(svg.status(), 200);
    } finally {
      await ctx.close();
    }
  });

  test('share dialog, commenter link, comments with a mention, revoke', async () => {
    const { journey } = await fixtureJourney(server);
    const owner = await newContext(browser, server.base);
    const guest = await newContext(browser, server.base);
    try {
      const page = await owner.newPage();
      await openEditor(page, journey.id);
      await page.click('[data-testid=open-share]');
      await page.selectOption('[data-testid=share-role]', 'commenter');
      await page.click('[data-testid=share-create]');
      const url = await page.inputValue('[data-testid=share-url]');
      assert.match(url, /\/app\/share\//);
      const token = url.split('/app/share/')[1];
      await page.screenshot({ path: join(RESULTS, 'share-dialog.png') });
      await page.keyboard.press('Escape');

      const gp = await guest.newPage();
      await gp.goto(`/app/share/${token}`);
      await gp.click('[data-testid=share-continue]');
      await gp.waitForURL(new RegExp(`/app/j/${journey.id}$`));
      await gp.waitForSelector('[data-testid=editor][data-status=online]');
      assert.equal(await gp.getAttribute('[data-testid=editor]', 'data-role'), 'commenter');
      assert.equal(await gp.getAttribute('[data-testid=editor]', 'data-readonly'), 'true');
      // Comment on a touchpoint, mentioning the demo owner.
      const me = await server.api('GET', '/api/v1/me');
      const tp = journey.stages[0].touchpoints[0];
      await gp.click(`[data-testid=touchpoint][data-id="${tp.id}"] .tp-channel`);
      await gp.click('[data-testid=panel-comments]');
      await gp.fill('[data-testid=comment-input]', `@${me.email} 이 단계 확인 부탁드려요`);
      await gp.click('[data-testid=comment-post]');
      await gp.waitForSelector('[data-testid=comment]');
      await gp.screenshot({ path: join(RESULTS, 'comments.png') });
      const comments = await server.api('GET', `/api/v1/journeys/${journey.id}/comments`);
      assert.equal(comments.length, 1);
      assert.deepEqual(comments[0].target, { kind: 'touchpoint', id: tp.id });
      assert.deepEqual(comments[0].mentions, [me.id]);

      // The owner sees it (badge on the touchpoint after a refresh) and resolves it.
      await page.reload();
      await page.waitForSelector('[data-testid=editor][data-status=online]');
      await page.click(`[data-testid=touchpoint][data-id="${tp.id}"] .comment-badge`);
      await page.click('[data-testid=comment] button.link');
      await until(async () => (await server.api('GET', `/api/v1/journeys/${journey.id}/comments`))[0].resolved, { message: 'resolved' });

      // Revoke: the landing page now says the link is invalid.
      await page.click('[data-testid=open-share]');
      await page.click('.modal .btn.danger');
      await until(async () => (await server.api('GET', `/api/v1/journeys/${journey.id}/shares`)).every((x) => x.revoked !== false), { message: 'revoked' });
      const fresh = await newContext(browser, server.base);
      const fp = await fresh.newPage();
      await fp.goto(`/app/share/${token}`);
      await fp.click('[data-testid=share-continue]');
      await fp.waitForSelector('[data-testid=share-invalid]');
      await fresh.close();
    } finally {
      await owner.close();
      await guest.close();
    }
  });


  test('members dialog: the owner invites by e-mail, changes the role, removes', async () => {
    const ctx = await newContext(browser, server.base);
    try {
      const page = await ctx.newPage();
      await page.goto('/app/');
      await page.click('[data-testid=open-members]');
      const email = `invitee-${Date.now()}@example.test`;
      await page.fill('[data-testid=invite-email]', email);
      await page.click('[data-testid=invite-submit]');
      const row = page.locator('.modal tr', { hasText: email });
      await row.waitFor();
      const { ws } = await fixtureJourney(server);
      const find = async () => (await server.api('GET', `/api/v1/workspaces/${ws.id}/members`)).find((m) => m.user.email === email);
      assert.equal((await find()).role, 'editor');
      await row.locator('select').selectOption('viewer');
      await until(async () => (await find())?.role === 'viewer', { message: 'role change' });
      await row.locator('button.danger').click();
      await until(async () => !(await find()), { message: 'removal' });
      await page.waitForSelector(`.modal tr:has-text("${email}")`, { state: 'detached' });
    } finally {
      await ctx.close();
    }
  });


  test('the editor says so when the session ends, and signing out returns to the sign-in page', async () => {
    const { journey } = await fixtureJourney(server);
    const ctx = await newContext(browser, server.base);
    try {
      const page = await ctx.newPage();
      await page.goto('/app/');
      await page.waitForSelector('[data-testid=journey-card]');
      await openEditor(page, journey.id);
      // The session ends elsewhere (e.g. another tab signed out); the socket drops.
      const status = await page.evaluate(async () => {
        const csrf = document.cookie.split(/;\s*/).find((c) => c.startsWith('cxmap_csrf='))?.slice(11) ?? '';
        const r = await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': decodeURIComponent(csrf) } });
        window.__cxmap.dropSocket();
        return r.status;
      });
      assert.equal(status, 204);
      await page.waitForSelector('[data-testid=signed-out]', { timeout: 20_000 });
      await page.click('[data-testid=signed-out]');
      await page.waitForURL(/\/app\/login\?next=/);
      // Signing in again (the demo signs in by itself on the home page), then signing out.
      await page.goto('/app/');
      await page.waitForSelector('[data-testid=journey-card]');
      await page.click('[data-testid=sign-out]');
      await page.waitForURL(/\/app\/login$/);
      const me = await ctx.request.get('/api/v1/me');
      assert.equal(me.status(), 401);
    } finally {
      await ctx.close();
    }
  });

});
