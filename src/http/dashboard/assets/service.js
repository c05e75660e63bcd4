// One running service: its replicas' CPU and memory now, and the last lines they wrote, read from
// its target when the page opens (and again on request); there is nothing to follow live here.
import { getJson, showProblem } from './api.js';
import { el, when } from './dom.js';

const [, , , app, , env, , service] = location.pathname.split('/').map(decodeURIComponent);
const base = `/apps/${encodeURIComponent(app)}/environments/${encodeURIComponent(env)}/services/${encodeURIComponent(service)}`;
const LOG_LINES = 100;

/** `0.0125` cores as `12.5m` (thousandths of a core, as Kubernetes writes them), or `1.25 cores`. */
function cpuText(cores) {
  if (cores === null) return '—';
  if (cores >= 1) return `${cores.toFixed(2)} cores`;
  const milli = cores * 1000;
  return `${milli < 10 ? milli.toFixed(1) : Math.round(milli)}m`;
}

function bytesText(bytes) {
  if (bytes === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function renderUsage(usage) {
  const note = document.getElementById('usage-note');
  note.hidden = usage.unavailable === null && usage.replicas.length > 0;
  note.textContent = usage.unavailable ?? 'No replica runs.';
  document.getElementById('usage').replaceChildren(
    ...usage.replicas.map((r) =>
      el(
        'tr',
        { 'data-replica': r.replica },
        el('td', {}, el('code', { text: r.replica })),
        el('td', { class: 'cpu', text: cpuText(r.cpuCores) }),
        el('td', { class: 'memory', text: r.memoryLimitBytes === null ? bytesText(r.memoryBytes) : `${bytesText(r.memoryBytes)} of ${bytesText(r.memoryLimitBytes)}` }),
      ),
    ),
  );
  document.getElementById('read-at').textContent = `read ${when(usage.at)}${usage.window ? `, averaged over ${usage.window}` : ''}`;
}

function renderLog(logs) {
  const width = Math.max(0, ...logs.lines.map((l) => l.replica.length));
  document.getElementById('app-log').textContent = logs.lines.map((l) => `${l.replica.padEnd(width)} | ${l.line}`).join('\n');
  document.getElementById('app-log-state').textContent = logs.lines.length === 0 ? 'nothing written yet' : logs.lines.length === 1 ? 'the last line' : `the last ${logs.lines.length} lines`;
}

async function read() {
  const [usage, logs] = await Promise.allSettled([getJson(`${base}/usage`), getJson(`${base}/logs?tail=${LOG_LINES}`)]);
  if (usage.status === 'fulfilled') renderUsage(usage.value);
  else showProblem(`Usage: ${usage.reason.message}`);
  if (logs.status === 'fulfilled') renderLog(logs.value);
  else showProblem(`Output: ${logs.reason.message}`);
}

document.title = `${service} in ${env} (${app}) · Hoist`;
document.getElementById('title').replaceChildren(`${service} `, el('span', { class: 'na', text: `in ${env} of ${app}` }));
document.getElementById('refresh').addEventListener('click', () => {
  read().catch((error) => showProblem(error.message));
});
read().then(
  () => document.body.setAttribute('data-loaded', 'true'),
  (error) => showProblem(error.message),
);
