// Development aid: screenshots of the built app against the mock API (no server needed).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMock, journey, me } from './mock-api.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] || join(root, 'test-results');
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'ko-KR', deviceScaleFactor: 1 });
const page = await ctx.newPage();
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await installMock(ctx);
await page.goto('http://cx.test/app/');
await page.waitForTimeout(500);
await page.screenshot({ path: join(out, 'mock-home.png') });
await page.goto(`http://cx.test/app/j/${journey.id}`);
await page.waitForSelector('[data-testid=touchpoint]');
await page.click('[data-testid=touchpoint] >> nth=3');
await page.waitForTimeout(300);
await page.screenshot({ path: join(out, 'mock-editor.png') });
await page.click('[data-testid=panel-personas]');
await page.click('[data-testid=tab-audit]');
await page.waitForTimeout(200);
await page.screenshot({ path: join(out, 'mock-audit.png') });
// English, read-only (viewer)
const ctx2 = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
await installMock(ctx2, me, 'viewer');
const p2 = await ctx2.newPage();
await p2.goto(`http://cx.test/app/j/${journey.id}`);
await p2.waitForSelector('[data-testid=touchpoint]');
await p2.click('[data-testid=panel-comments]');
await p2.waitForTimeout(300);
await p2.screenshot({ path: join(out, 'mock-viewer-en.png') });
await browser.close();
