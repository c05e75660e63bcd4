import type { Env, Hono } from 'hono';

/**
 * Answers a known path asked with a method it does not serve with 405 and the
 * `Allow` header, so a client learns what the path takes instead of a 404 that
 * says it does not exist. Read from the routes registered so far: call it after
 * the last route, once.
 */
export function refuseOtherMethods<E extends Env>(app: Hono<E>): void {
  const allowed = new Map<string, Set<string>>();
  for (const route of app.routes) {
    // Middleware is registered for every method; it says nothing about what a path serves.
    if (route.method === 'ALL') continue;
    const methods = allowed.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    // Hono answers HEAD with the GET route.
    if (route.method === 'GET') methods.add('HEAD');
    allowed.set(route.path, methods);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(', ');
    app.all(path, (c) => {
      c.header('Allow', allow);
      return c.json({ error: { code: 'METHOD_NOT_ALLOWED', message: `${c.req.method} is not served at ${c.req.path}; it takes ${allow}` } }, 405);
    });
  }
}
