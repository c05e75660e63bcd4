import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { describeWebhooks } from './webhook-schemas.ts';

/** Hoist's version, as package.json says. */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const DESCRIPTION = `Hoist's status and actions API. Every route but this document needs an API token sent as a bearer token (the \`bearer\` security scheme; \`hoist token create\` makes one) with the scope the route names: \`read\`, \`deploy\`, \`cancel\`, \`approve\`, \`lock\` (or \`admin\`), for the app and environment it touches. Every error is \`{ "error": { "code", "message" } }\`, the message saying what would work.`;

/**
 * The OpenAPI 3.1 document of every route registered on `app` with `openapi()` (sub-apps
 * added with `route()` included), generated from the zod schemas that validate the requests
 * and shape the answers. Built once, at the first request: every route is registered by then.
 */
export function openApiDocument(app: Pick<OpenAPIHono, 'openAPIRegistry' | 'getOpenAPI31Document'>): () => unknown {
  let document: unknown = null;
  return () => {
    if (document !== null) return document;
    app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token (`hoist token create`).' });
    // What Hoist sends, not serves: the top-level `webhooks` of OpenAPI 3.1.
    describeWebhooks(app.openAPIRegistry);
    document = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Hoist', version: VERSION, description: DESCRIPTION },
      security: [{ bearer: [] }],
    });
    return document;
  };
}
