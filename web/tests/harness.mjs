// Test harness: starts a real `cxmap demo` server and a headless Chromium (never downloaded).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS = join(WEB, 'test-results');
mkdirSync(RESULTS, { recursive: true });

export const BIN = resolve(WEB, process.env.CXMAP_BIN || '../target/debug/cxmap');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const haveBinaries = existsSync(BIN) && existsSync(CHROMIUM);
// When the test command names the binary (CXMAP_BIN), a missing one is a failure, not a skip.
export const skipReason = haveBinaries || process.env.CXMAP_BIN ? false : `needs the cxmap binary (${BIN}) and ${CHROMIUM}`;

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `cxmap demo` on a free port with a fresh SQLite file. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'cxmap-web-test-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['demo', '--addr', `127.0.0.1:${port}`, '--db', `sqlite://${join(dir, 'demo.db')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The binary serves the dist it embedded (the test command checks that it matches the
    // source); CXMAP_WEB_DIR=web/dist serves a fresh build instead while working on the app.
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  let out = '';
  let token = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/API token:\s*(\S+)/);
    if (m) token = m[1];
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cxmap demo exited early:\n${out}`);
    if (token) {
      try {
        const r = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cxmap demo did not start:\n${out}`);
    }
    await sleep(150);
  }
  const api = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  // The app under test is the one the binary serves: it must be this checkout's build.
  const index = readFileSync(join(WEB, 'dist', 'index.html'), 'utf8');
  const served = await fetch(`${base}/app/`).then((r) => r.text()).catch(() => '');
  if (served !== index) {
    child.kill('SIGKILL');
    throw new Error(`${BIN} does not serve this checkout's web/dist at /app/: rebuild it (cargo build -p cxmap-cli) or set CXMAP_WEB_DIR`);
  }
  return {
    base,
    token,
    api,
    log: () => out,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Page errors and Content-Security-Policy violations seen by any page (tests assert none). */
export const pageProblems = [];

export async function newContext(browser, base, opts = {}) {
  const ctx = await browser.newContext({
    baseURL: base,
    viewport: { width: 1500, height: 950 },
    locale: opts.locale || 'en-US',
    ...opts,
  });
  ctx.on('page', (page) => {
    page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Uncaught/i.test(m.text())) pageProblems.push(`console: ${m.text()}`);
    });
  });
  return ctx;
}

/** The demo owner's workspace, first project, and a fresh journey made from a template. */
export async function fixtureJourney(server, template = 'retail_online_shopping') {
  const me = await server.api('GET', '/api/v1/me');
  const ws = me.workspaces[0];
  const projects = await server.api('GET', `/api/v1/workspaces/${ws.id}/projects`);
  const project = projects[0];
  const journey = await server.api('POST', `/api/v1/projects/${project.id}/journeys`, { template, lang: 'ko' });
  return { me, ws, project, journey };
}

/** Signs up a new user in `context` (cookies land there) and makes them a member with `role`. */
export async function signUpMember(server, context, ws, name, role = 'editor') {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}-${Date.now()}@example.test`;
  const r = await context.request.post('/api/v1/auth/signup', { data: { email, name, password: 'correct horse battery' } });
  if (r.status() !== 201 && r.status() !== 200) throw new Error(`signup: ${r.status()} ${await r.text()}`);
  await server.api('POST', `/api/v1/workspaces/${ws.id}/members`, { email, role });
  return { email, password: 'correct horse battery' };
}

/** Opens the editor and waits until the live session said hello. */
export async function openEditor(page, journeyId) {
  await page.goto(`/app/j/${journeyId}`);
  try {
    await page.waitForSelector('[data-testid=editor][data-status=online]', { timeout: 30_000 });
  } catch (e) {
    const state = await page.evaluate(() => ({
      url: location.href,
      text: document.body.innerText.slice(0, 200),
      status: window.__cxmap?.status,
      role: window.__cxmap?.role,
      error: window.__cxmap?.lastError,
    })).catch((x) => String(x));
    throw new Error(`${e.message}\npage: ${JSON.stringify(state)}\nproblems: ${JSON.stringify(pageProblems)}`);
  }
  await page.waitForSelector('[data-testid=journey-grid]');
}

/** The map as the page shows it (its live view), without the fields that only the server sets. */
export async function pageMap(page) {
  return page.evaluate(() => {
    const s = window.__cxmap;
    return { view: s.view, pending: s.pending.length, status: s.status, version: s.version };
  });
}

export function comparable(j) {
  const { version, updated_at, ...rest } = j;
  return rest;
}

export async function until(fn, { timeout = 15_000, interval = 150, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${message}: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`);
    await sleep(interval);
  }
}

export { sleep };
