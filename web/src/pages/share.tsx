import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { api, setMe, type Me } from '../api';
import { BASE, LangSwitch, Link, navigate } from '../ui';

/**
 * `/app/share/{token}`: accepts a share link. A signed-in browser accepts at once; a guest may
 * first give a name (shown to the others on the map), then continues.
 */
export function SharePage({ token }: { token: string }) {
  const [state, setState] = useState<'checking' | 'ask' | 'working' | 'invalid' | 'error'>('checking');
  const [msg, setMsg] = useState('');
  const [name, setName] = useState('');

  const accept = (body: { name?: string }) => {
    setState('working');
    api<{ journey_id: string; role: string; me: Me }>('POST', `/api/v1/shares/${encodeURIComponent(token)}/accept`, body)
      .then((r) => {
        setMe(r.me);
        navigate(`${BASE}/j/${r.journey_id}`, true);
      })
      .catch((e) => {
        if (e.status === 404) setState('invalid');
        else {
          setState('error');
          setMsg(String(e.message || e));
        }
      });
  };

  useEffect(() => {
    api<Me>('GET', '/api/v1/me')
      .then(() => accept({}))
      .catch(() => setState('ask'));
  }, [token]);

  return (
    <div class="auth-page">
      <div class="auth-top"><LangSwitch /></div>
      <div class="auth-card">
        <div class="brand big"><span class="logo" aria-hidden="true" />cxmap</div>
        {(state === 'checking' || state === 'working') && <p class="muted">{t('opening_share')}</p>}
        {state === 'ask' && (
          <form class="form" onSubmit={(e) => {
            e.preventDefault();
            accept(name.trim() ? { name: name.trim() } : {});
          }}>
            <h1>{t('share_welcome')}</h1>
            <label>
              {t('your_name')}
              <input name="name" autocomplete="name" value={name} maxLength={200} data-testid="share-name"
                onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            <button class="btn primary wide" type="submit" data-testid="share-continue">{t('continue')}</button>
            <p class="muted small">
              {t('have_account')} <Link href={`${BASE}/login?next=${encodeURIComponent(location.pathname)}`}>{t('sign_in')}</Link>
            </p>
          </form>
        )}
        {state === 'invalid' && <p class="error" data-testid="share-invalid">{t('share_invalid')}</p>}
        {state === 'error' && <p class="error">{t('err_generic', { msg })}</p>}
        {(state === 'invalid' || state === 'error') && <p><Link href={`${BASE}/login`}>{t('sign_in')}</Link></p>}
      </div>
    </div>
  );
}
