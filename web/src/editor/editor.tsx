import { useEffect, useLayoutEffect, useMemo, useState, useCallback } from 'preact/hooks';
import { t, type Key } from '../i18n';
import { api, atLeast, type Me, type WorkspaceRole } from '../api';
import { LiveSession } from '../live';
import { findTouchpoint, newTouchpoint, type JourneyOp } from '../ops';
import { BASE, Link } from '../ui';
import { Header, initials } from '../pages/home';
import { JourneyGrid, stepStage, stepTouchpoint, type Sel, type TouchpointVolume } from './grid';
import { ExportMenu, HelpDialog, MembersDialog, ShareDialog } from './dialogs';
import { AnalyticsDialog } from './analytics';
import { AuditTable, CommentsPanel, DetailsPanel, PersonasPanel, useComments, type MemberLite } from './side';
import { Editable } from './widgets';

type Panel = 'details' | 'personas' | 'comments';

function useSession(journeyId: string) {
  const session = useMemo(() => new LiveSession(journeyId), [journeyId]);
  const [, force] = useState(0);
  useEffect(() => {
    const off = session.subscribe(() => force((n) => n + 1));
    // The session connects as soon as it exists: whatever it heard before this subscription
    // (e.g. a fast hello) must still be shown.
    force((n) => n + 1);
    (window as any).__cxmap = session;
    return () => {
      off();
      session.close();
    };
  }, [session]);
  return session;
}

export function EditorPage({ journeyId, me }: { journeyId: string; me: Me }) {
  const s = useSession(journeyId);
  const [sel, setSel] = useState<Sel>(null);
  const [view, setView] = useState<'map' | 'audit'>('map');
  const [panel, setPanel] = useState<Panel>('details');
  const [dialog, setDialog] = useState<'share' | 'members' | 'help' | 'analytics' | null>(null);
  const [exportOpen, setExportOpen] = useState(false);
  const [lanesOpen, setLanesOpen] = useState(false);
  const [extraLanes, setExtraLanes] = useState<{ needs: boolean; expectations: boolean }>(() => {
    try {
      return { needs: false, expectations: false, ...JSON.parse(localStorage.getItem('cxmap.lanes') || '{}') };
    } catch {
      return { needs: false, expectations: false };
    }
  });
  const toggleLane = (k: 'needs' | 'expectations') => {
    const next = { ...extraLanes, [k]: !extraLanes[k] };
    setExtraLanes(next);
    try {
      localStorage.setItem('cxmap.lanes', JSON.stringify(next));
    } catch {
      /* ignore */
    }
  };
  const [toast, setToast] = useState('');
  // What the event log shows per touchpoint, refreshed each minute (events keep arriving).
  const [volumes, setVolumes] = useState<Record<string, TouchpointVolume>>({});
  useEffect(() => {
    const load = () =>
      api<{ touchpoints: ({ id: string } & TouchpointVolume)[] }>('GET', `/api/v1/journeys/${journeyId}/analytics/touchpoints`)
        .then((r) => setVolumes(Object.fromEntries(r.touchpoints.map((v) => [v.id, v]))))
        .catch(() => setVolumes({}));
    load();
    const timer = setInterval(load, 60_000);
    return () => clearInterval(timer);
  }, [journeyId]);
  const [workspace, setWorkspace] = useState<WorkspaceRole | null>(null);
  const [members, setMembers] = useState<MemberLite[]>([]);
  const j = s.view;
  const role = s.role;
  const readOnly = !s.canEdit;
  const { comments, reload } = useComments(journeyId, !!role);

  useEffect(() => {
    if (!j?.project_id || workspace) return;
    api<{ workspace_id: string }>('GET', `/api/v1/projects/${j.project_id}`)
      .then((p) => {
        const ws = me.workspaces.find((w) => w.id === p.workspace_id);
        if (ws) {
          setWorkspace(ws);
          api<{ user: MemberLite }[]>('GET', `/api/v1/workspaces/${ws.id}/members`)
            .then((ms) => setMembers(ms.map((m) => m.user)))
            .catch(() => {});
        }
      })
      .catch(() => {});
  }, [j?.project_id]);

  useEffect(() => {
    if (!s.lastError) return;
    const code = s.lastError.code;
    setToast(code === 'undo_conflict' ? t('undo_conflict') : t('rejected', { code }));
    s.lastError = null;
    const timer = setTimeout(() => setToast(''), 4000);
    return () => clearTimeout(timer);
  }, [s.lastError]);

  const select = useCallback((next: Sel) => {
    setSel(next);
    s.select(next?.id ?? null);
  }, [s]);

  const commit = useCallback((ops: JourneyOp[]) => {
    if (readOnly) return;
    s.commit(ops);
  }, [s, readOnly]);

  const openComments = (target: Sel) => {
    select(target);
    setPanel('comments');
  };

  // A layout effect: the handler that knows the new selection is in place as soon as the
  // selection shows, so a key pressed right after a click acts on what was clicked.
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      const typing = el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !typing && (e.key === 'z' || e.key === 'Z')) {
        e.preventDefault();
        if (readOnly) return;
        if (e.shiftKey) s.redo();
        else s.undo();
        return;
      }
      if (mod && !typing && (e.key === 'y' || e.key === 'Y')) {
        e.preventDefault();
        if (!readOnly) s.redo();
        return;
      }
      if (typing || mod) return;
      if (e.key === '?') {
        e.preventDefault();
        setDialog('help');
        return;
      }
      if (e.key === 'Escape') {
        if (dialog) setDialog(null);
        else select(null);
        return;
      }
      if (!s.view) return;
      const id = sel?.id;
      if ((e.key === 'c' || e.key === 'C') && !e.altKey) {
        e.preventDefault();
        setPanel('comments');
        return;
      }
      if (readOnly || !id) return;
      if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        if (sel?.kind === 'touchpoint') commit([{ op: 'remove_touchpoint', id }]);
        else if (sel?.kind === 'stage') {
          const st = s.view.stages.find((x) => x.id === id);
          if (st?.touchpoints.length && !confirm(t('confirm_remove_stage', { name: st.name, n: st.touchpoints.length }))) return;
          commit([{ op: 'remove_stage', id }]);
        }
        else if (sel?.kind === 'opportunity') commit([{ op: 'remove_opportunity', id }]);
        else if (sel?.kind === 'persona') commit([{ op: 'remove_persona', id }]);
        select(null);
      } else if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        e.preventDefault();
        const dir = e.key === 'ArrowLeft' ? -1 : 1;
        const op = sel?.kind === 'touchpoint' ? stepTouchpoint(s.view, id, dir) : sel?.kind === 'stage' ? stepStage(s.view, id, dir) : null;
        if (op) commit([op]);
      } else if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && sel?.kind === 'touchpoint') {
        const tp = findTouchpoint(s.view, id);
        if (!tp) return;
        e.preventDefault();
        const v = Math.max(-2, Math.min(2, tp.emotion + (e.key === 'ArrowUp' ? 1 : -1)));
        if (v !== tp.emotion) commit([{ op: 'update_touchpoint', id, patch: { emotion: v } }]);
      } else if ((e.key === 'n' || e.key === 'N') && sel?.kind === 'stage') {
        e.preventDefault();
        const tp = newTouchpoint(t('new_touchpoint'));
        commit([{ op: 'add_touchpoint', stage_id: id, touchpoint: tp }]);
        select({ kind: 'touchpoint', id: tp.id });
      } else if (e.key === 'Enter' || e.key === 'F2') {
        const target = document.querySelector(`[data-id="${id}"] .editable`) as HTMLElement | null;
        if (target) {
          e.preventDefault();
          target.click();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [s, sel, readOnly, dialog, commit, select]);

  const commentCounts = useMemo(() => {
    const m: Record<string, number> = {};
    for (const c of comments) if (!c.resolved && c.target.id) m[c.target.id] = (m[c.target.id] || 0) + 1;
    return m;
  }, [comments]);

  const status =
    s.status === 'signed_out' ? (
      <a class="badge offline" data-testid="signed-out" href={`${BASE}/login?next=${encodeURIComponent(location.pathname)}`}>{t('signed_out')}</a>
    ) : s.status === 'offline' ? (
      <span class="badge offline" data-testid="offline-badge" role="status">● {t('offline')}{s.pending.length ? ` · ${s.pending.length}` : ''}</span>
    ) : s.status === 'connecting' ? (
      <span class="badge" role="status">{t('connecting')}</span>
    ) : s.pending.length ? (
      <span class="badge saving" role="status" data-testid="saving">{t('saving', { n: s.pending.length })}</span>
    ) : (
      <span class="badge ok" role="status" data-testid="saved">✓ {t('saved')}</span>
    );

  const others = s.peers.filter((p) => p.session !== s.me?.session);

  return (
    <div class="page editor-page" data-testid="editor" data-role={role ?? ''} data-readonly={readOnly ? 'true' : 'false'} data-status={s.status}>
      <Header
        me={me}
        right={
          <div class="presence" data-testid="presence" aria-label={t('here_now', { n: s.peers.length })}>
            {others.slice(0, 6).map((p) => (
              <span class="avatar" style={{ background: p.color }} title={p.name} data-testid="peer">{initials(p.name)}</span>
            ))}
            {others.length > 6 && <span class="avatar more">+{others.length - 6}</span>}
          </div>
        }
      >
        <Link href={`${BASE}/`} class="crumb link">← {t('back')}</Link>
        <span class="crumb-sep">/</span>
        {j ? (
          <Editable value={j.title} required readOnly={readOnly} class="journey-title" testid="journey-title"
            onCommit={(v) => commit([{ op: 'update_journey', patch: { title: v } }])} />
        ) : <span class="muted">{t('loading')}</span>}
        {status}
        {role && readOnly && <span class="badge ro" data-testid="readonly-badge">{t('read_only')} · {t(`role_${role}` as Key)}</span>}
      </Header>
      <div class="toolbar">
        <div class="tabs" role="tablist">
          <button role="tab" aria-selected={view === 'map'} class={`tab ${view === 'map' ? 'on' : ''}`} onClick={() => setView('map')}>{t('map')}</button>
          <button role="tab" aria-selected={view === 'audit'} class={`tab ${view === 'audit' ? 'on' : ''}`} data-testid="tab-audit" onClick={() => setView('audit')}>{t('audit')}</button>
        </div>
        <div class="toolbar-right">
          {!readOnly && (
            <>
              <button class="btn ghost small" disabled={!s.canUndo()} onClick={() => s.undo()} title={`${t('undo')} (Ctrl+Z)`} data-testid="undo">↶ {t('undo')}</button>
              <button class="btn ghost small" disabled={!s.canRedo()} onClick={() => s.redo()} title={`${t('redo')} (Ctrl+Shift+Z)`} data-testid="redo">↷ {t('redo')}</button>
              <span class="sep" />
            </>
          )}
          <div class="menu-anchor">
            <button class="btn ghost small" data-testid="lanes" onClick={() => setLanesOpen(!lanesOpen)}>{t('lanes')} ▾</button>
            {lanesOpen && (
              <div class="menu" role="menu" onMouseLeave={() => setLanesOpen(false)}>
                {(['needs', 'expectations'] as const).map((k) => (
                  <label class="check menu-check">
                    <input type="checkbox" checked={extraLanes[k]} onChange={() => toggleLane(k)} /> {t(`lane_${k}` as Key)}
                  </label>
                ))}
              </div>
            )}
          </div>
          <div class="menu-anchor">
            <button class="btn ghost small" data-testid="export" onClick={() => setExportOpen(!exportOpen)}>{t('export')} ▾</button>
            {exportOpen && <ExportMenu journeyId={journeyId} onClose={() => setExportOpen(false)} />}
          </div>
          <button class="btn ghost small" data-testid="open-analytics" onClick={() => setDialog('analytics')}>{t('analytics')}</button>
          {role === 'owner' && <button class="btn ghost small" data-testid="open-share" onClick={() => setDialog('share')}>{t('share')}</button>}
          {workspace && <button class="btn ghost small" data-testid="open-members-editor" onClick={() => setDialog('members')}>{t('members')}</button>}
          <button class="btn ghost small" data-testid="open-help" onClick={() => setDialog('help')} title={t('help')}>?</button>
        </div>
      </div>
      <div class="editor-body">
        <div class="canvas" onClick={(e) => {
          if (e.target === e.currentTarget) select(null);
        }}>
          {!j ? (
            <div class="center-page"><p class="muted">{s.status === 'offline' ? t('offline') : t('loading')}</p></div>
          ) : view === 'map' ? (
            <JourneyGrid journey={j} readOnly={readOnly} sel={sel} peers={s.peers} mySession={s.me?.session}
              commentCounts={commentCounts} commit={commit} select={select} openComments={openComments} extraLanes={extraLanes}
              volumes={volumes} />
          ) : (
            <AuditTable journey={j} select={(x) => {
              select(x);
              setPanel('details');
            }} />
          )}
        </div>
        {j && (
          <aside class="side">
            <div class="side-tabs" role="tablist">
              {(['details', 'personas', 'comments'] as Panel[]).map((p) => (
                <button role="tab" aria-selected={panel === p} class={`tab ${panel === p ? 'on' : ''}`} data-testid={`panel-${p}`} onClick={() => setPanel(p)}>
                  {t(p)}{p === 'comments' && comments.filter((c) => !c.resolved).length ? ` ${comments.filter((c) => !c.resolved).length}` : ''}
                  {p === 'personas' ? ` ${j.personas.length}` : ''}
                </button>
              ))}
            </div>
            <div class="side-body">
              {panel === 'details' && <DetailsPanel journey={j} sel={sel} readOnly={readOnly} commit={commit} />}
              {panel === 'personas' && <PersonasPanel journey={j} sel={sel} readOnly={readOnly} commit={commit} select={select} />}
              {panel === 'comments' && (
                <CommentsPanel journey={j} comments={comments} sel={sel} role={role} members={members} meId={me.id} meName={me.name || me.email} reload={reload} select={select} />
              )}
            </div>
          </aside>
        )}
      </div>
      {toast && <div class="toast" role="alert" data-testid="toast">{toast}</div>}
      {dialog === 'share' && <ShareDialog journeyId={journeyId} onClose={() => setDialog(null)} />}
      {dialog === 'members' && workspace && <MembersDialog workspace={workspace} me={me} onClose={() => setDialog(null)} />}
      {dialog === 'help' && <HelpDialog onClose={() => setDialog(null)} />}
      {dialog === 'analytics' && j && <AnalyticsDialog journeyId={journeyId} touchpoints={j.stages.flatMap((st) => st.touchpoints.map((tp) => tp.name))} onClose={() => setDialog(null)} />}
    </div>
  );
}

export { atLeast };
