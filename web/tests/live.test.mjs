// The live session's queue logic, with a fake WebSocket (no server, no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

class FakeSocket {
  static all = [];
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.();
  }
  // server side helpers
  open() {
    this.readyState = 1;
  }
  push(msg) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  frames(type) {
    return this.sent.filter((f) => f.type === type);
  }
}
globalThis.WebSocket = FakeSocket;
globalThis.window = { addEventListener() {}, removeEventListener() {} };
globalThis.location = { protocol: 'http:', host: 'h' };
const timers = [];
globalThis.setTimeout = (f) => (timers.push(f), timers.length);
globalThis.clearTimeout = () => {};
globalThis.setInterval = () => 0;
globalThis.clearInterval = () => {};
const runTimers = () => timers.splice(0).forEach((f) => f());

const { LiveSession } = await loadTs('live.ts');
const { newStage, newTouchpoint, applyOps } = await loadTs('ops.ts');

function journey() {
  const stage = newStage('S');
  stage.touchpoints.push(newTouchpoint('T'));
  return { id: 'j', project_id: 'p', title: 'J', kind: 'b2c', goal: '', scope: '', value_proposition: '', personas: [], stages: [stage], opportunities: [], version: 3, created_at: '', updated_at: '' };
}
const peer = { session: 's', user_id: 'u', name: 'U', color: '#000', selection: null };

function connected(j) {
  FakeSocket.all = [];
  const s = new LiveSession('j');
  const ws = FakeSocket.all[0];
  ws.open();
  ws.push({ type: 'hello', session: 's', you: peer, role: 'editor', version: j.version, journey: j, peers: [peer] });
  return { s, ws };
}

test('a local batch is shown at once, sent, and confirmed by applied', () => {
  const j = journey();
  const { s, ws } = connected(j);
  const tp = j.stages[0].touchpoints[0];
  s.commit([{ op: 'update_touchpoint', id: tp.id, patch: { name: '  New  ' } }]);
  assert.equal(s.view.stages[0].touchpoints[0].name, 'New');
  const [frame] = ws.frames('ops');
  assert.equal(frame.client_seq, 1);
  assert.equal(frame.client_id, s.clientId);
  assert.equal(frame.base, 3);
  assert.equal(s.pending.length, 1);
  ws.push({ type: 'applied', client_id: s.clientId, client_seq: 1, version: 4 });
  assert.equal(s.pending.length, 0);
  assert.equal(s.version, 4);
  assert.equal(s.confirmed.stages[0].touchpoints[0].name, 'New');
});

test("others' ops go under the pending batches", () => {
  const j = journey();
  const { s, ws } = connected(j);
  const tp = j.stages[0].touchpoints[0];
  s.commit([{ op: 'update_touchpoint', id: tp.id, patch: { name: 'Mine' } }]);
  ws.push({ type: 'ops', version: 4, user_id: 'o', client_id: 'other', client_seq: 9, ops: [
    { op: 'update_touchpoint', id: tp.id, patch: { name: 'Theirs', emotion: 2 } },
  ] });
  assert.equal(s.view.stages[0].touchpoints[0].name, 'Mine');
  assert.equal(s.view.stages[0].touchpoints[0].emotion, 2);
  assert.equal(s.confirmed.stages[0].touchpoints[0].name, 'Theirs');
  ws.push({ type: 'applied', client_id: s.clientId, client_seq: 1, version: 5 });
  assert.deepEqual(s.view, { ...s.confirmed, version: 5 });
  assert.equal(s.view.stages[0].touchpoints[0].name, 'Mine');
});

test('a version gap asks for sync; old versions are ignored', () => {
  const j = journey();
  const { s, ws } = connected(j);
  ws.push({ type: 'ops', version: 3, user_id: 'o', client_id: 'o', client_seq: 1, ops: [{ op: 'update_journey', patch: { title: 'old' } }] });
  assert.equal(s.view.title, 'J');
  ws.push({ type: 'ops', version: 6, user_id: 'o', client_id: 'o', client_seq: 2, ops: [{ op: 'update_journey', patch: { title: 'far' } }] });
  assert.deepEqual(ws.frames('sync'), [{ type: 'sync', since: 3 }]);
  assert.equal(s.view.title, 'J');
});

test('rejected drops the batch and the snapshot replaces the map', () => {
  const j = journey();
  const { s, ws } = connected(j);
  s.commit([{ op: 'update_journey', patch: { title: 'X' } }]);
  ws.push({ type: 'rejected', client_seq: 1, code: 'forbidden', message: 'no' });
  assert.equal(s.pending.length, 0);
  assert.equal(s.lastError.code, 'forbidden');
  const snap = { ...j, title: 'Server', version: 8 };
  ws.push({ type: 'snapshot', version: 8, journey: snap });
  assert.equal(s.view.title, 'Server');
  assert.equal(s.version, 8);
});

test('offline edits are replayed with the same ids after reconnecting, and never applied twice', () => {
  const j = journey();
  const { s, ws } = connected(j);
  const tp = j.stages[0].touchpoints[0];
  s.commit([{ op: 'update_touchpoint', id: tp.id, patch: { emotion: -2 } }]);
  ws.close(); // the first batch was sent; maybe committed, maybe not
  assert.equal(s.status, 'offline');
  s.commit([{ op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: newTouchpoint('Offline') }]);
  assert.equal(s.view.stages[0].touchpoints.length, 2);
  assert.equal(ws.frames('ops').length, 1);
  runTimers();
  const ws2 = FakeSocket.all[1];
  ws2.open();
  // The server had committed batch 1 as version 4 before the socket dropped.
  const committed = applyOps(j, [{ op: 'update_touchpoint', id: tp.id, patch: { emotion: -2 } }]);
  committed.version = 4;
  ws2.push({ type: 'hello', session: 's2', you: peer, role: 'editor', version: 4, journey: committed, peers: [peer] });
  const replay = ws2.frames('ops');
  assert.deepEqual(replay.map((f) => f.client_seq), [1, 2]);
  assert.ok(replay.every((f) => f.client_id === s.clientId));
  ws2.push({ type: 'applied', client_id: s.clientId, client_seq: 1, version: 4 });
  ws2.push({ type: 'applied', client_id: s.clientId, client_seq: 2, version: 5 });
  assert.equal(s.pending.length, 0);
  assert.equal(s.version, 5);
  assert.equal(s.view.stages[0].touchpoints.length, 2);
  assert.equal(s.view.stages[0].touchpoints[0].emotion, -2);
});

test('undo and redo send inverse batches', () => {
  const j = journey();
  const { s, ws } = connected(j);
  const tp = j.stages[0].touchpoints[0];
  s.commit([{ op: 'update_touchpoint', id: tp.id, patch: { emotion: 1 } }]);
  s.commit([{ op: 'move_stage', id: j.stages[0].id, index: 0 }, { op: 'update_stage', id: j.stages[0].id, patch: { name: 'S2' } }]);
  assert.ok(s.undo());
  assert.equal(s.view.stages[0].name, 'S');
  assert.ok(s.undo());
  assert.equal(s.view.stages[0].touchpoints[0].emotion, 0);
  assert.ok(!s.undo());
  assert.ok(s.redo());
  assert.equal(s.view.stages[0].touchpoints[0].emotion, 1);
  assert.deepEqual(ws.frames('ops').map((f) => f.client_seq), [1, 2, 3, 4, 5]);
  assert.deepEqual(ws.frames('ops')[3].ops, [{ op: 'update_touchpoint', id: tp.id, patch: { emotion: 0 } }]);
});

test('after a snapshot, in-flight batches are replayed so none stays pending forever', () => {
  const j = journey();
  const { s, ws } = connected(j);
  s.commit([{ op: 'update_journey', patch: { title: 'A' } }]);
  s.commit([{ op: 'update_journey', patch: { goal: 'G' } }]);
  // The server lagged, committed batch 1 as version 4, and resynced us with a snapshot.
  ws.push({ type: 'snapshot', version: 4, journey: { ...j, title: 'A', version: 4 } });
  assert.deepEqual(ws.frames('ops').map((f) => f.client_seq), [1, 2, 1, 2]);
  ws.push({ type: 'applied', client_id: s.clientId, client_seq: 1, version: 4 });
  ws.push({ type: 'applied', client_id: s.clientId, client_seq: 2, version: 5 });
  ws.push({ type: 'applied', client_id: s.clientId, client_seq: 2, version: 5 });
  assert.equal(s.pending.length, 0);
  assert.equal(s.version, 5);
  assert.equal(s.view.title, 'A');
  assert.equal(s.view.goal, 'G');
});

test('the snapshot after a rejection does not replay the batches still in flight', () => {
  const j = journey();
  const { s, ws } = connected(j);
  s.commit([{ op: 'update_journey', patch: { title: 'A' } }]);
  s.commit([{ op: 'update_journey', patch: { goal: 'G' } }]);
  ws.push({ type: 'rejected', client_seq: 1, code: 'invalid_field', message: 'x' });
  ws.push({ type: 'snapshot', version: 3, journey: j });
  assert.deepEqual(ws.frames('ops').map((f) => f.client_seq), [1, 2]);
  assert.equal(s.view.goal, 'G');
  assert.equal(s.view.title, 'J');
});
