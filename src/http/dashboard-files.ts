import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the dashboard's pages and files live: in the package, beside this file. */
const ROOT = fileURLToPath(new URL('./dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * What every dashboard answer carries: its scripts and styles come from Hoist itself and
 * nothing else runs (no inline script, no other origin), no page frames it, and no address of
 * it leaks to a commit link's site.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Same-origin: a form's Origin stays known to the sign-in check, and a commit link's site learns nothing.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export interface DashboardFile {
  body: string;
  type: string;
  etag: string;
}

/** The files of one folder, read once at start: a request never touches the disk, and only these names are served. */
function readFolder(folder: string): Map<string, DashboardFile> {
  const files = new Map<string, DashboardFile>();
  for (const name of readdirSync(join(ROOT, folder))) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(ROOT, folder, name), 'utf8');
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return files;
}

/** The pages (HTML with `{{name}}` slots filled per request, HTML-escaped) and the static assets (scripts, styles, icon). */
export function loadDashboardFiles(): { pages: Map<string, DashboardFile>; assets: Map<string, DashboardFile> } {
  return { pages: readFolder('pages'), assets: readFolder('assets') };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

/** A page with its slots filled: every value escaped; a slot without a value is left empty. */
export function fillPage(page: DashboardFile, values: Record<string, string>): string {
  return page.body.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => escapeHtml(values[key] ?? ''));
}
