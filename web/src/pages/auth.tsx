import { useState } from 'preact/hooks';
import { t, type Key } from '../i18n';
import { api, ApiError, setMe, type Me } from '../api';
import { BASE, LangSwitch, Link, navigate } from '../ui';

function nextPath(): string {
  const n = new URLSearchParams(location.search).get('next');
  return n && n.startsWith(`${BASE}/`) && !n.startsWith(`${BASE}/login`) ? n : `${BASE}/`;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `err_${e.code}` as Key;
    const s = t(key);
    if (s !== key) return s;
    return t('err_generic', { msg: e.message });
  }
  return t('err_generic', { msg: String(e) });
}

function AuthShell(props: { title: string; children: any }) {
  return (
    <div class="auth-page">
      <div class="auth-top"><LangSwitch /></div>
      <div class="auth-card">
        <div class="brand big"><span class="logo" aria-hidden="true" />cxmap</div>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </div>
  );
}

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const me = await api<Me>('POST', '/api/v1/auth/login', { email, password });
      setMe(me);
      navigate(nextPath(), true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthShell title={t('sign_in')}>
      <form onSubmit={submit} class="form">
        <label>
          {t('email')}
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('password')}
          <input type="password" name="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button class="btn primary wide" type="submit" disabled={busy} data-testid="login-submit">{t('sign_in')}</button>
      </form>
      <p class="muted small">
        {t('no_account')} <Link href={`${BASE}/signup${location.search}`}>{t('sign_up')}</Link>
      </p>
    </AuthShell>
  );
}

export function SignupPage() {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const me = await api<Me>('POST', '/api/v1/auth/signup', { email, name, password });
      setMe(me);
      navigate(nextPath(), true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthShell title={t('create_account')}>
      <form onSubmit={submit} class="form">
        <label>
          {t('name')}
          <input name="name" autocomplete="name" required value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('email')}
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('password')}
          <input type="password" name="password" autocomplete="new-password" required minLength={8}
            placeholder={t('password_hint')} value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button class="btn primary wide" type="submit" disabled={busy} data-testid="signup-submit">{t('sign_up')}</button>
      </form>
      <p class="muted small">
        {t('have_account')} <Link href={`${BASE}/login${location.search}`}>{t('sign_in')}</Link>
      </p>
    </AuthShell>
  );
}

export async function signOut() {
  try {
    await api('POST', '/api/v1/auth/logout');
  } catch {
    /* already out */
  }
  setMe(null);
  location.href = `${BASE}/login`;
}

export { errorText };
