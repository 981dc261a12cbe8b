import { useEffect, useState } from 'preact/hooks';
import { fmtDate, lang, t, type Key } from '../i18n';
import { api, atLeast, type Me } from '../api';
import { BASE, LangSwitch, Link, navigate } from '../ui';
import { signOut, errorText } from './auth';
import { MembersDialog } from '../editor/dialogs';

interface Project {
  id: string;
  name: string;
  description: string;
  created_at: string;
}
interface JourneySummary {
  id: string;
  project_id: string;
  title: string;
  kind: string;
  version: number;
  updated_at: string;
}

export const TEMPLATES = [
  'default_stages',
  'blank',
  'retail_online_shopping',
  'b2b_saas',
  'purchase',
  'inquiry_complaint',
  'usage_support',
  'review',
] as const;

export function Header(props: { me: Me; children?: any; right?: any }) {
  return (
    <header class="topbar">
      <Link href={`${BASE}/`} class="brand"><span class="logo" aria-hidden="true" />cxmap</Link>
      <div class="topbar-mid">{props.children}</div>
      <div class="topbar-right">
        {props.right}
        <LangSwitch />
        <span class="user-chip" title={props.me.email}>
          <span class="avatar small" style={{ background: '#64748b' }}>{initials(props.me.name || props.me.email)}</span>
          <span class="user-name">{props.me.name || props.me.email}</span>
        </span>
        <button class="btn ghost small" data-testid="sign-out" onClick={signOut}>{t('sign_out')}</button>
      </div>
    </header>
  );
}

export function initials(name: string): string {
  const s = (name || '?').trim();
  if (/[\u3131-\uD79D]/.test(s)) return s.replace(/\s+/g, '').slice(0, 1);
  const parts = s.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] || '?') + (parts[1]?.[0] || '')).toUpperCase();
}

export function HomePage({ me }: { me: Me }) {
  const [wsId, setWsId] = useState(me.workspaces[0]?.id ?? '');
  const ws = me.workspaces.find((w) => w.id === wsId);
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [projectId, setProjectId] = useState<string>('');
  const [journeys, setJourneys] = useState<JourneySummary[] | null>(null);
  const [error, setError] = useState('');
  const [newProject, setNewProject] = useState('');
  const [creating, setCreating] = useState(false);
  const [members, setMembers] = useState(false);

  useEffect(() => {
    if (!wsId) return;
    api<Project[]>('GET', `/api/v1/workspaces/${wsId}/projects`)
      .then((ps) => {
        setProjects(ps);
        const saved = localStorage.getItem('cxmap.project');
        setProjectId(ps.find((p) => p.id === saved)?.id ?? ps[0]?.id ?? '');
      })
      .catch((e) => setError(errorText(e)));
  }, [wsId]);

  useEffect(() => {
    if (!projectId) {
      setJourneys(null);
      return;
    }
    localStorage.setItem('cxmap.project', projectId);
    setJourneys(null);
    api<JourneySummary[]>('GET', `/api/v1/projects/${projectId}/journeys`)
      .then(setJourneys)
      .catch((e) => setError(errorText(e)));
  }, [projectId]);

  const canEdit = atLeast(ws?.role, 'editor');

  const addProject = async (e: Event) => {
    e.preventDefault();
    if (!newProject.trim()) return;
    try {
      const p = await api<Project>('POST', `/api/v1/workspaces/${wsId}/projects`, { name: newProject.trim() });
      setProjects([...(projects || []), p]);
      setProjectId(p.id);
      setNewProject('');
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div class="page">
      <Header me={me}>
        {me.workspaces.length > 1 ? (
          <select class="select" value={wsId} onChange={(e) => setWsId((e.target as HTMLSelectElement).value)}>
            {me.workspaces.map((w) => <option value={w.id}>{w.name}</option>)}
          </select>
        ) : (
          <span class="crumb">{ws?.name}</span>
        )}
      </Header>
      <main class="home">
        <aside class="home-side">
          <div class="side-head">
            <h2>{t('projects')}</h2>
            {ws && <button class="btn ghost small" onClick={() => setMembers(true)} data-testid="open-members">{t('members')}</button>}
          </div>
          {!ws ? <p class="muted small">{t('no_workspace')}</p> : projects === null ? <p class="muted">{t('loading')}</p> : projects.length === 0 ? <p class="muted small">{t('no_projects')}</p> : null}
          <ul class="project-list">
            {(projects || []).map((p) => (
              <li>
                <button class={`project-item ${p.id === projectId ? 'active' : ''}`} onClick={() => setProjectId(p.id)}>
                  {p.name}
                </button>
              </li>
            ))}
          </ul>
          {canEdit && (
            <form class="inline-form" onSubmit={addProject}>
              <input placeholder={t('project_name')} value={newProject} data-testid="new-project-name"
                onInput={(e) => setNewProject((e.target as HTMLInputElement).value)} />
              <button class="btn small" type="submit">{t('create')}</button>
            </form>
          )}
          <Mentions />
        </aside>
        <section class="home-main">
          <div class="section-head">
            <h1>{projects?.find((p) => p.id === projectId)?.name ?? t('journeys')}</h1>
            {canEdit && projectId && (
              <button class="btn primary" data-testid="new-journey" onClick={() => setCreating(true)}>＋ {t('new_journey')}</button>
            )}
          </div>
          {error && <p class="error">{error}</p>}
          {projectId && journeys === null && <p class="muted">{t('loading')}</p>}
          {journeys && journeys.length === 0 && <p class="muted">{t('no_journeys')}</p>}
          <div class="journey-grid">
            {(journeys || []).map((j) => (
              <Link href={`${BASE}/j/${j.id}`} class="journey-card" testid="journey-card">
                <div class="journey-card-kind">{j.kind.toUpperCase()}</div>
                <div class="journey-card-title">{j.title}</div>
                <div class="journey-card-meta">
                  {t('updated', { date: fmtDate(j.updated_at) })} · {t('version_n', { n: j.version })}
                </div>
              </Link>
            ))}
          </div>
        </section>
      </main>
      {creating && <NewJourneyDialog projectId={projectId} onClose={() => setCreating(false)} />}
      {members && ws && <MembersDialog workspace={ws} me={me} onClose={() => setMembers(false)} />}
    </div>
  );
}

function NewJourneyDialog({ projectId, onClose }: { projectId: string; onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [template, setTemplate] = useState<string>('default_stages');
  const [kind, setKind] = useState<'b2c' | 'b2b'>('b2c');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const body: any = { template, lang: lang(), kind };
      if (title.trim()) body.title = title.trim();
      const j = await api<{ id: string }>('POST', `/api/v1/projects/${projectId}/journeys`, body);
      navigate(`${BASE}/j/${j.id}`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Modal title={t('new_journey')} onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          {t('journey_title')}
          <input value={title} data-testid="journey-title-input" onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset class="template-pick">
          <legend>{t('template')}</legend>
          {TEMPLATES.map((tpl) => (
            <label class={`template-option ${template === tpl ? 'active' : ''}`}>
              <input type="radio" name="template" value={tpl} checked={template === tpl} onChange={() => setTemplate(tpl)} />
              {t(`tpl_${tpl}` as Key)}
            </label>
          ))}
        </fieldset>
        <label>
          {t('kind')}
          <select class="select" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as any)}>
            <option value="b2c">B2C</option>
            <option value="b2b">B2B</option>
          </select>
        </label>
        {error && <p class="error">{error}</p>}
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>{t('cancel')}</button>
          <button type="submit" class="btn primary" data-testid="create-journey">{t('create')}</button>
        </div>
      </form>
    </Modal>
  );
}

export function Modal(props: { title: string; onClose: () => void; children: any; wide?: boolean }) {
  useEffect(() => {
    const f = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    window.addEventListener('keydown', f);
    return () => window.removeEventListener('keydown', f);
  }, [props.onClose]);
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class={`modal ${props.wide ? 'wide' : ''}`} role="dialog" aria-modal="true" aria-label={props.title}>
        <div class="modal-head">
          <h2>{props.title}</h2>
          <button class="icon-btn" aria-label={t('close')} onClick={props.onClose}>✕</button>
        </div>
        <div class="modal-body">{props.children}</div>
      </div>
    </div>
  );
}

interface MentionComment {
  id: string;
  journey_id: string;
  author_name?: string;
  body: string;
  created_at: string;
  resolved: boolean;
}

function Mentions() {
  const [items, setItems] = useState<MentionComment[] | null>(null);
  useEffect(() => {
    api<MentionComment[]>('GET', '/api/v1/me/mentions').then(setItems).catch(() => setItems(null));
  }, []);
  if (!items || items.length === 0) return null;
  return (
    <div class="mentions" data-testid="mentions">
      <h2>{t('mentions')}</h2>
      {items.slice(0, 8).map((c) => (
        <Link href={`${BASE}/j/${c.journey_id}`} class="mention-item">
          <strong>{c.author_name || '—'}</strong> <span class="muted small">{fmtDate(c.created_at)}</span>
          <div class="mention-body">{c.body}</div>
        </Link>
      ))}
    </div>
  );
}
