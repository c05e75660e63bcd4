import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { DashboardSessions } from '../service/dashboard-sessions.ts';
import { SESSION_COOKIE } from './auth.ts';
import { DASHBOARD_HEADERS, fillPage, loadDashboardFiles, type DashboardFile } from './dashboard-files.ts';

export interface DashboardDeps {
  sessions: Pick<DashboardSessions, 'signIn' | 'resume' | 'signOut'>;
  /** Hoist's public address (HOIST_PUBLIC_URL): https there makes the cookie Secure, and its origin may post the sign-in form. */
  publicUrl: string | null;
}

/** Where a signed-in browser may be sent back to: a dashboard page, nothing else (no other site, no `//host`). */
const NEXT = /^\/dashboard(?:\/[A-Za-z0-9_-]+)*\/?(?:\?[A-Za-z0-9_=&%.,-]*)?$/;
const ENDED = 'Your dashboard session ended (signed out, expired, or its token was revoked). Sign in again.';

const nextOf = (raw: unknown): string => (typeof raw === 'string' && NEXT.test(raw) ? raw : '/dashboard');

/** A page of the dashboard: the read-only board, history, deployment and running service pages, and sign-in. */
export function dashboardRoutes(deps: DashboardDeps): Hono {
  const { pages, assets } = loadDashboardFiles();
  const app = new Hono();
  const page = (name: string): DashboardFile => {
    const found = pages.get(name);
    if (found === undefined) throw new Error(`the dashboard page ${name} is missing from the package`);
    return found;
  };
  const [board, history, deployment, signIn, service] = ['board.html', 'history.html', 'deployment.html', 'sign-in.html', 'service.html'].map(page) as [
    DashboardFile,
    DashboardFile,
    DashboardFile,
    DashboardFile,
    DashboardFile,
  ];

  app.use('/dashboard', headers);
  app.use('/dashboard/*', headers);
  app.get('/', (c) => c.redirect('/dashboard', 302));
  app.get('/dashboard/', (c) => c.redirect('/dashboard', 301));

  app.get('/dashboard/assets/:name', (c) => {
    const file = assets.get(c.req.param('name'));
    if (file === undefined) return c.text(`no dashboard file ${c.req.param('name')}`, 404);
    c.header('Cache-Control', 'no-cache');
    c.header('ETag', file.etag);
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
    return c.body(file.body, 200, { 'Content-Type': file.type });
  });

  app.get('/dashboard/sign-in', (c) => {
    const error = c.req.query('ended') === undefined ? '' : ENDED;
    return html(c, fillPage(signIn, { next: nextOf(c.req.query('next')), error }), 200);
  });

  app.post('/dashboard/sign-in', async (c) => {
    if (!sameOrigin(c, deps.publicUrl)) return c.text('the sign-in form is only taken from the dashboard’s own page', 403);
    const form = await c.req.parseBody();
    const next = nextOf(form.next);
    const secret = typeof form.token === 'string' ? form.token : '';
    const signed = await deps.sessions.signIn(secret);
    if (!signed.ok) return html(c, fillPage(signIn, { next, error: signed.reason }), 401);
    setCookie(c, SESSION_COOKIE, signed.session, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: secureRequest(c, deps.publicUrl),
      maxAge: Math.max(1, Math.floor((signed.expiresAt.getTime() - Date.now()) / 1000)),
    });
    return c.redirect(next, 303);
  });

  app.post('/dashboard/sign-out', async (c) => {
    if (!sameOrigin(c, deps.publicUrl)) return c.text('signing out is only taken from the dashboard’s own page', 403);
    const session = getCookie(c, SESSION_COOKIE);
    if (session) await deps.sessions.signOut(session);
    deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: secureRequest(c, deps.publicUrl) });
    return c.redirect('/dashboard/sign-in', 303);
  });

  /** A page for a signed-in browser; any other is sent to sign in, and back here after. */
  const signedIn = (file: DashboardFile) => async (c: Context) => {
    const session = getCookie(c, SESSION_COOKIE);
    const back = encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search);
    if (!session) return c.redirect(`/dashboard/sign-in?next=${back}`, 303);
    const resumed = await deps.sessions.resume(session);
    if (!resumed.ok) {
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: secureRequest(c, deps.publicUrl) });
      return c.redirect(`/dashboard/sign-in?ended=1&next=${back}`, 303);
    }
    return html(c, fillPage(file, { token: resumed.token.name }), 200);
  };
  app.get('/dashboard', signedIn(board));
  app.get('/dashboard/history', signedIn(history));
  app.get('/dashboard/deployments/:id{[0-9]{1,10}}', signedIn(deployment));
  app.get('/dashboard/apps/:app/environments/:env/services/:service', signedIn(service));
  return app;
}

async function headers(c: Context, next: () => Promise<void>): Promise<void> {
  await next();
  for (const [name, value] of Object.entries(DASHBOARD_HEADERS)) c.res.headers.set(name, value);
}

function html(c: Context, body: string, status: 200 | 401): Response {
  return c.body(body, status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
}

/** The cookie is Secure when the browser came over https (directly or through a proxy that says so) or Hoist's public address is https. */
function secureRequest(c: Context, publicUrl: string | null): boolean {
  return publicUrl?.startsWith('https:') === true || new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/**
 * A form posted from the dashboard's own page: its Origin (sent by browsers with every POST)
 * names this host or Hoist's public address. Without one, the browser's Sec-Fetch-Site must not
 * say another site sent it.
 */
function sameOrigin(c: Context, publicUrl: string | null): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined || origin === 'null') return origin === undefined && c.req.header('sec-fetch-site') !== 'cross-site';
  try {
    const host = new URL(origin).host;
    return host === c.req.header('host') || (publicUrl !== null && new URL(publicUrl).origin === origin);
  } catch {
    return false;
  }
}
