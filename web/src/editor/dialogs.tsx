import { useEffect, useState } from 'preact/hooks';
import { fmtDate, lang, t, type Key } from '../i18n';
import { api, ApiError, type Me, type Role, type WorkspaceRole } from '../api';
import { Modal } from '../pages/home';

function errText(e: unknown) {
  if (e instanceof ApiError && e.code === 'last_owner') return t('err_last_owner');
  return t('err_generic', { msg: e instanceof Error ? e.message : String(e) });
}

interface Share {
  id: string;
  role: Role;
  expires_at: string | null;
  created_at: string;
  revoked: boolean;
  token?: string;
  url?: string;
}

export function ShareDialog({ journeyId, onClose }: { journeyId: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [role, setRole] = useState<Role>('viewer');
  const [expiry, setExpiry] = useState('');
  const [created, setCreated] = useState<Share | null>(null);
  const [error, setError] = useState('');
  const [copied, setCopied] = useState(false);
  const load = () =>
    api<Share[]>('GET', `/api/v1/journeys/${journeyId}/shares`).then(setShares).catch((e) => setError(errText(e)));
  useEffect(() => {
    load();
  }, [journeyId]);
  const create = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const body: any = { role };
      if (expiry) body.expires_at = new Date(expiry).toISOString();
      const s = await api<Share>('POST', `/api/v1/journeys/${journeyId}/shares`, body);
      if (!s.url && s.token) s.url = `${location.origin}/app/share/${s.token}`;
      setCreated(s);
      setCopied(false);
      load();
    } catch (err) {
      setError(errText(err));
    }
  };
  const revoke = async (id: string) => {
    try {
      await api('DELETE', `/api/v1/journeys/${journeyId}/shares/${id}`);
      load();
    } catch (err) {
      setError(errText(err));
    }
  };
  return (
    <Modal title={t('share_title')} onClose={onClose} wide>
      <form class="share-form" onSubmit={create}>
        <label>
          {t('share_role')}
          <select class="select" value={role} data-testid="share-role" onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            {(['viewer', 'commenter', 'editor'] as Role[]).map((r) => <option value={r}>{t(`role_${r}` as Key)}</option>)}
          </select>
        </label>
        <label>
          {t('expires')}
          <input type="datetime-local" value={expiry} onInput={(e) => setExpiry((e.target as HTMLInputElement).value)} />
        </label>
        <button class="btn primary" type="submit" data-testid="share-create">{t('create_link')}</button>
      </form>
      {created && (
        <div class="share-created">
          <div class="muted small">{t('link_created')}</div>
          <div class="copy-row">
            <input readOnly value={created.url} data-testid="share-url" onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <button class="btn small" onClick={() => {
              navigator.clipboard?.writeText(created.url || '').then(() => setCopied(true), () => {});
            }}>{copied ? t('copied') : t('copy')}</button>
          </div>
        </div>
      )}
      {error && <p class="error">{error}</p>}
      {shares && shares.length === 0 && <p class="muted">{t('no_links')}</p>}
      {shares && shares.length > 0 && (
        <table class="table">
          <thead>
            <tr><th>{t('share_role')}</th><th>{t('expires')}</th><th>{t('created')}</th><th /></tr>
          </thead>
          <tbody>
            {shares.map((s) => (
              <tr class={s.revoked ? 'revoked' : ''}>
                <td>{t(`role_${s.role}` as Key)}</td>
                <td>{s.expires_at ? fmtDate(s.expires_at) : t('never')}</td>
                <td>{fmtDate(s.created_at)}</td>
                <td class="right">
                  {s.revoked ? <span class="muted">{t('revoked')}</span> : (
                    <button class="btn small danger" onClick={() => revoke(s.id)}>{t('revoke')}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Modal>
  );
}

interface Member {
  user: { id: string; email: string; name: string };
  role: Role;
}

export function MembersDialog({ workspace, me, onClose }: { workspace: WorkspaceRole; me: Me; onClose: () => void }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [error, setError] = useState('');
  const isOwner = workspace.role === 'owner';
  const base = `/api/v1/workspaces/${workspace.id}/members`;
  const load = () => api<Member[]>('GET', base).then(setMembers).catch((e) => setError(errText(e)));
  useEffect(() => {
    load();
  }, [workspace.id]);
  const act = async (f: () => Promise<unknown>) => {
    setError('');
    try {
      await f();
      load();
    } catch (e) {
      setError(errText(e));
    }
  };
  return (
    <Modal title={t('members_title')} onClose={onClose} wide>
      {isOwner ? (
        <form class="share-form" onSubmit={(e) => {
          e.preventDefault();
          act(() => api('POST', base, { email: email.trim(), role })).then(() => setEmail(''));
        }}>
          <label>
            {t('invite_email')}
            <input type="email" required value={email} data-testid="invite-email" onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            {t('share_role')}
            <RoleSelect value={role} onChange={setRole} />
          </label>
          <button class="btn primary" type="submit" data-testid="invite-submit">{t('invite')}</button>
        </form>
      ) : (
        <p class="muted small">{t('only_owner')}</p>
      )}
      {error && <p class="error">{error}</p>}
      {members && (
        <table class="table">
          <thead><tr><th>{t('name')}</th><th>{t('email')}</th><th>{t('share_role')}</th><th /></tr></thead>
          <tbody>
            {members.map((m) => (
              <tr>
                <td>{m.user.name}{m.user.id === me.id ? ` (${t('you')})` : ''}</td>
                <td>{m.user.email}</td>
                <td>
                  {isOwner ? (
                    <RoleSelect value={m.role} onChange={(r) => act(() => api('PATCH', `${base}/${m.user.id}`, { role: r }))} />
                  ) : t(`role_${m.role}` as Key)}
                </td>
                <td class="right">
                  {isOwner && (
                    <button class="btn small danger" onClick={() => act(() => api('DELETE', `${base}/${m.user.id}`))}>{t('remove')}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Modal>
  );
}

function RoleSelect({ value, onChange }: { value: Role; onChange: (r: Role) => void }) {
  return (
    <select class="select" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as Role)}>
      {(['viewer', 'commenter', 'editor', 'owner'] as Role[]).map((r) => <option value={r}>{t(`role_${r}` as Key)}</option>)}
    </select>
  );
}

export const SHORTCUTS: [string, Key][] = [
  ['Ctrl/⌘ + Z', 'sc_undo'],
  ['Ctrl/⌘ + Shift + Z · Ctrl + Y', 'sc_redo'],
  ['?', 'sc_help'],
  ['Esc', 'sc_escape'],
  ['Enter · F2', 'sc_edit'],
  ['Delete · Backspace', 'sc_delete'],
  ['Alt + ← / →', 'sc_move'],
  ['↑ / ↓', 'sc_emotion'],
  ['N', 'sc_new_tp'],
  ['C', 'sc_comment'],
];

export function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <Modal title={t('help')} onClose={onClose}>
      <table class="table shortcuts" data-testid="help-dialog">
        <tbody>
          {SHORTCUTS.map(([k, d]) => (
            <tr><td><kbd>{k}</kbd></td><td>{t(d)}</td></tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

export function ExportMenu({ journeyId, onClose }: { journeyId: string; onClose: () => void }) {
  const base = `/api/v1/journeys/${journeyId}`;
  const l = lang();
  const items: [string, Key][] = [
    [`${base}/map.svg?lang=${l}`, 'export_svg'],
    [`${base}/map.png?lang=${l}`, 'export_png'],
    [`${base}/map.pdf?lang=${l}`, 'export_pdf'],
    [`${base}/export`, 'export_json'],
    [`${base}/audit.csv`, 'export_csv'],
  ];
  useEffect(() => {
    const f = () => onClose();
    setTimeout(() => window.addEventListener('click', f), 0);
    return () => window.removeEventListener('click', f);
  }, []);
  return (
    <div class="menu" role="menu" data-testid="export-menu">
      {items.map(([href, key]) => (
        <a role="menuitem" href={href} target="_blank" rel="noopener" download>{t(key)}</a>
      ))}
    </div>
  );
}
