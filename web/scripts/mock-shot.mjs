// Development aid: renders the built app against a mocked API (no server) and takes screenshots.
// Usage: node scripts/mock-shot.mjs [outdir]
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] || join(root, 'test-results');
mkdirSync(out, { recursive: true });
let n = 0;
const id = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const tp = (name, channel, category, owner, emotion, extra = {}) => ({
  id: id(), name, channel, category, owner, description: '', customer_actions: [], thoughts: [], emotion,
  needs: [], expectations: [], pain_points: [], gain_points: [], backstage: [], moment_of_truth: false,
  core_experience: false, kpis: [], ...extra,
});
const stages = [
  ['광고 노출', '고객이 브랜드를 처음 알게 되는 단계', [
    tp('SNS 광고', 'Instagram', 'digital', '마케팅팀', 1, { customer_actions: ['인스타그램 피드에서 광고를 본다'], thoughts: ['이거 괜찮아 보이는데?'], gain_points: ['관심사에 맞는 추천'], kpis: [{ name: '클릭률', unit: '%', target: 2.5, benchmark: 1.8 }] }),
    tp('지인 추천 링크', 'KakaoTalk', 'digital', '마케팅팀', 1, { customer_actions: ['친구가 보낸 카카오톡 링크를 연다'], gain_points: ['지인 추천이라 믿음이 간다'] }),
  ]],
  ['검색', '상품과 판매처를 찾는 단계', [tp('사이트 검색', '웹/앱', 'digital', '검색팀', 0, { customer_actions: ['검색창에 상품명을 입력한다'], thoughts: ['어디가 제일 싸지?'], pain_points: ['검색 결과에 광고가 너무 많다'] })]],
  ['결제', '주문하고 돈을 내는 단계', [tp('모바일 결제', '앱', 'digital', '결제팀', -2, { moment_of_truth: true, core_experience: true, customer_actions: ['장바구니에서 결제 버튼을 누른다'], thoughts: ['왜 또 로그인하라고 하지?'], pain_points: ['결제 중 재로그인 요구', '간편결제 오류'], kpis: [{ name: '결제 완료율', unit: '%', target: 85, benchmark: 78 }] })]],
  ['배송', '주문한 상품을 기다리고 받는 단계', [
    tp('배송 알림톡', '알림톡', 'digital', '물류팀', -1, { pain_points: ['배송 지연 알림이 늦다'], gain_points: ['실시간 위치 확인'] }),
    tp('상품 포장', '택배', 'physical', '물류팀', 1, { customer_actions: ['상자를 연다'], gain_points: ['꼼꼼한 포장'] }),
  ]],
  ['문의/불만', '문제가 생겨 도움을 청하는 단계', [tp('고객센터 전화', '콜센터', 'human', 'CS팀', -1, { moment_of_truth: true, customer_actions: ['고객센터에 전화한다'], pain_points: ['대기 시간이 길다'] })]],
];
const journey = {
  id: id(), project_id: id(), title: '온라인 쇼핑 고객 여정', kind: 'b2c',
  goal: '원하는 상품을 믿을 수 있는 곳에서 빠르고 편하게 산다', scope: '', value_proposition: '최저가 비교와 내일 도착 배송',
  personas: [{ id: id(), name: '김지은 (32, 직장인)', description: '퇴근길 지하철에서 모바일로 쇼핑하는 바쁜 직장인', goals: ['퇴근 후 10분 안에 필요한 물건 주문'], frustrations: ['결제 단계마다 다시 로그인'], quote: '리뷰가 솔직하면 바로 사요.', avatar: '👩‍💼' }],
  stages: stages.map(([name, description, touchpoints]) => ({ id: id(), name, description, touchpoints })),
  opportunities: [], version: 7, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-02T00:00:00Z',
};
journey.opportunities.push({ id: id(), title: '원클릭 간편결제', description: '', touchpoint_id: journey.stages[2].touchpoints[0].id, impact: 5, effort: 3, status: 'in_progress' });
const me = { id: id(), email: 'owner@demo.cxmap', name: '데모 소유자', workspaces: [{ id: id(), name: '데모 워크스페이스', role: 'owner' }] };

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'ko-KR', deviceScaleFactor: 1 });
const page = await ctx.newPage();
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.route('http://cx.test/**', async (route) => {
  const url = new URL(route.request().url());
  const p = url.pathname;
  const json = (b) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(b) });
  if (p === '/api/v1/me') return json(me);
  if (p.startsWith('/api/v1/projects/') && p.endsWith('/journeys')) return json([{ id: journey.id, project_id: journey.project_id, title: journey.title, kind: 'b2c', version: 7, updated_at: journey.updated_at }]);
  if (p.startsWith('/api/v1/projects/')) return json({ id: journey.project_id, workspace_id: me.workspaces[0].id, name: '온라인 쇼핑' });
  if (p.endsWith('/projects')) return json([{ id: journey.project_id, name: '온라인 쇼핑', description: '' }]);
  if (p.endsWith('/members')) return json([{ user: { id: me.id, email: me.email, name: me.name }, role: 'owner' }]);
  if (p.endsWith('/comments')) return json([{ id: id(), journey_id: journey.id, target: { kind: 'touchpoint', id: journey.stages[2].touchpoints[0].id }, author_name: '박민수', body: '@데모 재로그인 요구 제거 검토 부탁드려요', resolved: false, created_at: '2025-01-02T03:00:00Z', mentions: [] }]);
  if (p.startsWith('/api/')) return route.fulfill({ status: 404, body: '{}' });
  let file = p.replace(/^\/app\/?/, '');
  if (!file || !extname(file)) file = 'index.html';
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  return route.fulfill({ status: 200, contentType: types[extname(file)], body: readFileSync(join(root, 'dist', file)) });
});
await page.routeWebSocket(/\/live$/, (ws) => {
  ws.send(JSON.stringify({ type: 'hello', session: 's1', you: { session: 's1', user_id: me.id, name: me.name, color: '#4f46e5', selection: null }, role: 'owner', version: 7, journey,
    peers: [{ session: 's1', user_id: me.id, name: me.name, color: '#4f46e5', selection: null }, { session: 's2', user_id: 'u2', name: '박민수', color: '#e11d48', selection: journey.stages[2].touchpoints[0].id }] }));
  let v = 7;
  ws.onMessage((m) => {
    const f = JSON.parse(m);
    if (f.type === 'ops') ws.send(JSON.stringify({ type: 'applied', client_id: f.client_id, client_seq: f.client_seq, version: ++v }));
  });
});
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
await browser.close();
