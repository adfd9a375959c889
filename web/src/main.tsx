// The shebao portal: shell (header, language switch, navigation by role,
// the officer's "acting for" banner) and the client-side routes. Every page
// is reachable by URL; `shebao serve` answers index.html for them.
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { acting, session, signOut } from './api';
import { lang, setLang, t, type Key } from './i18n';
import { useSignal } from './state';
import { Link, navigate, path } from './ui';
import { SignIn } from './pages/signin';
import { Home, Record, Account, Retirement, Flexible, Transfers, Statement, AccessLog } from './pages/person';
import { Declaration, Arrears } from './pages/employer';
import { Find, Register } from './pages/officer';
import { Review } from './pages/review';
import { Coverage } from './pages/coverage';
import './style.css';

type Page = { key: Key; render: () => preact.JSX.Element };

const personPages: Record<string, Page> = {
  '/me': { key: 'nav.home', render: () => <Home /> },
  '/me/record': { key: 'nav.record', render: () => <Record /> },
  '/me/account': { key: 'nav.account', render: () => <Account /> },
  '/me/retirement': { key: 'nav.retirement', render: () => <Retirement /> },
  '/me/flexible': { key: 'nav.flexible', render: () => <Flexible /> },
  '/me/transfers': { key: 'nav.transfers', render: () => <Transfers /> },
  '/me/statement': { key: 'nav.statement', render: () => <Statement /> },
  '/me/access': { key: 'nav.access', render: () => <AccessLog /> },
};
const employerPages: Record<string, Page> = {
  '/employer': { key: 'nav.declaration', render: () => <Declaration /> },
  '/employer/arrears': { key: 'nav.arrears', render: () => <Arrears /> },
};
const officerPages: Record<string, Page> = {
  '/officer': { key: 'nav.find', render: () => <Find /> },
  '/officer/register': { key: 'nav.register', render: () => <Register /> },
  '/officer/review': { key: 'nav.review', render: () => <Review /> },
  '/officer/coverage': { key: 'nav.coverage', render: () => <Coverage /> },
};

function homeOf(role: string): string {
  if (role === 'person') return '/me';
  if (role === 'employer_agent') return '/employer';
  return '/officer';
}

function pagesFor(role: string, isActing: boolean): Record<string, Page> {
  if (role === 'person') return personPages;
  if (role === 'employer_agent') return employerPages;
  if (isActing) return { ...officerPages, ...personPages };
  return officerPages;
}

function App() {
  const current = useSignal(lang);
  const s = useSignal(session);
  const a = useSignal(acting);
  const where = useSignal(path);
  const main = useRef<HTMLElement>(null);
  const route = where.split('?')[0].replace(/\/$/, '') || '/';

  useEffect(() => {
    document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  }, [current]);

  // Without a session every page is the sign-in page (which returns here after).
  useEffect(() => {
    if (!s && route !== '/signin') navigate('/signin?next=' + encodeURIComponent(where), true);
    if (s && (route === '/signin' || route === '/')) {
      const next = new URLSearchParams(where.split('?')[1] ?? '').get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/signin') ? next : homeOf(s.role), true);
    }
  }, [s, route]);

  const pages = s ? pagesFor(s.role, !!a) : {};
  const page = pages[route];
  useEffect(() => {
    const title = page ? t(page.key) : t('signin.title');
    document.title = `${title} · ${t('app.name')}`;
  }, [route, current, !!page]);
  // After navigation, focus goes to the new page's heading (screen readers
  // announce it; Tab continues from there).
  useEffect(() => {
    main.current?.querySelector('h1')?.focus();
  }, [route]);

  return (
    <>
      <a class="skip" href="#main">
        {t('skip')}
      </a>
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        <button
          type="button"
          class="link"
          lang={current === 'zh' ? 'en' : 'zh-CN'}
          onClick={() => setLang(current === 'zh' ? 'en' : 'zh')}
        >
          {t('lang.switch')}
        </button>
        {s && (
          <button type="button" class="link" onClick={() => signOut()}>
            {t('signout')}
          </button>
        )}
      </header>
      {s && a && (
        <div class="acting" role="status">
          {t('acting.banner', { name: a.name, id: a.resident_id, purpose: a.purpose || t('find.purpose.default') })}{' '}
          <button
            type="button"
            onClick={() => {
              acting.set(null);
              navigate('/officer');
            }}
          >
            {t('acting.stop')}
          </button>
        </div>
      )}
      {s && (
        <nav aria-label={t('nav.label')}>
          <ul>
            {Object.entries(pages).map(([href, p]) => (
              <li key={href}>
                <Link href={href} current={href === route}>
                  {t(p.key)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main" ref={main}>
        {!s ? <SignIn /> : page ? page.render() : route === '/signin' || route === '/' ? null : <NotFound />}
      </main>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>{t('notfound')}</h1>
    </>
  );
}

render(<App />, document.getElementById('app')!);
