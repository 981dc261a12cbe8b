import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { lang, onLang, t } from './i18n';
import { BASE, navigate } from './ui';
import { loadMe, type Me } from './api';
import { LoginPage, SignupPage } from './pages/auth';
import { HomePage } from './pages/home';
import { SharePage } from './pages/share';
import { EditorPage } from './editor/editor';

function useRoute(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const f = () => setPath(location.pathname);
    window.addEventListener('popstate', f);
    window.addEventListener('cxmap:navigate', f);
    return () => {
      window.removeEventListener('popstate', f);
      window.removeEventListener('cxmap:navigate', f);
    };
  }, []);
  return path;
}

function App() {
  const [, force] = useState(0);
  useEffect(() => onLang(() => force((n) => n + 1)), []);
  const path = useRoute().replace(/\/+$/, '') || '/';
  const rel = path.startsWith(BASE) ? path.slice(BASE.length) || '/' : path;

  if (rel === '/login') return <LoginPage />;
  if (rel === '/signup') return <SignupPage />;
  let m = rel.match(/^\/share\/([^/]+)$/);
  if (m) return <SharePage token={decodeURIComponent(m[1])} />;
  return <Authed rel={rel} />;
}

function Authed({ rel }: { rel: string }) {
  const [me, setMeState] = useState<Me | null | undefined>(undefined);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    loadMe()
      .then((m) => {
        if (!m) navigate(`${BASE}/login?next=${encodeURIComponent(location.pathname)}`, true);
        setMeState(m);
      })
      .catch((e) => setErr(String(e.message || e)));
  }, []);
  if (err) return <div class="center-page"><p class="error">{t('err_generic', { msg: err })}</p></div>;
  if (!me) return <div class="center-page"><p class="muted">{t('loading')}</p></div>;
  const m = rel.match(/^\/j\/([^/]+)$/);
  if (m) return <EditorPage key={m[1]} journeyId={m[1]} me={me} />;
  return <HomePage me={me} />;
}

document.documentElement.lang = lang();
render(<App />, document.getElementById('root')!);
