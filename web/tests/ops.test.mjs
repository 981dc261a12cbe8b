import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

const ops = await loadTs('ops.ts');
const { applyOps, applyWithInverse, newStage, newTouchpoint, newOpportunity, newPersona, OpError, normalizeOp } = ops;

function journey() {
  const j = {
    id: 'j', project_id: 'p', title: 'J', kind: 'b2c', goal: '', scope: '', value_proposition: '',
    personas: [], stages: ['A', 'B', 'C'].map((n) => newStage(n)), opportunities: [], version: 0,
    created_at: '', updated_at: '',
  };
  return j;
}

test('add, move and remove touchpoints like Journey::apply', () => {
  let j = journey();
  const a = newTouchpoint('Ad');
  const s = newTouchpoint('Search');
  j = applyOps(j, [
    { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: a },
    { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: s, index: 0 },
  ]);
  assert.deepEqual(j.stages[0].touchpoints.map((t) => t.name), ['Search', 'Ad']);
  j = applyOps(j, [{ op: 'move_touchpoint', id: s.id, stage_id: j.stages[2].id, index: 99 }]);
  assert.equal(j.stages[0].touchpoints.length, 1);
  assert.equal(j.stages[2].touchpoints[0].id, s.id);
  j = applyOps(j, [{ op: 'move_stage', id: j.stages[2].id, index: 0 }]);
  assert.deepEqual(j.stages.map((x) => x.name), ['C', 'A', 'B']);
});

test('a failing batch changes nothing and reports the code', () => {
  const j = journey();
  const before = JSON.stringify(j);
  assert.throws(
    () => applyOps(j, [
      { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: newTouchpoint('x') },
      { op: 'remove_stage', id: 'nope' },
    ]),
    (e) => e instanceof OpError && e.code === 'not_found',
  );
  assert.equal(JSON.stringify(j), before);
  const tp = newTouchpoint('dup');
  const j2 = applyOps(j, [{ op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: tp }]);
  assert.throws(() => applyOps(j2, [{ op: 'add_touchpoint', stage_id: j.stages[1].id, touchpoint: tp }]), (e) => e.code === 'already_exists');
  assert.throws(() => applyOps(j2, [{ op: 'update_touchpoint', id: tp.id, patch: { emotion: 3 } }]), (e) => e.code === 'invalid_field');
});

test('patches write only the named properties; null is absent', () => {
  let j = journey();
  const tp = newTouchpoint('T');
  j = applyOps(j, [{ op: 'add_touchpoint', stage_id: j.stages[1].id, touchpoint: tp }]);
  j = applyOps(j, [{ op: 'update_touchpoint', id: tp.id, patch: { emotion: -2 } }]);
  j = applyOps(j, [{ op: 'update_touchpoint', id: tp.id, patch: { name: 'Renamed', channel: null } }]);
  const t = j.stages[1].touchpoints[0];
  assert.equal(t.emotion, -2);
  assert.equal(t.name, 'Renamed');
  assert.equal(t.channel, '');
});

test('removing a touchpoint unlinks its opportunities, and undo relinks them', () => {
  let j = journey();
  const tp = newTouchpoint('Checkout');
  const opp = newOpportunity('One-click', tp.id);
  j = applyOps(j, [
    { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: tp },
    { op: 'add_opportunity', opportunity: opp },
  ]);
  const before = JSON.parse(JSON.stringify(j));
  const { journey: after, inverse } = applyWithInverse(j, [{ op: 'remove_touchpoint', id: tp.id }]);
  assert.equal(after.opportunities[0].touchpoint_id, undefined);
  const undone = applyOps(after, inverse);
  assert.deepEqual(undone, before);
});

test('every op kind round-trips through its inverse', () => {
  let j = journey();
  const tp = newTouchpoint('T1');
  const tp2 = newTouchpoint('T2');
  const per = newPersona('P');
  j = applyOps(j, [
    { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: tp },
    { op: 'add_touchpoint', stage_id: j.stages[0].id, touchpoint: tp2 },
    { op: 'add_persona', persona: per },
    { op: 'add_opportunity', opportunity: newOpportunity('O', tp.id) },
  ]);
  const batches = [
    [{ op: 'update_journey', patch: { title: 'New', goal: 'g' } }],
    [{ op: 'add_stage', stage: newStage('D'), index: 1 }],
    [{ op: 'update_stage', id: j.stages[0].id, patch: { name: 'A2' } }],
    [{ op: 'move_stage', id: j.stages[0].id, index: 2 }],
    [{ op: 'remove_stage', id: j.stages[0].id }],
    [{ op: 'update_touchpoint', id: tp.id, patch: { emotion: 2, pain_points: ['x'], moment_of_truth: true } }],
    [{ op: 'move_touchpoint', id: tp.id, stage_id: j.stages[1].id, index: 0 }],
    [{ op: 'move_touchpoint', id: tp2.id, stage_id: j.stages[0].id, index: 0 }],
    [{ op: 'remove_touchpoint', id: tp2.id }],
    [{ op: 'update_persona', id: per.id, patch: { quote: 'q', goals: ['a'] } }],
    [{ op: 'remove_persona', id: per.id }],
    [{ op: 'update_opportunity', id: j.opportunities[0].id, patch: { impact: 5, status: 'done' } }],
    [{ op: 'remove_opportunity', id: j.opportunities[0].id }],
    // several ops that touch the same element in one batch
    [
      { op: 'update_touchpoint', id: tp.id, patch: { name: 'a' } },
      { op: 'move_touchpoint', id: tp.id, stage_id: j.stages[2].id, index: 0 },
      { op: 'update_touchpoint', id: tp.id, patch: { name: 'b' } },
    ],
  ];
  for (const batch of batches) {
    const { journey: after, inverse } = applyWithInverse(j, batch);
    assert.notDeepEqual(after, j, JSON.stringify(batch));
    assert.deepEqual(applyOps(after, inverse), j, JSON.stringify(batch));
  }
});

test('titles are trimmed as the server stores them', () => {
  const op = normalizeOp({ op: 'update_stage', id: 's', patch: { name: '  Hi  ', description: ' keep ' } });
  assert.equal(op.patch.name, 'Hi');
  assert.equal(op.patch.description, ' keep ');
});
