// The survey widget in a real browser (Debian chromium via playwright-core): a page on one
// origin embeds the one-line script from cxmap on another, a visitor answers with the
// keyboard-reachable buttons and the follow-up, and the answer lands in the results.
//
//   cargo build -p cxmap-cli && (cd tests-e2e && npm ci && npm test)
// CXMAP_BIN overrides the binary (default ../target/debug/cxmap); CHROMIUM the browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.CXMAP_BIN ?? join(here, "..", "target", "debug", "cxmap");

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), "cxmap-e2e-"));
  const port = await freePort();
  const child = spawn(bin, ["demo", "--db", `sqlite://${join(dir, "demo.db")}`, "--addr", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const token = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/API token: (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`cxmap demo exited with ${code}`)));
    setTimeout(() => reject(new Error("cxmap demo did not start in 60 s")), 60_000);
  });
  return { base: `http://127.0.0.1:${port}`, token, child, dir };
}

test("the widget answers a survey from another site, with no third-party requests", async () => {
  const app = await startDemo();
  const api = async (path, init = {}) => {
    const r = await fetch(app.base + path, { ...init, headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json", ...(init.headers ?? {}) } });
    return r.json();
  };
  let browser;
  let host;
  try {
    const me = await api("/api/v1/me");
    const projects = await api(`/api/v1/workspaces/${me.workspaces[0].id}/projects`);
    const projectId = projects[0].id;
    const journeys = await api(`/api/v1/projects/${projectId}/journeys`);
    const surveys = await api(`/api/v1/journeys/${journeys[0].id}/surveys`);
    const nps = surveys.find((s) => s.kind === "nps");
    assert.ok(nps, "the demo has an NPS survey");
    const before = await api(`/api/v1/surveys/${nps.id}/results`);

    // The customer's site: another origin, one script tag.
    const hostPort = await freePort();
    host = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="ko"><body><h1>주문 완료</h1>${nps.widget_snippet.replace(" async", "")}</body></html>`);
    });
    await new Promise((r) => host.listen(hostPort, "127.0.0.1", r));
    const hostUrl = `http://127.0.0.1:${hostPort}/`;

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage();
    const origins = new Set();
    page.on("request", (r) => origins.add(new URL(r.url()).origin));
    await page.goto(hostUrl);
    const widget = page.locator(".cxmap-survey");
    await widget.waitFor();
    assert.match(await widget.textContent(), /추천할 가능성/);
    assert.equal(await widget.locator("button[data-score]").count(), 11);

    // Keyboard: focus the 9 and press Enter.
    await widget.locator('button[data-score="9"]').focus();
    await page.keyboard.press("Enter");
    await page.getByText("응답해 주셔서 감사합니다.").waitFor();
    const box = widget.locator("textarea");
    await box.waitFor();
    assert.match(await widget.locator("label").textContent(), /좋았던 점/);
    await box.fill("위젯으로 남긴 의견: 배송 알림이 정확했어요");
    await widget.locator('button[type="submit"]').click();
    await page.getByText("의견이 전달되었습니다.").waitFor();

    const after = await api(`/api/v1/surveys/${nps.id}/results`);
    assert.equal(after.n, before.n + 1);
    const widgetGroup = (r) => r.by_channel.find((g) => g.key === "widget")?.n ?? 0;
    assert.equal(widgetGroup(after), widgetGroup(before) + 1);
    assert.ok(after.comments.some((c) => c.text.includes("위젯으로 남긴 의견") && c.score === 9));
    // Only the host page and cxmap itself were contacted.
    assert.deepEqual([...origins].sort(), [app.base, `http://127.0.0.1:${hostPort}`].sort());
  } finally {
    await browser?.close();
    host?.close();
    app.child.kill("SIGTERM");
    rmSync(app.dir, { recursive: true, force: true });
  }
});
