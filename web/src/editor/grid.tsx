import { useRef, useState } from 'preact/hooks';
import { fmtNum, fmtSigned, t, type Key } from '../i18n';
import { newOpportunity, newStage, newTouchpoint, type Journey, type JourneyOp, type Stage, type Touchpoint } from '../ops';
import type { Peer } from '../live';
import { Editable, ListEditor } from './widgets';

export const COL_W = 208;
export const LANE_W = 150;

export type Sel = { kind: 'journey' | 'stage' | 'touchpoint' | 'persona' | 'opportunity'; id?: string } | null;

interface Col {
  stage: Stage;
  si: number;
  tp: Touchpoint | null;
  ti: number;
}

export function columns(j: Journey): Col[] {
  const cols: Col[] = [];
  j.stages.forEach((stage, si) => {
    if (stage.touchpoints.length === 0) cols.push({ stage, si, tp: null, ti: -1 });
    else stage.touchpoints.forEach((tp, ti) => cols.push({ stage, si, tp, ti }));
  });
  return cols;
}

/** Where a touchpoint moved next to another lands, as `move_touchpoint` counts (after removal). */
export function moveIndex(stage: Stage, targetIndex: number, draggedId: string): number {
  let idx = 0;
  for (let i = 0; i < targetIndex && i < stage.touchpoints.length; i++) {
    if (stage.touchpoints[i].id !== draggedId) idx++;
  }
  return idx;
}

/** The op that moves a touchpoint one step left (-1) or right (+1), across stage borders. */
export function stepTouchpoint(j: Journey, id: string, dir: -1 | 1): JourneyOp | null {
  for (let si = 0; si < j.stages.length; si++) {
    const ti = j.stages[si].touchpoints.findIndex((x) => x.id === id);
    if (ti < 0) continue;
    const stage = j.stages[si];
    if (dir < 0) {
      if (ti > 0) return { op: 'move_touchpoint', id, stage_id: stage.id, index: ti - 1 };
      if (si > 0) return { op: 'move_touchpoint', id, stage_id: j.stages[si - 1].id, index: j.stages[si - 1].touchpoints.length };
    } else {
      if (ti < stage.touchpoints.length - 1) return { op: 'move_touchpoint', id, stage_id: stage.id, index: ti + 1 };
      if (si < j.stages.length - 1) return { op: 'move_touchpoint', id, stage_id: j.stages[si + 1].id, index: 0 };
    }
    return null;
  }
  return null;
}

export function stepStage(j: Journey, id: string, dir: -1 | 1): JourneyOp | null {
  const si = j.stages.findIndex((s) => s.id === id);
  const to = si + dir;
  if (si < 0 || to < 0 || to >= j.stages.length) return null;
  return { op: 'move_stage', id, index: to };
}

const EMO_COLORS: Record<string, string> = {
  '-2': '#dc2626',
  '-1': '#f97316',
  '0': '#a3a3a3',
  '1': '#65a30d',
  '2': '#16a34a',
};

interface GridProps {
  journey: Journey;
  readOnly: boolean;
  sel: Sel;
  peers: Peer[];
  mySession?: string;
  commentCounts: Record<string, number>;
  commit: (ops: JourneyOp[]) => void;
  select: (s: Sel) => void;
  openComments: (s: Sel) => void;
  /** Optional lanes to show besides the standard ones. */
  extraLanes?: { needs: boolean; expectations: boolean };
  /** Measured volume per touchpoint id (from the event log), when there is any. */
  volumes?: Record<string, TouchpointVolume>;
}

export interface TouchpointVolume {
  cases: number;
  ended_here: number;
}

/** Drop-off shares at or above this read as bad, at or below GOOD_DROP_OFF as good (as on the rendered map). */
const BAD_DROP_OFF = 0.3;
const GOOD_DROP_OFF = 0.1;

/** A touchpoint's evidence: customers who reached it and the share who ended their journey there
 * (not for the journey's last touchpoint, where ending is the goal). */
function Evidence({ volume, last }: { volume?: TouchpointVolume; last: boolean }) {
  if (!volume) return null;
  const share = volume.cases > 0 ? volume.ended_here / volume.cases : 0;
  const tone = share >= BAD_DROP_OFF ? 'bad' : share <= GOOD_DROP_OFF ? 'good' : 'neutral';
  const pct = `${fmtNum(100 * share, 0)}%`;
  return (
    <div class="tp-evidence" data-testid="tp-evidence" title={t('evidence_title', { n: fmtNum(volume.cases, 0), pct })}>
      <span>{t('evidence_cases', { n: fmtNum(volume.cases, 0) })}</span>
      {!last && <span class={`drop ${tone}`}>{t('evidence_drop', { pct })}</span>}
    </div>
  );
}

export function JourneyGrid(p: GridProps) {
  const j = p.journey;
  const cols = columns(j);
  const lastTouchpoint = j.stages.flatMap((st) => st.touchpoints).at(-1)?.id;
  const [drag, setDrag] = useState<{ kind: 'tp' | 'stage'; id: string } | null>(null);
  const [dropAt, setDropAt] = useState<string | null>(null);

  // A coloured outline on what each peer has selected (merged into the element's own style).
  const peerOutline = (id: string, style: Record<string, string> = {}) => {
    const ps = p.peers.filter((x) => x.selection === id && x.session !== p.mySession);
    if (!ps.length) return { style };
    return {
      style: { ...style, outline: `2px solid ${ps[0].color}`, outlineOffset: '-2px', '--peer': ps[0].color },
      'data-peer': ps.map((x) => x.name).join(', '),
    };
  };
  const isSel = (id: string) => p.sel?.id === id;
  const updTp = (id: string, patch: any) => p.commit([{ op: 'update_touchpoint', id, patch }]);

  const addTouchpoint = (stage: Stage) => {
    const tp = newTouchpoint(t('new_touchpoint'));
    p.commit([{ op: 'add_touchpoint', stage_id: stage.id, touchpoint: tp }]);
    p.select({ kind: 'touchpoint', id: tp.id });
  };
  const addStage = () => {
    const s = newStage(t('new_stage'));
    p.commit([{ op: 'add_stage', stage: s }]);
    p.select({ kind: 'stage', id: s.id });
  };

  const onDropTp = (e: DragEvent, stage: Stage, targetIndex: number) => {
    e.preventDefault();
    setDropAt(null);
    const id = e.dataTransfer?.getData('text/x-cxmap-tp');
    setDrag(null);
    if (!id) return;
    p.commit([{ op: 'move_touchpoint', id, stage_id: stage.id, index: moveIndex(stage, targetIndex, id) }]);
  };
  const onDropStage = (e: DragEvent, si: number) => {
    const tpId = e.dataTransfer?.getData('text/x-cxmap-tp');
    if (tpId) return onDropTp(e, j.stages[si], j.stages[si].touchpoints.length);
    e.preventDefault();
    setDropAt(null);
    const id = e.dataTransfer?.getData('text/x-cxmap-stage');
    setDrag(null);
    if (!id) return;
    const from = j.stages.findIndex((s) => s.id === id);
    if (from < 0 || from === si) return;
    p.commit([{ op: 'move_stage', id, index: si }]);
  };
  const allowDrop = (key: string) => (e: DragEvent) => {
    if (p.readOnly || !drag) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (dropAt !== key) setDropAt(key);
  };

  const gridStyle = {
    gridTemplateColumns: `${LANE_W}px repeat(${cols.length}, ${COL_W}px) ${p.readOnly ? '' : '120px'}`,
  };

  const lane = (key: Key, icon: string, cells: any[], cls = '') => [
    <div class={`lane-label ${cls}`}><span class={`lane-icon li-${icon}`} aria-hidden="true" />{t(key)}</div>,
    ...cells,
    !p.readOnly && <div class={`lane-end ${cls}`} />,
  ];

  const listLane = (key: Key, icon: string, field: keyof Touchpoint, tone: string) =>
    lane(key, icon, cols.map((c, ci) => (
      <div class={`cell ${c.si % 2 ? 'alt' : ''} ${c.tp && isSel(c.tp.id) ? 'col-sel' : ''}`} key={ci}>
        {c.tp && (
          <ListEditor
            items={(c.tp as any)[field] as string[]}
            tone={tone}
            readOnly={p.readOnly}
            testid={`${field}-${c.tp.id}`}
            onChange={(items) => updTp(c.tp!.id, { [field]: items })}
          />
        )}
      </div>
    )));

  return (
    <div class="grid-scroll" data-testid="journey-grid">
      <div class="jgrid" style={gridStyle}>
        {/* stages */}
        <div class="lane-label stage-lane corner">{t('lane_stages')}</div>
        {j.stages.map((stage, si) => {
          const span = Math.max(1, stage.touchpoints.length);
          const key = 'stage:' + stage.id;
          return (
            <div
              class={`stage-head tone-${si % 6} ${isSel(stage.id) ? 'selected' : ''} ${dropAt === key ? 'drop' : ''}`}
              data-testid="stage"
              data-id={stage.id}
              {...peerOutline(stage.id, { gridColumn: `span ${span}` })}
              draggable={!p.readOnly}
              onDragStart={(e) => {
                e.dataTransfer!.setData('text/x-cxmap-stage', stage.id);
                e.dataTransfer!.effectAllowed = 'move';
                setDrag({ kind: 'stage', id: stage.id });
              }}
              onDragEnd={() => {
                setDrag(null);
                setDropAt(null);
              }}
              onDragOver={allowDrop(key)}
              onDragLeave={() => dropAt === key && setDropAt(null)}
              onDrop={(e) => onDropStage(e, si)}
              onClick={() => p.select({ kind: 'stage', id: stage.id })}
            >
              <div class="stage-top">
                <span class="stage-num">{si + 1}</span>
                <Editable
                  value={stage.name}
                  required
                  readOnly={p.readOnly}
                  class="stage-name"
                  testid="stage-name"
                  label={t('stage')}
                  onCommit={(v) => p.commit([{ op: 'update_stage', id: stage.id, patch: { name: v } }])}
                />
                <CommentBadge n={p.commentCounts[stage.id]} onClick={() => p.openComments({ kind: 'stage', id: stage.id })} />
              </div>
              {stage.description && <div class="stage-desc">{stage.description}</div>}
              {!p.readOnly && (
                <div class="stage-tools">
                  <button class="icon-btn" title={t('move_left')} aria-label={t('move_left')} disabled={si === 0}
                    data-testid="stage-left"
                    onClick={(e) => {
                      e.stopPropagation();
                      const op = stepStage(j, stage.id, -1);
                      if (op) p.commit([op]);
                    }}>◀</button>
                  <button class="icon-btn" title={t('move_right')} aria-label={t('move_right')} disabled={si === j.stages.length - 1}
                    data-testid="stage-right"
                    onClick={(e) => {
                      e.stopPropagation();
                      const op = stepStage(j, stage.id, 1);
                      if (op) p.commit([op]);
                    }}>▶</button>
                  <button class="icon-btn" title={t('add_touchpoint')} aria-label={t('add_touchpoint')}
                    data-testid="add-touchpoint"
                    onClick={(e) => {
                      e.stopPropagation();
                      addTouchpoint(stage);
                    }}>＋</button>
                  <button class="icon-btn danger" title={t('remove')} aria-label={t('remove')}
                    onClick={(e) => {
                      e.stopPropagation();
                      if (stage.touchpoints.length && !confirm(t('confirm_remove_stage', { name: stage.name, n: stage.touchpoints.length }))) return;
                      p.commit([{ op: 'remove_stage', id: stage.id }]);
                    }}>✕</button>
                </div>
              )}
            </div>
          );
        })}
        {!p.readOnly && (
          <div class="stage-add">
            <button class="btn small" data-testid="add-stage" onClick={addStage}>＋ {t('add_stage')}</button>
          </div>
        )}

        {/* customer actions */}
        {listLane('lane_customer_actions', 'action', 'customer_actions', 'tone-action')}

        {/* touchpoints */}
        {lane('lane_touchpoints', 'tp', cols.map((c, ci) => {
          if (!c.tp) {
            const key = 'empty:' + c.stage.id;
            return (
              <div class={`cell tp-cell ${c.si % 2 ? 'alt' : ''} ${dropAt === key ? 'drop' : ''}`} key={ci}
                onDragOver={allowDrop(key)} onDrop={(e) => onDropTp(e, c.stage, 0)}>
                <div class="empty-stage">
                  <span class="muted small">{t('empty_stage')}</span>
                  {!p.readOnly && <button class="btn small" onClick={() => addTouchpoint(c.stage)}>＋ {t('add_touchpoint')}</button>}
                </div>
              </div>
            );
          }
          const tp = c.tp;
          const key = 'tp:' + tp.id;
          return (
            <div class={`cell tp-cell ${c.si % 2 ? 'alt' : ''} ${dropAt === key ? 'drop' : ''}`} key={ci}
              onDragOver={allowDrop(key)} onDrop={(e) => onDropTp(e, c.stage, c.ti)}>
              <div
                class={`tp-card cat-${tp.category} ${isSel(tp.id) ? 'selected' : ''} ${drag?.id === tp.id ? 'dragging' : ''}`}
                data-testid="touchpoint"
                data-id={tp.id}
                {...peerOutline(tp.id)}
                draggable={!p.readOnly}
                onDragStart={(e) => {
                  e.stopPropagation();
                  e.dataTransfer!.setData('text/x-cxmap-tp', tp.id);
                  e.dataTransfer!.effectAllowed = 'move';
                  setDrag({ kind: 'tp', id: tp.id });
                }}
                onDragEnd={() => {
                  setDrag(null);
                  setDropAt(null);
                }}
                onClick={() => p.select({ kind: 'touchpoint', id: tp.id })}
              >
                <div class="tp-top">
                  <span class={`cat-dot cat-${tp.category}`} title={t(`cat_${tp.category}` as Key)} />
                  <span class="tp-channel">{tp.channel || t(`cat_${tp.category}` as Key)}</span>
                  <CommentBadge n={p.commentCounts[tp.id]} onClick={() => p.openComments({ kind: 'touchpoint', id: tp.id })} />
                </div>
                <Editable value={tp.name} required readOnly={p.readOnly} class="tp-name" testid="tp-name" label={t('touchpoint')}
                  onCommit={(v) => updTp(tp.id, { name: v })} />
                <div class="tp-flags">
                  <button
                    class={`flag mot ${tp.moment_of_truth ? 'on' : ''}`}
                    disabled={p.readOnly}
                    aria-pressed={tp.moment_of_truth}
                    title={t('mot')}
                    data-testid="flag-mot"
                    onClick={(e) => {
                      e.stopPropagation();
                      updTp(tp.id, { moment_of_truth: !tp.moment_of_truth });
                    }}
                  >★ {t('mot_short')}</button>
                  <button
                    class={`flag core ${tp.core_experience ? 'on' : ''}`}
                    disabled={p.readOnly}
                    aria-pressed={tp.core_experience}
                    title={t('core')}
                    data-testid="flag-core"
                    onClick={(e) => {
                      e.stopPropagation();
                      updTp(tp.id, { core_experience: !tp.core_experience });
                    }}
                  >◆ {t('core_short')}</button>
                  {!p.readOnly && (
                    <span class="tp-move">
                      <button class="icon-btn tiny" aria-label={t('move_left')} title={t('move_left')} data-testid="tp-left"
                        onClick={(e) => {
                          e.stopPropagation();
                          const op = stepTouchpoint(j, tp.id, -1);
                          if (op) p.commit([op]);
                        }}>◀</button>
                      <button class="icon-btn tiny" aria-label={t('move_right')} title={t('move_right')} data-testid="tp-right"
                        onClick={(e) => {
                          e.stopPropagation();
                          const op = stepTouchpoint(j, tp.id, 1);
                          if (op) p.commit([op]);
                        }}>▶</button>
                    </span>
                  )}
                </div>
                <Evidence volume={p.volumes?.[tp.id]} last={tp.id === lastTouchpoint} />
              </div>
            </div>
          );
        }))}

        {listLane('lane_thoughts', 'thought', 'thoughts', 'tone-thought')}
        {p.extraLanes?.needs && listLane('lane_needs', 'need', 'needs', 'tone-need')}
        {p.extraLanes?.expectations && listLane('lane_expectations', 'need', 'expectations', 'tone-need')}

        {/* emotion curve */}
        <div class="lane-label emotion-label">
          <span class="lane-title"><span class="lane-icon li-emotion" aria-hidden="true" />{t('lane_emotion')}</span>
          <span class="emo-scale" aria-hidden="true">
            {[2, 1, 0, -1, -2].map((v) => <span style={{ top: `${yOf(v) - 7}px` }}>{v > 0 ? `+${v}` : v < 0 ? `−${-v}` : '0'}</span>)}
          </span>
        </div>
        <div class="cell emotion-cell" style={{ gridColumn: `span ${Math.max(1, cols.length)}` }}>
          <EmotionCurve cols={cols} readOnly={p.readOnly} onSet={(id, v) => updTp(id, { emotion: v })}
            onSelect={(id) => p.select({ kind: 'touchpoint', id })} />
        </div>
        {!p.readOnly && <div class="lane-end" />}

        {listLane('lane_pain_points', 'pain', 'pain_points', 'tone-pain')}
        {listLane('lane_gain_points', 'gain', 'gain_points', 'tone-gain')}

        {/* opportunities */}
        {lane('lane_opportunities', 'opp', cols.map((c, ci) => (
          <div class={`cell ${c.si % 2 ? 'alt' : ''}`} key={ci}>
            {c.tp && (
              <div class="notes tone-opp">
                {j.opportunities.filter((o) => o.touchpoint_id === c.tp!.id).map((o) => (
                  <div class={`note opp ${isSel(o.id) ? 'selected' : ''}`} data-testid="opportunity" {...peerOutline(o.id)}
                    onClick={(e) => {
                      e.stopPropagation();
                      p.select({ kind: 'opportunity', id: o.id });
                    }}>
                    <Editable value={o.title} required readOnly={p.readOnly}
                      onCommit={(v) => p.commit([{ op: 'update_opportunity', id: o.id, patch: { title: v } }])} />
                    <div class="opp-meta">
                      <span>{t('impact')} {o.impact}</span>
                      <span>{t('effort')} {o.effort}</span>
                      <span class={`pill st-${o.status}`}>{t(`st_${o.status}` as Key)}</span>
                      <CommentBadge n={p.commentCounts[o.id]} onClick={() => p.openComments({ kind: 'opportunity', id: o.id })} />
                    </div>
                  </div>
                ))}
                {!p.readOnly && (
                  <button class="add-note" aria-label={t('add_opportunity')} title={t('add_opportunity')}
                    onClick={() => {
                      const o = newOpportunity(t('new_opportunity'), c.tp!.id);
                      p.commit([{ op: 'add_opportunity', opportunity: o }]);
                      p.select({ kind: 'opportunity', id: o.id });
                    }}>＋</button>
                )}
              </div>
            )}
          </div>
        )))}

        {/* KPIs */}
        {lane('lane_kpis', 'kpi', cols.map((c, ci) => (
          <div class={`cell ${c.si % 2 ? 'alt' : ''}`} key={ci}>
            {c.tp && (
              <div class="kpis">
                {c.tp.kpis.map((k) => (
                  <div class="kpi-chip" title={`${t('kpi_target')} ${fmtNum(k.target)}${k.unit} · ${t('kpi_benchmark')} ${fmtNum(k.benchmark)}${k.unit}`}>
                    <span class="kpi-name">{k.name}</span>
                    {k.target !== undefined && <span class="kpi-val">{fmtNum(k.target)}{k.unit}</span>}
                  </div>
                ))}
                {!p.readOnly && (
                  <button class="add-note" aria-label={t('add_kpi')} title={t('add_kpi')}
                    onClick={() => {
                      updTp(c.tp!.id, { kpis: [...c.tp!.kpis, { name: t('new_kpi'), unit: '' }] });
                      p.select({ kind: 'touchpoint', id: c.tp!.id });
                    }}>＋</button>
                )}
              </div>
            )}
          </div>
        )))}

        {/* owners and backstage */}
        {lane('lane_backstage', 'back', cols.map((c, ci) => (
          <div class={`cell ${c.si % 2 ? 'alt' : ''}`} key={ci}>
            {c.tp && (
              <div>
                <div class="owner-line">
                  <span class="muted small">{t('owner')}</span>
                  <Editable value={c.tp.owner} readOnly={p.readOnly} placeholder="—" testid="tp-owner"
                    onCommit={(v) => updTp(c.tp!.id, { owner: v })} />
                </div>
                <ListEditor items={c.tp.backstage} tone="tone-back" readOnly={p.readOnly}
                  onChange={(items) => updTp(c.tp!.id, { backstage: items })} />
              </div>
            )}
          </div>
        )), 'last')}
      </div>
    </div>
  );
}

function CommentBadge({ n, onClick }: { n?: number; onClick: () => void }) {
  if (!n) return null;
  return (
    <button class="comment-badge" title={t('comments')} onClick={(e) => {
      e.stopPropagation();
      onClick();
    }}><svg width="11" height="11" viewBox="0 0 16 16" aria-hidden="true"><path d="M2 3h12v8H7l-3 3v-3H2z" fill="currentColor" /></svg> {n}</button>
  );
}

const EMO_H = 132;
const EMO_PAD = 18;

function yOf(v: number) {
  return EMO_PAD + ((2 - v) / 4) * (EMO_H - 2 * EMO_PAD);
}

function vOf(y: number) {
  const v = 2 - ((y - EMO_PAD) / (EMO_H - 2 * EMO_PAD)) * 4;
  return Math.max(-2, Math.min(2, Math.round(v)));
}

function smoothPath(pts: [number, number][]): string {
  if (pts.length === 0) return '';
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    const mx = (x0 + x1) / 2;
    d += ` C${mx},${y0} ${mx},${y1} ${x1},${y1}`;
  }
  return d;
}

function EmotionCurve(props: {
  cols: Col[];
  readOnly: boolean;
  onSet: (id: string, v: number) => void;
  onSelect: (id: string) => void;
}) {
  const [drag, setDrag] = useState<{ id: string; v: number } | null>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const width = Math.max(1, props.cols.length) * COL_W;
  const pts = props.cols
    .map((c, i) => (c.tp ? { tp: c.tp, x: i * COL_W + COL_W / 2, v: drag?.id === c.tp.id ? drag.v : c.tp.emotion } : null))
    .filter(Boolean) as { tp: Touchpoint; x: number; v: number }[];
  const line = smoothPath(pts.map((p) => [p.x, yOf(p.v)]));
  const area = pts.length ? `${line} L${pts[pts.length - 1].x},${yOf(0)} L${pts[0].x},${yOf(0)} Z` : '';
  const localY = (e: PointerEvent) => {
    const r = svgRef.current!.getBoundingClientRect();
    return ((e.clientY - r.top) / r.height) * EMO_H;
  };
  return (
    <svg ref={svgRef} class="emotion-svg" width={width} height={EMO_H} viewBox={`0 0 ${width} ${EMO_H}`} data-testid="emotion-curve"
      role="group" aria-label={t('lane_emotion')}>
      <defs>
        <linearGradient id="emo-grad" x1="0" y1="0" x2="0" y2="1">
          <stop offset="0%" stop-color="#16a34a" stop-opacity="0.18" />
          <stop offset="50%" stop-color="#a3a3a3" stop-opacity="0.04" />
          <stop offset="100%" stop-color="#dc2626" stop-opacity="0.18" />
        </linearGradient>
      </defs>
      {[-2, -1, 0, 1, 2].map((v) => (
        <line x1={0} x2={width} y1={yOf(v)} y2={yOf(v)} class={v === 0 ? 'emo-zero' : 'emo-grid'} />
      ))}
      {area && <path d={area} fill="url(#emo-grad)" />}
      {line && <path d={line} class="emo-line" />}
      {pts.map((p) => (
        <g
          class={`emo-point ${props.readOnly ? '' : 'draggable'}`}
          data-testid="emotion-point"
          data-id={p.tp.id}
          data-value={p.v}
          tabIndex={props.readOnly ? undefined : 0}
          role={props.readOnly ? 'img' : 'slider'}
          aria-label={`${p.tp.name}: ${t('emotion_value', { v: fmtSigned(p.v) })}`}
          aria-valuemin={-2}
          aria-valuemax={2}
          aria-valuenow={p.v}
          onKeyDown={(e) => {
            if (props.readOnly) return;
            const d = e.key === 'ArrowUp' ? 1 : e.key === 'ArrowDown' ? -1 : 0;
            if (!d) return;
            e.preventDefault();
            e.stopPropagation();
            const v = Math.max(-2, Math.min(2, p.tp.emotion + d));
            if (v !== p.tp.emotion) props.onSet(p.tp.id, v);
          }}
          onPointerDown={(e) => {
            props.onSelect(p.tp.id);
            if (props.readOnly) return;
            e.preventDefault();
            (e.currentTarget as Element).setPointerCapture(e.pointerId);
            setDrag({ id: p.tp.id, v: p.tp.emotion });
          }}
          onPointerMove={(e) => {
            if (!drag || drag.id !== p.tp.id) return;
            const v = vOf(localY(e));
            if (v !== drag.v) setDrag({ id: p.tp.id, v });
          }}
          onPointerUp={(e) => {
            if (!drag || drag.id !== p.tp.id) return;
            const v = vOf(localY(e));
            setDrag(null);
            if (v !== p.tp.emotion) props.onSet(p.tp.id, v);
          }}
          onPointerCancel={() => setDrag(null)}
        >
          <circle cx={p.x} cy={yOf(p.v)} r={16} class="emo-hit" />
          <circle cx={p.x} cy={yOf(p.v)} r={drag?.id === p.tp.id ? 11 : 9} fill={EMO_COLORS[String(p.v)]} class="emo-dot" />
        </g>
      ))}
    </svg>
  );
}
