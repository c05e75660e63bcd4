// One deployment: its facts, its steps (each service's status), its approval and its log,
// followed live (the log as the API streams it, statuses from the event stream).
import { isInProgress } from './aggregate.js';
import { followEvents, getJson, showProblem, signInAgain, streamOpen } from './api.js';
import { el, personName, shortVersion, statusBadge, took, triggerText, urlNode, when } from './dom.js';

const id = Number(location.pathname.split('/').pop());
let deployment = null;

function renderFacts() {
  const d = deployment;
  document.getElementById('title').replaceChildren(`#${d.id} ${d.action} ${d.app} in ${d.env} `, statusBadge(d.status));
  document.title = `#${d.id} ${d.app}/${d.env} · Hoist`;
  const facts = [
    ['Status', statusBadge(d.status)],
    ['Reason', d.reason ?? '—'],
    ['Ref', d.ref ?? 'branch head'],
    ['Commit', el('code', { title: d.sha ?? '', text: shortVersion(d.sha) })],
    ['Requested by', personName(d.requestedBy)],
    ['Trigger', triggerText(d)],
    ...(d.push?.message ? [['Commit message', d.push.message.split('\n')[0]]] : []),
    ['Requested', when(d.requestedAt)],
    ['Started', when(d.startedAt)],
    ['Finished', when(d.finishedAt)],
    ['Took', d.startedAt ? took(d.startedAt, d.finishedAt) : '—'],
  ];
  document.getElementById('facts').replaceChildren(...facts.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', {}, value)]));
  document.getElementById('steps').replaceChildren(
    ...d.services.map((s) =>
      el(
        'tr',
        { 'data-service': s.name, 'data-status': s.status },
        el('td', { text: s.name }),
        el('td', { text: s.type }),
        el('td', {}, statusBadge(s.status)),
        el('td', {}, el('code', { title: s.version ?? '', text: shortVersion(s.version) })),
        el('td', {}, el('code', { title: s.previousVersion ?? '', text: shortVersion(s.previousVersion) })),
        el('td', {}, s.status === 'DEPLOYED' ? urlNode(s.url) : null),
        el('td', { text: s.reason ?? '' }),
      ),
    ),
  );
}

/** What the deploy changes against what ran: the commits it brings (up to ten), what it rolls back, the compare link. */
function renderChanges() {
  const box = document.getElementById('changes');
  const c = deployment.changelog;
  if (!c) {
    box.replaceChildren(el('p', { class: 'empty', text: deployment.action === 'deploy' ? 'Not known yet (or nothing ran before).' : 'No commits: this action deploys none.' }));
    return;
  }
  const counts = [];
  if (c.ahead > 0) counts.push(`${c.ahead} commit${c.ahead === 1 ? '' : 's'} to deploy`);
  if (c.behind > 0) counts.push(`this rolls back ${c.behind} commit${c.behind === 1 ? '' : 's'}`);
  if (counts.length === 0) counts.push('the same commit as what runs');
  const commits = el(
    'ul',
    { class: 'rules', id: 'changelog' },
    c.commits.map((commit) =>
      el('li', {}, el('code', { text: shortVersion(commit.sha) }), ` ${commit.title}`, commit.author ? ` — ${commit.author}` : '', commit.pull ? [' (', el('a', { href: commit.pull.url, text: `#${commit.pull.number}` }), ')'] : ''),
    ),
  );
  const more = c.ahead > c.commits.length ? `+${c.ahead - c.commits.length} more` : null;
  box.replaceChildren(
    el('p', {}, counts.join('; '), '.'),
    commits,
    more || c.compareUrl ? el('p', {}, more ?? '', more && c.compareUrl ? ' · ' : '', c.compareUrl ? el('a', { href: c.compareUrl, text: 'compare' }) : '') : '',
  );
}

function renderApproval(a) {
  const box = document.getElementById('approval');
  if (!a.required) {
    box.replaceChildren(el('p', { class: 'empty', text: 'No approval needed here.' }));
    return;
  }
  const rules = el(
    'ul',
    { class: 'rules' },
    a.rules.map((r) => el('li', {}, `${r.voters.length}/${r.count} of ${r.approvers.join(', ')}${r.met ? ' ✓' : ''}`, r.voters.length > 0 ? ` (${r.voters.map(personName).join(', ')})` : '')),
  );
  const history = el(
    'ul',
    { class: 'rules' },
    a.history.map((h) => el('li', {}, `${when(h.at)} ${h.step}${h.actor ? ` by ${personName(h.actor)}` : ''}${h.reason ? `: ${h.reason}` : ''}`)),
  );
  box.replaceChildren(
    el('p', {}, a.approved ? 'Approved.' : a.expiresAt ? `Waiting; expires ${when(a.expiresAt)}.` : 'Not approved.', a.selfApproval ? '' : ' The requester may not approve.'),
    el('div', { class: 'section', text: 'Rules' }),
    rules,
    el('div', { class: 'section', text: 'Steps' }),
    history,
  );
}

const loadApproval = () => getJson(`/deployments/${id}/approvals`).then(renderApproval);

function apply(kind, data) {
  if (data.deploymentId !== id || deployment === null) return;
  if (kind === 'status' && data.service === null) {
    // A final status never changes again: an older event cannot undo it.
    if (!isInProgress(deployment.status)) return;
    deployment.status = data.status;
    if (data.reason !== null) deployment.reason = data.reason;
    if (!isInProgress(data.status)) deployment.finishedAt = data.at;
  } else if (kind === 'status') {
    const service = deployment.services.find((s) => s.name === data.service);
    if (!service) return;
    service.status = data.status;
    if (data.reason !== null) service.reason = data.reason;
    deployment.startedAt ??= data.at;
  } else if (kind === 'approval') {
    loadApproval().catch((e) => showProblem(e.message));
    return;
  } else if (kind === 'changelog') {
    // Worked out after the request (GitHub or the git mirror): read it now that it is known.
    getJson(`/deployments/${id}`)
      .then((d) => {
        deployment.changelog = d.changelog;
        renderChanges();
      })
      .catch((e) => showProblem(e.message));
    return;
  } else return;
  renderFacts();
}

/** The log as newline-delimited JSON, kept open while the deployment runs and ended by `{"end":true,…}`. */
async function followLog() {
  const out = document.getElementById('log');
  const state = document.getElementById('log-state');
  state.textContent = 'following…';
  const res = await fetch(`/api/v1/deployments/${id}/logs?follow=1`, { credentials: 'same-origin' });
  if (res.status === 401) return signInAgain();
  if (!res.ok || !res.body) throw new Error(`the log could not be read (HTTP ${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const lines = (rest + value).split('\n');
    rest = lines.pop();
    for (const text of lines) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text);
      if (line.end) {
        state.textContent = `ended: ${line.status}`;
        if (deployment && isInProgress(deployment.status)) apply('status', { deploymentId: id, service: null, status: line.status, reason: line.reason, at: new Date().toISOString() });
        continue;
      }
      const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
      out.append(el('span', { class: 'svc', text: line.service ? `${line.service} | ` : '' }), `${line.line}\n`);
      if (stick) out.scrollTop = out.scrollHeight;
    }
  }
  if (state.textContent === 'following…') state.textContent = 'stream closed; reload to follow again';
}

async function load() {
  deployment = await getJson(`/deployments/${id}`);
  renderFacts();
  renderChanges();
  // The stream is for the deployment's environment, known only now: a change recorded between
  // that read and the stream's start would never come. So the deployment is read again once the
  // stream is open. What the stream brings while that read is under way may or may not be in
  // it: held, and applied after it, in order (what came before the read was asked is in it).
  let meanwhile = null;
  const source = followEvents(`?app=${encodeURIComponent(deployment.app)}&env=${encodeURIComponent(deployment.env)}`, (kind, data) =>
    meanwhile === null ? apply(kind, data) : meanwhile.push([kind, data]),
  );
  await streamOpen(source);
  meanwhile = [];
  try {
    deployment = await getJson(`/deployments/${id}`);
  } finally {
    const held = meanwhile;
    meanwhile = null;
    renderFacts();
    renderChanges();
    for (const [kind, data] of held) apply(kind, data);
  }
  await loadApproval();
  document.body.dataset.loaded = 'true';
  await followLog();
}

load().catch((error) => showProblem(`The deployment could not be loaded: ${error.message}`));
