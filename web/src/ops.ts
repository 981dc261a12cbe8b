// Journey model and JourneyOps: a TypeScript mirror of crates/domain/src/journey.rs and ops.rs.
// Field names are the Rust serde names. This module is pure (no imports) so that the
// unit tests can load it on their own.

export type Category = 'digital' | 'human' | 'physical';
export type BuyingRole = 'initiator' | 'user' | 'influencer' | 'decider' | 'buyer' | 'gatekeeper';
export type OppStatus = 'idea' | 'in_progress' | 'testing' | 'done' | 'dropped';

export interface Kpi {
  name: string;
  unit: string;
  target?: number;
  benchmark?: number;
}

export interface Touchpoint {
  id: string;
  name: string;
  channel: string;
  category: Category;
  owner: string;
  description: string;
  customer_actions: string[];
  thoughts: string[];
  emotion: number;
  needs: string[];
  expectations: string[];
  pain_points: string[];
  gain_points: string[];
  backstage: string[];
  moment_of_truth: boolean;
  core_experience: boolean;
  kpis: Kpi[];
}

export interface Stage {
  id: string;
  name: string;
  description: string;
  touchpoints: Touchpoint[];
}

export interface Persona {
  id: string;
  name: string;
  role?: BuyingRole;
  description: string;
  goals: string[];
  frustrations: string[];
  quote: string;
  avatar: string;
}

export interface Opportunity {
  id: string;
  title: string;
  description: string;
  touchpoint_id?: string;
  impact: number;
  effort: number;
  status: OppStatus;
}

export interface Journey {
  id: string;
  project_id: string;
  title: string;
  kind: 'b2c' | 'b2b';
  goal: string;
  scope: string;
  value_proposition: string;
  personas: Persona[];
  stages: Stage[];
  opportunities: Opportunity[];
  version: number;
  created_at: string;
  updated_at: string;
}

export type JourneyPatch = Partial<Pick<Journey, 'title' | 'kind' | 'goal' | 'scope' | 'value_proposition'>>;
export type StagePatch = Partial<Pick<Stage, 'name' | 'description'>>;
export type TouchpointPatch = Partial<Omit<Touchpoint, 'id'>>;
export type PersonaPatch = Partial<Omit<Persona, 'id'>>;
export type OpportunityPatch = Partial<Omit<Opportunity, 'id'>>;

export type JourneyOp =
  | { op: 'update_journey'; patch: JourneyPatch }
  | { op: 'add_stage'; stage: Stage; index?: number | null }
  | { op: 'update_stage'; id: string; patch: StagePatch }
  | { op: 'move_stage'; id: string; index: number }
  | { op: 'remove_stage'; id: string }
  | { op: 'add_touchpoint'; stage_id: string; touchpoint: Touchpoint; index?: number | null }
  | { op: 'update_touchpoint'; id: string; patch: TouchpointPatch }
  | { op: 'move_touchpoint'; id: string; stage_id: string; index: number }
  | { op: 'remove_touchpoint'; id: string }
  | { op: 'add_persona'; persona: Persona }
  | { op: 'update_persona'; id: string; patch: PersonaPatch }
  | { op: 'remove_persona'; id: string }
  | { op: 'add_opportunity'; opportunity: Opportunity }
  | { op: 'update_opportunity'; id: string; patch: OpportunityPatch }
  | { op: 'remove_opportunity'; id: string };

export class OpError extends Error {
  constructor(
    public code: 'not_found' | 'already_exists' | 'invalid_field',
    message: string,
  ) {
    super(message);
  }
}

const PATCH_FIELDS: Record<string, readonly string[]> = {
  journey: ['title', 'kind', 'goal', 'scope', 'value_proposition'],
  stage: ['name', 'description'],
  touchpoint: [
    'name', 'channel', 'category', 'owner', 'description', 'customer_actions', 'thoughts', 'emotion',
    'needs', 'expectations', 'pain_points', 'gain_points', 'backstage', 'moment_of_truth',
    'core_experience', 'kpis',
  ],
  persona: ['name', 'role', 'description', 'goals', 'frustrations', 'quote', 'avatar'],
  opportunity: ['title', 'description', 'touchpoint_id', 'impact', 'effort', 'status'],
};

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Writes every present field (per-property last writer wins). `null` means absent, as in serde. */
function applyPatch(target: any, patch: any, kind: string) {
  for (const key of PATCH_FIELDS[kind]) {
    const value = patch?.[key];
    if (value === undefined || value === null) continue;
    target[key] = clone(value);
  }
}

const notFound = (kind: string, id: string) => new OpError('not_found', `${kind} ${id} is not on this journey`);
const exists = (kind: string, id: string) => new OpError('already_exists', `${kind} ${id} already exists on this journey`);

export function locateTouchpoint(j: Journey, id: string): [number, number] | null {
  for (let si = 0; si < j.stages.length; si++) {
    const ti = j.stages[si].touchpoints.findIndex((t) => t.id === id);
    if (ti >= 0) return [si, ti];
  }
  return null;
}

export function findTouchpoint(j: Journey, id: string): Touchpoint | undefined {
  const at = locateTouchpoint(j, id);
  return at ? j.stages[at[0]].touchpoints[at[1]] : undefined;
}

function stageIndex(j: Journey, id: string): number {
  const i = j.stages.findIndex((s) => s.id === id);
  if (i < 0) throw notFound('stage', id);
  return i;
}

function touchpointAt(j: Journey, id: string): [number, number] {
  const at = locateTouchpoint(j, id);
  if (!at) throw notFound('touchpoint', id);
  return at;
}

function indexIn<T extends { id: string }>(items: T[], id: string, kind: string): number {
  const i = items.findIndex((x) => x.id === id);
  if (i < 0) throw notFound(kind, id);
  return i;
}

function unlink(j: Journey, tp: string) {
  for (const o of j.opportunities) if (o.touchpoint_id === tp) delete o.touchpoint_id;
}

const clampIndex = (index: number | null | undefined, len: number) =>
  index === undefined || index === null ? len : Math.max(0, Math.min(index, len));

/** Applies one op in place (mirror of `Journey::apply_one`). */
export function applyOne(j: Journey, op: JourneyOp): void {
  switch (op.op) {
    case 'update_journey':
      applyPatch(j, op.patch, 'journey');
      break;
    case 'add_stage': {
      if (j.stages.some((s) => s.id === op.stage.id)) throw exists('stage', op.stage.id);
      j.stages.splice(clampIndex(op.index, j.stages.length), 0, clone(op.stage));
      break;
    }
    case 'update_stage':
      applyPatch(j.stages[stageIndex(j, op.id)], op.patch, 'stage');
      break;
    case 'move_stage': {
      const si = stageIndex(j, op.id);
      const [stage] = j.stages.splice(si, 1);
      j.stages.splice(clampIndex(op.index, j.stages.length), 0, stage);
      break;
    }
    case 'remove_stage': {
      const si = stageIndex(j, op.id);
      const [stage] = j.stages.splice(si, 1);
      for (const tp of stage.touchpoints) unlink(j, tp.id);
      break;
    }
    case 'add_touchpoint': {
      if (locateTouchpoint(j, op.touchpoint.id)) throw exists('touchpoint', op.touchpoint.id);
      const stage = j.stages[stageIndex(j, op.stage_id)];
      stage.touchpoints.splice(clampIndex(op.index, stage.touchpoints.length), 0, clone(op.touchpoint));
      break;
    }
    case 'update_touchpoint': {
      const [si, ti] = touchpointAt(j, op.id);
      applyPatch(j.stages[si].touchpoints[ti], op.patch, 'touchpoint');
      break;
    }
    case 'move_touchpoint': {
      const target = stageIndex(j, op.stage_id);
      const [si, ti] = touchpointAt(j, op.id);
      const [tp] = j.stages[si].touchpoints.splice(ti, 1);
      const dest = j.stages[target].touchpoints;
      dest.splice(clampIndex(op.index, dest.length), 0, tp);
      break;
    }
    case 'remove_touchpoint': {
      const [si, ti] = touchpointAt(j, op.id);
      j.stages[si].touchpoints.splice(ti, 1);
      unlink(j, op.id);
      break;
    }
    case 'add_persona':
      if (j.personas.some((p) => p.id === op.persona.id)) throw exists('persona', op.persona.id);
      j.personas.push(clone(op.persona));
      break;
    case 'update_persona':
      applyPatch(j.personas[indexIn(j.personas, op.id, 'persona')], op.patch, 'persona');
      break;
    case 'remove_persona':
      j.personas.splice(indexIn(j.personas, op.id, 'persona'), 1);
      break;
    case 'add_opportunity':
      if (j.opportunities.some((o) => o.id === op.opportunity.id)) throw exists('opportunity', op.opportunity.id);
      j.opportunities.push(clone(op.opportunity));
      break;
    case 'update_opportunity':
      applyPatch(j.opportunities[indexIn(j.opportunities, op.id, 'opportunity')], op.patch, 'opportunity');
      break;
    case 'remove_opportunity':
      j.opportunities.splice(indexIn(j.opportunities, op.id, 'opportunity'), 1);
      break;
    default:
      throw new OpError('invalid_field', `unknown op ${(op as any).op}`);
  }
}

/** The invariants `Journey::validate` checks that a client can break. */
export function validate(j: Journey): void {
  const seen = new Set<string>();
  const once = (id: string, path: string) => {
    if (seen.has(id)) throw new OpError('invalid_field', `${path}.id: duplicate id`);
    seen.add(id);
  };
  j.stages.forEach((s, si) => {
    once(s.id, `stages[${si}]`);
    s.touchpoints.forEach((t, ti) => {
      once(t.id, `stages[${si}].touchpoints[${ti}]`);
      if (!Number.isInteger(t.emotion) || t.emotion < -2 || t.emotion > 2) {
        throw new OpError('invalid_field', `stages[${si}].touchpoints[${ti}].emotion: must be between -2 and 2`);
      }
    });
  });
  j.personas.forEach((p, i) => once(p.id, `personas[${i}]`));
  j.opportunities.forEach((o, i) => {
    once(o.id, `opportunities[${i}]`);
    if (o.touchpoint_id && !locateTouchpoint(j, o.touchpoint_id)) {
      throw new OpError('invalid_field', `opportunities[${i}].touchpoint_id: no such touchpoint on this journey`);
    }
  });
}

/** Applies a batch atomically and returns the new journey; throws `OpError` and leaves `j` alone. */
export function applyOps(j: Journey, ops: JourneyOp[]): Journey {
  const next = clone(j);
  for (const op of ops) applyOne(next, op);
  validate(next);
  return next;
}

function oldValues(target: any, patch: any, kind: string): any {
  const out: any = {};
  for (const key of PATCH_FIELDS[kind]) {
    if (patch?.[key] === undefined || patch?.[key] === null) continue;
    // An absent optional field cannot be cleared through a patch; best effort: leave it.
    if (target[key] === undefined) continue;
    out[key] = clone(target[key]);
  }
  return out;
}

/** The ops that undo `op` when applied to the state after it; `j` is the state before it. */
export function inverseOne(j: Journey, op: JourneyOp): JourneyOp[] {
  switch (op.op) {
    case 'update_journey':
      return [{ op: 'update_journey', patch: oldValues(j, op.patch, 'journey') }];
    case 'add_stage':
      return [{ op: 'remove_stage', id: op.stage.id }];
    case 'update_stage':
      return [{ op: 'update_stage', id: op.id, patch: oldValues(j.stages[stageIndex(j, op.id)], op.patch, 'stage') }];
    case 'move_stage':
      return [{ op: 'move_stage', id: op.id, index: stageIndex(j, op.id) }];
    case 'remove_stage': {
      const si = stageIndex(j, op.id);
      const stage = j.stages[si];
      const ids = new Set(stage.touchpoints.map((t) => t.id));
      return [
        { op: 'add_stage', stage: clone(stage), index: si },
        ...relink(j, ids),
      ];
    }
    case 'add_touchpoint':
      return [{ op: 'remove_touchpoint', id: op.touchpoint.id }];
    case 'update_touchpoint': {
      const [si, ti] = touchpointAt(j, op.id);
      return [{ op: 'update_touchpoint', id: op.id, patch: oldValues(j.stages[si].touchpoints[ti], op.patch, 'touchpoint') }];
    }
    case 'move_touchpoint': {
      const [si, ti] = touchpointAt(j, op.id);
      return [{ op: 'move_touchpoint', id: op.id, stage_id: j.stages[si].id, index: ti }];
    }
    case 'remove_touchpoint': {
      const [si, ti] = touchpointAt(j, op.id);
      return [
        { op: 'add_touchpoint', stage_id: j.stages[si].id, touchpoint: clone(j.stages[si].touchpoints[ti]), index: ti },
        ...relink(j, new Set([op.id])),
      ];
    }
    case 'add_persona':
      return [{ op: 'remove_persona', id: op.persona.id }];
    case 'update_persona':
      return [{ op: 'update_persona', id: op.id, patch: oldValues(j.personas[indexIn(j.personas, op.id, 'persona')], op.patch, 'persona') }];
    case 'remove_persona':
      return [{ op: 'add_persona', persona: clone(j.personas[indexIn(j.personas, op.id, 'persona')]) }];
    case 'add_opportunity':
      return [{ op: 'remove_opportunity', id: op.opportunity.id }];
    case 'update_opportunity':
      return [{
        op: 'update_opportunity', id: op.id,
        patch: oldValues(j.opportunities[indexIn(j.opportunities, op.id, 'opportunity')], op.patch, 'opportunity'),
      }];
    case 'remove_opportunity':
      return [{ op: 'add_opportunity', opportunity: clone(j.opportunities[indexIn(j.opportunities, op.id, 'opportunity')]) }];
  }
}

function relink(j: Journey, tps: Set<string>): JourneyOp[] {
  return j.opportunities
    .filter((o) => o.touchpoint_id && tps.has(o.touchpoint_id))
    .map((o) => ({ op: 'update_opportunity', id: o.id, patch: { touchpoint_id: o.touchpoint_id } }) as JourneyOp);
}

/**
 * Applies `ops` to `j` and computes the batch that undoes them, from the state before each op.
 * Returns the new journey and the inverse batch (already in the order to apply).
 */
export function applyWithInverse(j: Journey, ops: JourneyOp[]): { journey: Journey; inverse: JourneyOp[] } {
  const next = clone(j);
  const inverse: JourneyOp[][] = [];
  for (const op of ops) {
    inverse.push(inverseOne(next, op));
    applyOne(next, op);
  }
  validate(next);
  return { journey: next, inverse: inverse.reverse().flat() };
}

/** Trims titles the way the server's `Title::parse` does, so that both sides store the same. */
export function normalizeOp(op: JourneyOp): JourneyOp {
  const o: any = clone(op);
  const trim = (obj: any, key: string) => {
    if (obj && typeof obj[key] === 'string') obj[key] = obj[key].trim();
  };
  if (o.patch) {
    trim(o.patch, 'name');
    trim(o.patch, 'title');
    if (Array.isArray(o.patch.kpis)) o.patch.kpis.forEach((k: any) => trim(k, 'name'));
  }
  trim(o.stage, 'name');
  trim(o.touchpoint, 'name');
  trim(o.persona, 'name');
  trim(o.opportunity, 'title');
  return o;
}

export function uuid(): string {
  const c: any = (globalThis as any).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function newTouchpoint(name: string): Touchpoint {
  return {
    id: uuid(), name, channel: '', category: 'digital', owner: '', description: '',
    customer_actions: [], thoughts: [], emotion: 0, needs: [], expectations: [],
    pain_points: [], gain_points: [], backstage: [], moment_of_truth: false, core_experience: false, kpis: [],
  };
}

export function newStage(name: string): Stage {
  return { id: uuid(), name, description: '', touchpoints: [] };
}

export function newPersona(name: string): Persona {
  return { id: uuid(), name, description: '', goals: [], frustrations: [], quote: '', avatar: '🙂' };
}

export function newOpportunity(title: string, touchpoint_id?: string): Opportunity {
  const o: Opportunity = { id: uuid(), title, description: '', impact: 3, effort: 3, status: 'idea' };
  if (touchpoint_id) o.touchpoint_id = touchpoint_id;
  return o;
}
