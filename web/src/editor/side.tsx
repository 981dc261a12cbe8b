// The side panel: details of the selected element, personas, comments; and the audit table.
import { useEffect, useRef, useState } from 'preact/hooks';
import { fmtDate, fmtNum, fmtSigned, t, type Key } from '../i18n';
import { api, atLeast, type Role } from '../api';
import { findTouchpoint, newPersona, type Journey, type JourneyOp, type Kpi, type BuyingRole, type OppStatus } from '../ops';
import { Editable, ListEditor } from './widgets';
import type { Sel } from './grid';
import { initials } from '../pages/home';

export interface Comment {
  id: string;
  journey_id: string;
  target: { kind: string; id?: string };
  author_id?: string;
  author_name?: string;
  body: string;
  resolved: boolean;
  created_at: string;
  mentions?: string[];
}

export interface MemberLite {
  id: string;
  name: string;
  email: string;
}

function Field(props: { label: string; children: any }) {
  return (
    <div class="field">
      <div class="field-label">{props.label}</div>
      <div class="field-value">{props.children}</div>
    </div>
  );
}

export function DetailsPanel(p: { journey: Journey; sel: Sel; readOnly: boolean; commit: (ops: JourneyOp[]) => void }) {
  const j = p.journey;
  const ro = p.readOnly;
  if (p.sel?.kind === 'touchpoint' && p.sel.id) {
    const tp = findTouchpoint(j, p.sel.id);
    if (tp) {
      const upd = (patch: any) => p.commit([{ op: 'update_touchpoint', id: tp.id, patch }]);
      const stage = j.stages.find((s) => s.touchpoints.some((x) => x.id === tp.id));
      return (
        <div class="details" data-testid="details">
          <div class="details-kicker">{t('touchpoint')} · {stage?.name}</div>
          <h3><Editable value={tp.name} required readOnly={ro} onCommit={(v) => upd({ name: v })} testid="detail-name" /></h3>
          <Field label={t('channel')}><Editable value={tp.channel} readOnly={ro} placeholder="—" onCommit={(v) => upd({ channel: v })} testid="detail-channel" /></Field>
          <Field label={t('category')}>
            <select class="select" disabled={ro} value={tp.category} onChange={(e) => upd({ category: (e.target as HTMLSelectElement).value })}>
              {['digital', 'human', 'physical'].map((c) => <option value={c}>{t(`cat_${c}` as Key)}</option>)}
            </select>
          </Field>
          <Field label={t('owner')}><Editable value={tp.owner} readOnly={ro} placeholder="—" onCommit={(v) => upd({ owner: v })} /></Field>
          <Field label={t('emotion')}>
            <div class="seg" role="radiogroup" aria-label={t('emotion')}>
              {[-2, -1, 0, 1, 2].map((v) => (
                <button class={`seg-btn ${tp.emotion === v ? 'on' : ''} emo-${v}`} disabled={ro} role="radio" aria-checked={tp.emotion === v}
                  onClick={() => tp.emotion !== v && upd({ emotion: v })}>{fmtSigned(v)}</button>
              ))}
            </div>
          </Field>
          <Field label="">
            <label class="check"><input type="checkbox" disabled={ro} checked={tp.moment_of_truth} onChange={() => upd({ moment_of_truth: !tp.moment_of_truth })} /> ★ {t('mot')}</label>
            <label class="check"><input type="checkbox" disabled={ro} checked={tp.core_experience} onChange={() => upd({ core_experience: !tp.core_experience })} /> ◆ {t('core')}</label>
          </Field>
          <Field label={t('description')}><Editable value={tp.description} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ description: v })} /></Field>
          <Field label={t('lane_needs')}><ListEditor items={tp.needs} readOnly={ro} tone="tone-need" onChange={(v) => upd({ needs: v })} /></Field>
          <Field label={t('lane_expectations')}><ListEditor items={tp.expectations} readOnly={ro} tone="tone-need" onChange={(v) => upd({ expectations: v })} /></Field>
          <Field label={t('lane_kpis')}><KpiEditor kpis={tp.kpis} readOnly={ro} onChange={(k) => upd({ kpis: k })} /></Field>
        </div>
      );
    }
  }
  if (p.sel?.kind === 'stage' && p.sel.id) {
    const s = j.stages.find((x) => x.id === p.sel!.id);
    if (s) {
      const upd = (patch: any) => p.commit([{ op: 'update_stage', id: s.id, patch }]);
      return (
        <div class="details" data-testid="details">
          <div class="details-kicker">{t('stage')}</div>
          <h3><Editable value={s.name} required readOnly={ro} onCommit={(v) => upd({ name: v })} /></h3>
          <Field label={t('description')}><Editable value={s.description} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ description: v })} /></Field>
          <Field label={t('lane_touchpoints')}>{s.touchpoints.length}</Field>
        </div>
      );
    }
  }
  if (p.sel?.kind === 'opportunity' && p.sel.id) {
    const o = j.opportunities.find((x) => x.id === p.sel!.id);
    if (o) {
      const upd = (patch: any) => p.commit([{ op: 'update_opportunity', id: o.id, patch }]);
      return (
        <div class="details" data-testid="details">
          <div class="details-kicker">{t('lane_opportunities')}</div>
          <h3><Editable value={o.title} required readOnly={ro} onCommit={(v) => upd({ title: v })} /></h3>
          <Field label={t('description')}><Editable value={o.description} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ description: v })} /></Field>
          <Field label={t('impact')}><LevelPick value={o.impact} readOnly={ro} onChange={(v) => upd({ impact: v })} /></Field>
          <Field label={t('effort')}><LevelPick value={o.effort} readOnly={ro} onChange={(v) => upd({ effort: v })} /></Field>
          <Field label={t('status')}>
            <select class="select" disabled={ro} value={o.status} onChange={(e) => upd({ status: (e.target as HTMLSelectElement).value as OppStatus })}>
              {['idea', 'in_progress', 'testing', 'done', 'dropped'].map((s) => <option value={s}>{t(`st_${s}` as Key)}</option>)}
            </select>
          </Field>
          {!ro && <button class="btn small danger" onClick={() => p.commit([{ op: 'remove_opportunity', id: o.id }])}>{t('remove')}</button>}
        </div>
      );
    }
  }
  const upd = (patch: any) => p.commit([{ op: 'update_journey', patch }]);
  return (
    <div class="details" data-testid="details">
      <div class="details-kicker">{t('journey')} · {j.kind.toUpperCase()}</div>
      <h3><Editable value={j.title} required readOnly={ro} onCommit={(v) => upd({ title: v })} /></h3>
      <Field label={t('kind')}>
        <select class="select" disabled={ro} value={j.kind} onChange={(e) => upd({ kind: (e.target as HTMLSelectElement).value })}>
          <option value="b2c">B2C</option>
          <option value="b2b">B2B</option>
        </select>
      </Field>
      <Field label={t('goal')}><Editable value={j.goal} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ goal: v })} /></Field>
      <Field label={t('scope')}><Editable value={j.scope} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ scope: v })} /></Field>
      <Field label={t('value_proposition')}><Editable value={j.value_proposition} multiline readOnly={ro} placeholder="—" onCommit={(v) => upd({ value_proposition: v })} /></Field>
      <p class="muted small">{t('select_hint')}</p>
    </div>
  );
}

function LevelPick({ value, onChange, readOnly }: { value: number; onChange: (v: number) => void; readOnly: boolean }) {
  return (
    <div class="seg">
      {[1, 2, 3, 4, 5].map((v) => (
        <button class={`seg-btn ${value === v ? 'on' : ''}`} disabled={readOnly} onClick={() => v !== value && onChange(v)}>{fmtNum(v)}</button>
      ))}
    </div>
  );
}

function KpiEditor({ kpis, onChange, readOnly }: { kpis: Kpi[]; onChange: (k: Kpi[]) => void; readOnly: boolean }) {
  const set = (i: number, patch: Partial<Kpi>) => {
    const next = kpis.map((k) => ({ ...k }));
    Object.assign(next[i], patch);
    for (const key of ['target', 'benchmark'] as const) if (next[i][key] === undefined) delete next[i][key];
    onChange(next);
  };
  const num = (v: string) => {
    const n = parseFloat(v.replace(',', '.'));
    return Number.isFinite(n) ? n : undefined;
  };
  return (
    <div class="kpi-editor">
      {kpis.length > 0 && (
        <table class="table compact">
          <thead><tr><th>{t('kpi_name')}</th><th>{t('kpi_unit')}</th><th>{t('kpi_target')}</th><th>{t('kpi_benchmark')}</th><th /></tr></thead>
          <tbody>
            {kpis.map((k, i) => (
              <tr>
                <td><Editable value={k.name} required readOnly={readOnly} onCommit={(v) => set(i, { name: v })} /></td>
                <td><Editable value={k.unit} readOnly={readOnly} placeholder="—" onCommit={(v) => set(i, { unit: v })} /></td>
                <td><Editable value={k.target === undefined ? '' : String(k.target)} readOnly={readOnly} placeholder="—" onCommit={(v) => set(i, { target: num(v) })} /></td>
                <td><Editable value={k.benchmark === undefined ? '' : String(k.benchmark)} readOnly={readOnly} placeholder="—" onCommit={(v) => set(i, { benchmark: num(v) })} /></td>
                <td>{!readOnly && <button class="icon-btn tiny" aria-label={t('remove')} onClick={() => onChange(kpis.filter((_, x) => x !== i))}>✕</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!readOnly && <button class="btn small" onClick={() => onChange([...kpis, { name: t('new_kpi'), unit: '' }])}>＋ {t('add_kpi')}</button>}
    </div>
  );
}

let emojiCache: boolean | null = null;
/** Whether this browser has a colour emoji font (headless Linux often has none). */
export function emojiOk(): boolean {
  if (emojiCache !== null) return emojiCache;
  try {
    const c = document.createElement('canvas');
    c.width = c.height = 24;
    const g = c.getContext('2d')!;
    g.textBaseline = 'top';
    g.font = '20px sans-serif';
    g.fillText('😀', 0, 0);
    const d = g.getImageData(0, 0, 24, 24).data;
    emojiCache = false;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) {
        emojiCache = true;
        break;
      }
    }
  } catch {
    emojiCache = false;
  }
  return emojiCache;
}

const AVATAR_COLORS = ['#e0e7ff', '#fce7f3', '#dcfce7', '#fef3c7', '#e0f2fe', '#ede9fe'];
function avatarColor(name: string) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length];
}

const BUYING_ROLES: BuyingRole[] = ['initiator', 'user', 'influencer', 'decider', 'buyer', 'gatekeeper'];

export function PersonasPanel(p: { journey: Journey; readOnly: boolean; sel: Sel; commit: (ops: JourneyOp[]) => void; select: (s: Sel) => void }) {
  const j = p.journey;
  const ro = p.readOnly;
  return (
    <div class="personas" data-testid="personas">
      {j.personas.map((per) => {
        const upd = (patch: any) => p.commit([{ op: 'update_persona', id: per.id, patch }]);
        return (
          <div class={`persona-card ${p.sel?.id === per.id ? 'selected' : ''}`} data-testid="persona" onClick={() => p.select({ kind: 'persona', id: per.id })}>
            <div class="persona-head">
              <div class="persona-avatar" style={{ background: avatarColor(per.name) }}>
                {/^https?:\/\//.test(per.avatar) ? <img src={per.avatar} alt="" /> : emojiOk() && per.avatar ? (
                  <Editable value={per.avatar} readOnly={ro} label={t('avatar')} onCommit={(v) => upd({ avatar: v })} />
                ) : (
                  <span class="persona-initial" title={per.avatar}>{initials(per.name)}</span>
                )}
              </div>
              <div class="persona-title">
                <div class="persona-name"><Editable value={per.name} required readOnly={ro} onCommit={(v) => upd({ name: v })} testid="persona-name" /></div>
                {(j.kind === 'b2b' || per.role) && (
                  <select class="select small" disabled={ro} value={per.role ?? ''} onChange={(e) => {
                    const v = (e.target as HTMLSelectElement).value;
                    if (v) upd({ role: v });
                  }}>
                    <option value="" disabled>{t('buying_role')}</option>
                    {BUYING_ROLES.map((r) => <option value={r}>{t(`br_${r}` as Key)}</option>)}
                  </select>
                )}
              </div>
              {!ro && <button class="icon-btn tiny" aria-label={t('remove')} title={t('remove')} onClick={(e) => {
                e.stopPropagation();
                p.commit([{ op: 'remove_persona', id: per.id }]);
              }}>✕</button>}
            </div>
            <div class="persona-desc"><Editable value={per.description} multiline readOnly={ro} placeholder={t('description')} onCommit={(v) => upd({ description: v })} /></div>
            <blockquote class="persona-quote"><Editable value={per.quote} multiline readOnly={ro} placeholder={t('quote')} onCommit={(v) => upd({ quote: v })} /></blockquote>
            <div class="field-label">{t('goals')}</div>
            <ListEditor items={per.goals} readOnly={ro} tone="tone-gain" onChange={(v) => upd({ goals: v })} />
            <div class="field-label">{t('frustrations')}</div>
            <ListEditor items={per.frustrations} readOnly={ro} tone="tone-pain" onChange={(v) => upd({ frustrations: v })} />
          </div>
        );
      })}
      {!ro && (
        <button class="btn small" data-testid="add-persona" onClick={() => {
          const per = newPersona(t('new_persona'));
          p.commit([{ op: 'add_persona', persona: per }]);
          p.select({ kind: 'persona', id: per.id });
        }}>＋ {t('add_persona')}</button>
      )}
    </div>
  );
}

export function targetOf(sel: Sel): { kind: string; id?: string } {
  if (!sel || sel.kind === 'journey' || !sel.id) return { kind: 'journey' };
  return { kind: sel.kind, id: sel.id };
}

export function describeTarget(j: Journey, target: { kind: string; id?: string }): string {
  switch (target.kind) {
    case 'stage':
      return j.stages.find((s) => s.id === target.id)?.name ?? t('stage');
    case 'touchpoint':
      return (target.id && findTouchpoint(j, target.id)?.name) || t('touchpoint');
    case 'persona':
      return j.personas.find((x) => x.id === target.id)?.name ?? t('personas');
    case 'opportunity':
      return j.opportunities.find((x) => x.id === target.id)?.title ?? t('lane_opportunities');
    default:
      return t('the_journey');
  }
}

export function CommentsPanel(p: {
  journey: Journey;
  comments: Comment[];
  sel: Sel;
  role: Role | null;
  members: MemberLite[];
  meId: string;
  meName: string;
  reload: () => void;
  select: (s: Sel) => void;
}) {
  const target = targetOf(p.sel);
  const [body, setBody] = useState('');
  const [error, setError] = useState('');
  const [showResolved, setShowResolved] = useState(false);
  const [mention, setMention] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const canComment = atLeast(p.role, 'commenter');
  const list = p.comments.filter(
    (c) => (target.kind === 'journey' ? true : c.target.kind === target.kind && c.target.id === target.id) && (showResolved || !c.resolved),
  );
  const post = async (e: Event) => {
    e.preventDefault();
    if (!body.trim()) return;
    setError('');
    try {
      await api('POST', `/api/v1/journeys/${p.journey.id}/comments`, { target, body: body.trim() });
      setBody('');
      p.reload();
    } catch (err: any) {
      setError(t('err_generic', { msg: err.message }));
    }
  };
  const onInput = (v: string) => {
    setBody(v);
    const caret = ref.current?.selectionStart ?? v.length;
    const m = v.slice(0, caret).match(/@([^\s@]*)$/);
    setMention(m ? m[1].toLowerCase() : null);
  };
  const suggestions = mention === null ? [] : p.members.filter((m) =>
    m.name.toLowerCase().includes(mention) || m.email.toLowerCase().includes(mention)).slice(0, 6);
  const insertMention = (m: MemberLite) => {
    const el = ref.current;
    const caret = el?.selectionStart ?? body.length;
    const before = body.slice(0, caret).replace(/@([^\s@]*)$/, '');
    const handle = /\s/.test(m.name) || !m.name ? m.email : m.name;
    const next = `${before}@${handle} ${body.slice(caret)}`;
    setBody(next);
    setMention(null);
    el?.focus();
  };
  return (
    <div class="comments" data-testid="comments">
      <div class="comments-head">
        <div class="details-kicker">{t('comments_on', { what: describeTarget(p.journey, target) })}</div>
        <label class="check small"><input type="checkbox" checked={showResolved} onChange={() => setShowResolved(!showResolved)} /> {t('show_resolved')}</label>
      </div>
      {list.length === 0 && <p class="muted small">{t('no_comments')}</p>}
      {list.map((c) => (
        <div class={`comment ${c.resolved ? 'resolved' : ''}`} data-testid="comment">
          <div class="comment-meta">
            <strong>{c.author_name || (c.author_id && c.author_id === p.meId ? p.meName : t('guest'))}</strong>
            <span class="muted small">{fmtDate(c.created_at)}</span>
          </div>
          {target.kind === 'journey' && c.target.kind !== 'journey' && (
            <button class="link small" onClick={() => p.select({ kind: c.target.kind as any, id: c.target.id })}>
              ↳ {describeTarget(p.journey, c.target)}
            </button>
          )}
          <div class="comment-body">{renderMentions(c.body)}</div>
          {canComment && (
            <button class="link small" onClick={async () => {
              await api('PATCH', `/api/v1/journeys/${p.journey.id}/comments/${c.id}`, { resolved: !c.resolved }).catch(() => {});
              p.reload();
            }}>{c.resolved ? t('reopen') : `✓ ${t('resolve')}`}</button>
          )}
        </div>
      ))}
      {canComment && (
        <form class="comment-form" onSubmit={post}>
          <div class="mention-wrap">
            <textarea ref={ref} rows={3} value={body} placeholder={t('write_comment')} data-testid="comment-input"
              onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                e.stopPropagation();
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) post(e);
                if (e.key === 'Enter' && suggestions.length && mention !== null) {
                  e.preventDefault();
                  insertMention(suggestions[0]);
                }
              }} />
            {suggestions.length > 0 && (
              <div class="menu mention-menu">
                {suggestions.map((m) => (
                  <button type="button" onMouseDown={(e) => {
                    e.preventDefault();
                    insertMention(m);
                  }}>{m.name} <span class="muted small">{m.email}</span></button>
                ))}
              </div>
            )}
          </div>
          {error && <p class="error">{error}</p>}
          <button class="btn primary small" type="submit" data-testid="comment-post">{t('post')}</button>
        </form>
      )}
    </div>
  );
}

function renderMentions(body: string) {
  return body.split(/(@[^\s@]+(?:@[^\s@]+)?)/g).map((part) => (part.startsWith('@') ? <span class="mention">{part}</span> : part));
}

export function AuditTable({ journey, select }: { journey: Journey; select: (s: Sel) => void }) {
  const rows = journey.stages.flatMap((s) => s.touchpoints.map((tp) => ({ s, tp })));
  return (
    <div class="audit-wrap" data-testid="audit">
      <table class="table audit">
        <thead>
          <tr>
            <th>#</th>
            <th>{t('col_stage')}</th>
            <th>{t('col_touchpoint')}</th>
            <th>{t('col_channel')}</th>
            <th>{t('col_category')}</th>
            <th>{t('col_owner')}</th>
            <th class="num">{t('col_emotion')}</th>
            <th>{t('col_flags')}</th>
            <th>{t('col_kpis')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ s, tp }, i) => (
            <tr data-testid="audit-row" onClick={() => select({ kind: 'touchpoint', id: tp.id })}>
              <td class="muted">{fmtNum(i + 1)}</td>
              <td>{s.name}</td>
              <td><strong>{tp.name}</strong></td>
              <td>{tp.channel}</td>
              <td><span class={`cat-dot cat-${tp.category}`} /> {t(`cat_${tp.category}` as Key)}</td>
              <td>{tp.owner}</td>
              <td class={`num emo-text-${tp.emotion}`}>{fmtSigned(tp.emotion)}</td>
              <td>{tp.moment_of_truth && <span class="pill mot">★ {t('mot_short')}</span>} {tp.core_experience && <span class="pill core">◆ {t('core_short')}</span>}</td>
              <td>{tp.kpis.map((k) => (
                <div class="small">{k.name}{k.target !== undefined ? ` · ${t('kpi_target')} ${fmtNum(k.target)}${k.unit}` : ''}{k.benchmark !== undefined ? ` · ${t('kpi_benchmark')} ${fmtNum(k.benchmark)}${k.unit}` : ''}</div>
              ))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function useComments(journeyId: string, enabled: boolean) {
  const [comments, setComments] = useState<Comment[]>([]);
  const reload = () => {
    if (!enabled) return;
    api<Comment[]>('GET', `/api/v1/journeys/${journeyId}/comments`).then(setComments).catch(() => {});
  };
  useEffect(() => {
    reload();
    const timer = setInterval(reload, 15_000);
    return () => clearInterval(timer);
  }, [journeyId, enabled]);
  return { comments, reload };
}
