// The environments board: apps × environments, loaded once, then kept current from the event
// stream alone (each event carries what changed; nothing is read again).
import { aggregateStatus, isInProgress } from './aggregate.js';
import { followEvents, getJson, showProblem } from './api.js';
import { commitLink, deploymentLink, el, personName, runningBadge, statusBadge, versionNode, when } from './dom.js';

/** Each environment's state, by `app\nenv`. */
const environments = new Map();
const keyOf = (app, env) => `${app}\n${env}`;

function fromAnswer(view) {
  return {
    app: view.app,
    env: view.env,
    target: view.target,
    autoDeploy: view.autoDeploy,
    commitBaseUrl: view.commitBaseUrl,
    services: view.services.map((s) => ({ name: s.name, type: s.type, status: s.status, version: s.version, commitUrl: s.commitUrl, running: s.running })),
    queue: view.queue.map((q) => ({ id: q.id, action: q.action, status: q.status, started: q.position === null, requestedBy: q.requestedBy })),
    awaiting: view.awaitingApproval.map((a) => ({ id: a.id, action: a.action, requestedBy: a.requestedBy, expiresAt: a.expiresAt })),
    lock: view.lock,
    eventId: view.eventId,
  };
}

/** The running service's page: its replicas' usage and output. */
const servicePath = (state, service) => `/dashboard/apps/${[state.app, 'environments', state.env, 'services', service].map(encodeURIComponent).join('/')}`;

const ordinal = (n) => (n === 1 ? 'next' : `${n}${n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'} in line`);

function queueItem(entry, position) {
  return el(
    'li',
    { 'data-deployment': entry.id, 'data-status': entry.status },
    deploymentLink(entry.id),
    el('span', { text: entry.action }),
    statusBadge(entry.status),
    position === null ? null : el('span', { class: 'na', text: ordinal(position) }),
    el('span', { class: 'na', text: `by ${personName(entry.requestedBy)}` }),
  );
}

function cellContent(state) {
  const status = aggregateStatus(state.services.map((s) => s.status));
  let waiting = 0;
  const lock = state.lock;
  return el(
    'div',
    { class: 'env', 'data-app': state.app, 'data-env': state.env, 'data-status': status },
    el('header', {}, el('h3', {}, el('a', { href: `/dashboard/history?app=${encodeURIComponent(state.app)}&env=${encodeURIComponent(state.env)}`, text: state.env })), statusBadge(status)),
    el('div', { class: 'meta', text: `${state.target} · ${state.autoDeploy ? 'Automatic' : 'Manual'}` }),
    lock
      ? el('div', { class: 'lock', 'data-lock': lock.kind }, `${lock.kind === 'pin' ? 'Pinned' : 'Locked'} by ${personName(lock.owner)}${lock.reason ? `: ${lock.reason}` : ''} (since ${when(lock.since)}${lock.expiresAt ? `, until ${when(lock.expiresAt)}` : ''})`)
      : null,
    el('div', { class: 'section', text: 'Services' }),
    el(
      'ul',
      { class: 'services' },
      state.services.map((s) =>
        el('li', { 'data-service': s.name, 'data-status': s.status, 'data-running': s.running?.state ?? '' }, el('a', { href: servicePath(state, s.name), text: s.name }), statusBadge(s.status), runningBadge(s.running), versionNode(s.version, s.commitUrl)),
      ),
    ),
    state.queue.length > 0 ? el('div', { class: 'section', text: 'Queue' }) : null,
    state.queue.length > 0 ? el('ul', { class: 'queue' }, state.queue.map((q) => queueItem(q, q.started ? null : ++waiting))) : null,
    state.awaiting.length > 0 ? el('div', { class: 'section', text: 'Awaiting approval' }) : null,
    state.awaiting.length > 0
      ? el(
          'ul',
          { class: 'awaiting' },
          state.awaiting.map((a) =>
            el('li', { 'data-deployment': a.id, 'data-status': 'AWAITING_APPROVAL' }, deploymentLink(a.id), el('span', { text: a.action }), el('span', { class: 'na', text: `by ${personName(a.requestedBy)}${a.expiresAt ? `, expires ${when(a.expiresAt)}` : ''}` })),
          ),
        )
      : null,
  );
}

function render(state) {
  const cell = document.getElementById(`cell-${state.app}-${state.env}`);
  if (cell) cell.replaceChildren(cellContent(state));
}

function renderBoard(apps) {
  const board = document.getElementById('board');
  board.removeAttribute('aria-busy');
  if (apps.length === 0) {
    board.replaceChildren(el('p', { class: 'empty', text: 'No app this token may read.' }));
    return;
  }
  const columns = [...new Set(apps.flatMap((a) => a.environments.map((e) => e.env)))];
  const rows = apps.map((a) =>
    el(
      'tr',
      { 'data-app': a.name },
      el('th', { scope: 'row', text: a.name }),
      columns.map((env) => el('td', { id: `cell-${a.name}-${env}` }, a.environments.some((e) => e.env === env) ? null : el('span', { class: 'na', text: '—' }))),
    ),
  );
  board.replaceChildren(el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'App' }), columns.map((c) => el('th', { scope: 'col', text: c })))), el('tbody', {}, rows)));
  for (const state of environments.values()) render(state);
}

/** A deployment's own status changed: where it sits now (queue, awaiting approval, or gone). */
function deploymentStatus(state, id, status) {
  const queued = state.queue.find((q) => q.id === id);
  const awaiting = state.awaiting.find((a) => a.id === id);
  if (!isInProgress(status)) {
    state.queue = state.queue.filter((q) => q.id !== id);
    state.awaiting = state.awaiting.filter((a) => a.id !== id);
  } else if (status === 'AWAITING_APPROVAL') {
    // Asked again (what it would deploy changed): out of the queue until approved.
    state.queue = state.queue.filter((q) => q.id !== id);
    if (!awaiting && queued) state.awaiting.push({ id, action: queued.action, requestedBy: queued.requestedBy, expiresAt: null });
  } else if (queued) {
    queued.status = status;
  } else if (awaiting) {
    // Approved: it joins the end of the queue.
    state.awaiting = state.awaiting.filter((a) => a.id !== id);
    state.queue.push({ id, action: awaiting.action, status, started: false, requestedBy: awaiting.requestedBy });
  }
}

function serviceStatus(state, data) {
  const service = state.services.find((s) => s.name === data.service);
  if (service && data.environment) {
    service.status = data.environment.status;
    if ('version' in data.environment) {
      service.version = data.environment.version;
      service.commitUrl = commitLink(state.commitBaseUrl, service.version);
    }
  }
  const entry = state.queue.find((q) => q.id === data.deploymentId);
  if (entry) {
    entry.started = true;
    if (isInProgress(data.status)) entry.status = data.status;
  }
}

function apply(kind, data) {
  const state = environments.get(keyOf(data.app, data.env));
  // Not on this board, or already in what the board was loaded with.
  if (state === undefined || data.id <= state.eventId) return;
  switch (kind) {
    case 'requested': {
      if (state.queue.some((q) => q.id === data.deploymentId) || state.awaiting.some((a) => a.id === data.deploymentId)) break;
      const entry = { id: data.deploymentId, action: data.action ?? 'deploy', requestedBy: data.requestedBy ?? null };
      if (data.status === 'AWAITING_APPROVAL') state.awaiting.push({ ...entry, expiresAt: null });
      else state.queue.push({ ...entry, status: 'QUEUED', started: false });
      break;
    }
    case 'status':
      if (data.service === null) deploymentStatus(state, data.deploymentId, data.status);
      else serviceStatus(state, data);
      break;
    case 'supersedes':
      state.queue = state.queue.filter((q) => q.id !== data.superseded);
      break;
    case 'summary':
      for (const line of data.services ?? []) {
        const service = state.services.find((s) => s.name === line.name);
        if (service) {
          service.version = line.version;
          service.commitUrl = commitLink(state.commitBaseUrl, line.version);
        }
      }
      break;
    case 'lock':
      state.lock = ['taken', 'renewed', 'replaced'].includes(data.action) ? data.lock : null;
      break;
    case 'running': {
      const service = state.services.find((s) => s.name === data.service);
      if (service) service.running = { ...data.running, since: data.at };
      break;
    }
    default:
      return;
  }
  render(state);
}

async function load() {
  const apps = (await getJson('/apps')).items;
  const answers = await Promise.all(apps.map((a) => getJson(`/apps/${encodeURIComponent(a.name)}/environments`)));
  const views = answers.flatMap((answer) => answer.items);
  for (const view of views) environments.set(keyOf(view.app, view.env), fromAnswer(view));
  renderBoard(apps.map((a) => ({ name: a.name, environments: views.filter((v) => v.app === a.name) })));
  // From the oldest answer on: each environment skips what its own answer already held.
  const from = views.length === 0 ? null : Math.min(...views.map((v) => v.eventId));
  followEvents(from === null ? '' : `?lastEventId=${from}`, apply);
  document.body.dataset.loaded = 'true';
}

load().catch((error) => showProblem(`The board could not be loaded: ${error.message}`));
