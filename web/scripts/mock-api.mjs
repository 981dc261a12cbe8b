// Development aid: an in-process stand-in for the cxmap API and live channel, installed on a
// Playwright browser context with page.route / routeWebSocket. Not used by the tests in tests/,
// which run against the real server.
import { readFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformWithOxc } from 'vite';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/ops.ts');
const { code } = await transformWithOxc(readFileSync(src, 'utf8'), src, { lang: 'ts' });
const tmp = join(mkdtempSync(join(tmpdir(), 'cxmap-mock-')), 'ops.mjs');
writeFileSync(tmp, code);
const { applyOps } = await import(pathToFileURL(tmp).href);

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
export const journey = {
  id: id(), project_id: id(), title: '온라인 쇼핑 고객 여정', kind: 'b2c',
  goal: '원하는 상품을 믿을 수 있는 곳에서 빠르고 편하게 산다', scope: '', value_proposition: '최저가 비교와 내일 도착 배송',
  personas: [{ id: id(), name: '김지은 (32, 직장인)', description: '퇴근길 지하철에서 모바일로 쇼핑하는 바쁜 직장인', goals: ['퇴근 후 10분 안에 필요한 물건 주문'], frustrations: ['결제 단계마다 다시 로그인'], quote: '리뷰가 솔직하면 바로 사요.', avatar: '👩‍💼' }],
  stages: stages.map(([name, description, touchpoints]) => ({ id: id(), name, description, touchpoints })),
  opportunities: [], version: 7, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-02T00:00:00Z',
};
journey.opportunities.push({ id: id(), title: '원클릭 간편결제', description: '', touchpoint_id: journey.stages[2].touchpoints[0].id, impact: 5, effort: 3, status: 'in_progress' });
export const me = { id: id(), email: 'owner@demo.cxmap', name: '데모 소유자', workspaces: [{ id: id(), name: '데모 워크스페이스', role: 'owner' }] };


const hub = { version: journey.version, journey, sockets: new Set(), log: [], seen: new Map(), session: 0 };
const colors = ['#e11d48', '#0891b2', '#7c3aed', '#ea580c'];

export async function installMock(ctx, user = me, role = 'owner') {
  await ctx.route(/^http:\/\/cx\.test\//, async (route) => {
    const url = new URL(route.request().url());
    const p = url.pathname;
    const json = (b) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(b) });
    if (p === '/api/v1/me') return json(user);
    if (p.startsWith('/api/v1/projects/') && p.endsWith('/journeys')) return json([{ id: journey.id, project_id: journey.project_id, title: hub.journey.title, kind: 'b2c', version: hub.version, updated_at: journey.updated_at }]);
    if (p.startsWith('/api/v1/projects/')) return json({ id: journey.project_id, workspace_id: me.workspaces[0].id, name: '온라인 쇼핑' });
    if (p.endsWith('/projects')) return json([{ id: journey.project_id, name: '온라인 쇼핑', description: '' }]);
    if (p.endsWith('/members')) return json([{ user: { id: me.id, email: me.email, name: me.name }, role: 'owner' }]);
    if (p.endsWith('/comments')) return json([{ id: 'c1', journey_id: journey.id, target: { kind: 'touchpoint', id: journey.stages[2].touchpoints[0].id }, author_name: '박민수', body: '@데모 재로그인 요구 제거 검토 부탁드려요', resolved: false, created_at: '2025-01-02T03:00:00Z', mentions: [] }]);
    if (p === `/api/v1/journeys/${journey.id}`) return json({ ...hub.journey, version: hub.version });
    if (p.startsWith('/api/')) return route.fulfill({ status: 404, body: '{}' });
    let file = p.replace(/^\/app\/?/, '');
    if (!file || !extname(file)) file = 'index.html';
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
    return route.fulfill({ status: 200, contentType: types[extname(file)], body: readFileSync(join(root, 'dist', file)) });
  });
  await ctx.routeWebSocket(/\/live$/, (ws) => {
    const session = 's' + ++hub.session;
    const peer = { session, user_id: user.id, name: user.name, color: colors[hub.session % colors.length], selection: null };
    const conn = { ws, peer };
    hub.sockets.add(conn);
    const peers = () => [...hub.sockets].map((c) => c.peer);
    const broadcast = (msg, except) => { for (const c of hub.sockets) if (c !== except) c.ws.send(JSON.stringify(msg)); };
    ws.send(JSON.stringify({ type: 'hello', session, you: peer, role, version: hub.version, journey: { ...hub.journey, version: hub.version }, peers: peers() }));
    broadcast({ type: 'presence', peers: peers() }, conn);
    ws.onClose(() => { hub.sockets.delete(conn); broadcast({ type: 'presence', peers: peers() }); });
    ws.onMessage((m) => {
      const f = JSON.parse(m);
      if (f.type === 'presence') { peer.selection = f.selection; broadcast({ type: 'presence', peers: peers() }); }
      if (f.type === 'sync') {
        for (const e of hub.log.filter((e) => e.version > f.since)) ws.send(JSON.stringify({ type: 'ops', ...e }));
      }
      if (f.type === 'ops') {
        const key = f.client_id + ':' + f.client_seq;
        if (hub.seen.has(key)) return ws.send(JSON.stringify({ type: 'applied', client_id: f.client_id, client_seq: f.client_seq, version: hub.seen.get(key) }));
        if (role === 'viewer' || role === 'commenter') {
          ws.send(JSON.stringify({ type: 'rejected', client_seq: f.client_seq, code: 'forbidden', message: 'no' }));
          return ws.send(JSON.stringify({ type: 'snapshot', version: hub.version, journey: hub.journey }));
        }
        try { hub.journey = applyOps(hub.journey, f.ops); } catch (e) {
          ws.send(JSON.stringify({ type: 'rejected', client_seq: f.client_seq, code: e.code || 'invalid_op', message: e.message }));
          return ws.send(JSON.stringify({ type: 'snapshot', version: hub.version, journey: hub.journey }));
        }
        hub.version++;
        hub.journey.version = hub.version;
        hub.seen.set(key, hub.version);
        const entry = { version: hub.version, ops: f.ops, session, user_id: user.id, client_id: f.client_id, client_seq: f.client_seq };
        hub.log.push(entry);
        ws.send(JSON.stringify({ type: 'applied', client_id: f.client_id, client_seq: f.client_seq, version: hub.version }));
        broadcast({ type: 'ops', ...entry }, conn);
      }
    });
  });
}

export function mockState() { return { journey: hub.journey, version: hub.version }; }
