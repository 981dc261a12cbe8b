import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { api, setMe, type Me } from '../api';
import { BASE, LangSwitch, Link, navigate } from '../ui';

export function SharePage({ token }: { token: string }) {
  const [state, setState] = useState<'working' | 'invalid' | 'error'>('working');
  const [msg, setMsg] = useState('');
  useEffect(() => {
    api<{ journey_id: string; role: string; me: Me }>('POST', `/api/v1/shares/${encodeURIComponent(token)}/accept`, {})
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
  }, [token]);
  return (
    <div class="auth-page">
      <div class="auth-top"><LangSwitch /></div>
      <div class="auth-card">
        <div class="brand big"><span class="logo" aria-hidden="true" />cxmap</div>
        {state === 'working' && <p class="muted">{t('opening_share')}</p>}
        {state === 'invalid' && <p class="error" data-testid="share-invalid">{t('share_invalid')}</p>}
        {state === 'error' && <p class="error">{t('err_generic', { msg })}</p>}
        {state !== 'working' && <p><Link href={`${BASE}/login`}>{t('sign_in')}</Link></p>}
      </div>
    </div>
  );
}
