// Deployment history: newest first, filtered by app, environment, status and action, a page at
// a time through the API's cursor; new deployments and status changes arrive from the event stream.
import { isInProgress } from './aggregate.js';
import { followEvents, getJson, showProblem } from './api.js';
import { deploymentLink, el, personName, shortVersion, statusBadge, took, triggerText, when } from './dom.js';

const STATUSES = [
  'QUEUED', 'AWAITING_CHECKS', 'AWAITING_APPROVAL', 'BUILDING', 'DEPLOYING', 'DEPLOYED', 'BUILD_ERROR', 'DEPLOYMENT_ERROR', 'STOPPING', 'STOPPED', 'STOP_ERROR',
  'RESTARTING', 'RESTARTED', 'RESTART_ERROR', 'DESTROYING', 'DESTROYED', 'DESTROY_ERROR', 'CANCELING', 'CANCELED', 'REJECTED', 'EXPIRED',
];
const ACTIONS = ['deploy', 'redeploy', 'rollback', 'stop', 'restart', 'destroy'];
const params = new URLSearchParams(location.search);
/** Rows per page: `?limit=` (1–100), 50 unless given. */
const PAGE = Math.min(100, Math.max(1, Number.parseInt(params.get('limit') ?? '', 10) || 50));
const filters = Object.fromEntries(['app', 'env', 'status', 'action'].map((k) => [k, params.get(k) || '']));
const shown = new Map();
let cursor = null;

function fillSelect(name, values) {
  const select = document.querySelector(`select[name="${name}"]`);
  for (const value of values) select.append(el('option', { value, text: value, selected: value === filters[name] }));
}

function row(d) {
  return el(
    'tr',
    { 'data-deployment': d.id, 'data-status': d.status },
    el('td', {}, deploymentLink(d.id)),
    el('td', { text: d.app }),
    el('td', { text: d.env }),
    el('td', { text: d.action }),
    el('td', {}, statusBadge(d.status)),
    el('td', {}, el('code', { title: d.sha ?? d.ref ?? '', text: d.sha ? shortVersion(d.sha) : (d.ref ?? '—') })),
    el('td', { text: personName(d.requestedBy) }),
    el('td', { text: triggerText(d) }),
    el('td', { text: when(d.requestedAt) }),
    el('td', { text: d.startedAt ? took(d.startedAt, d.finishedAt) : '—' }),
    el('td', { text: d.reason ?? '' }),
  );
}

function show(d, where) {
  const node = row(d);
  const old = shown.get(d.id);
  shown.set(d.id, { data: d, node });
  if (old) old.node.replaceWith(node);
  else if (where === 'top') document.getElementById('rows').prepend(node);
  else document.getElementById('rows').append(node);
  document.getElementById('none').hidden = true;
}

function query(extra) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

async function nextPage() {
  const page = await getJson(`/deployments?${query({ limit: String(PAGE), ...(cursor ? { cursor } : {}) })}`);
  for (const d of page.items) {
    const live = shown.get(d.id)?.data;
    if (!live) show(d, 'bottom');
    // A row the event stream put up first lacks what only the record has (the push behind it, its
    // ref): the record's row replaces it, keeping the status a later event brought.
    else if (live.partial) show(live.statusSeen ? { ...d, status: live.status, reason: live.reason ?? d.reason, startedAt: live.startedAt ?? d.startedAt, finishedAt: live.finishedAt ?? d.finishedAt } : d);
  }
  cursor = page.nextCursor;
  document.getElementById('more').hidden = cursor === null;
  document.getElementById('all').hidden = cursor === null;
  if (shown.size === 0) document.getElementById('none').hidden = false;
}

const matches = (d) => (!filters.app || d.app === filters.app) && (!filters.env || d.env === filters.env) && (!filters.action || d.action === filters.action) && (!filters.status || filters.status.split(',').includes(d.status));

function apply(kind, data) {
  if (kind === 'requested' && data.action && !shown.has(data.deploymentId)) {
    const d = { id: data.deploymentId, app: data.app, env: data.env, action: data.action, status: data.status ?? 'QUEUED', reason: null, ref: null, sha: data.sha ?? null, requestedBy: data.requestedBy, trigger: data.trigger ?? '—', requestedAt: data.at, startedAt: null, finishedAt: null, partial: true };
    if (matches(d)) show(d, 'top');
  } else if (kind === 'status' && shown.has(data.deploymentId)) {
    const d = { ...shown.get(data.deploymentId).data };
    if (data.service === null) {
      d.statusSeen = true;
      d.status = data.status;
      if (data.reason !== null) d.reason = data.reason;
      if (!isInProgress(data.status)) d.finishedAt = data.at;
    }
    if (d.startedAt === null && data.service !== null) d.startedAt = data.at;
    show(d, 'top');
  }
}

async function load() {
  const apps = (await getJson('/apps')).items;
  fillSelect('app', apps.map((a) => a.name));
  fillSelect('env', [...new Set(apps.flatMap((a) => a.environments.map((e) => e.name)))]);
  fillSelect('status', STATUSES);
  fillSelect('action', ACTIONS);
  // Live first, so nothing requested while the first page loads is missed (a row shown twice is one row).
  const live = [filters.app && `app=${encodeURIComponent(filters.app)}`, filters.env && `env=${encodeURIComponent(filters.env)}`].filter(Boolean).join('&');
  followEvents(live ? `?${live}` : '', apply);
  await nextPage();
  document.getElementById('more').addEventListener('click', () => nextPage().catch((e) => showProblem(e.message)));
  document.getElementById('all').addEventListener('click', async () => {
    try {
      do await nextPage();
      while (cursor !== null);
    } catch (e) {
      showProblem(e.message);
    }
  });
  document.body.dataset.loaded = 'true';
}

load().catch((error) => showProblem(`The history could not be loaded: ${error.message}`));
