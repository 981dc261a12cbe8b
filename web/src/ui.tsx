import { lang, setLang, t } from './i18n';

export const BASE = '/app';

export function navigate(path: string, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event('cxmap:navigate'));
}

export function Link(props: { href: string; class?: string; children: any; testid?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      data-testid={props.testid}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export function LangSwitch() {
  return (
    <button
      class="btn ghost small"
      data-testid="lang-switch"
      title={lang() === 'ko' ? 'Switch to English' : '한국어로 보기'}
      onClick={() => setLang(lang() === 'ko' ? 'en' : 'ko')}
    >
      {t('lang_switch')}
    </button>
  );
}

