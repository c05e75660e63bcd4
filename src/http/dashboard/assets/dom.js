// Building the page from data: every value becomes text (textContent, attributes), never HTML.
// App names, reasons and log lines are user data.

/** A link target the dashboard may follow: its own pages, or an https page (a commit). */
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith('/dashboard') && !text.startsWith('//')) return text;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' ? url.href : '#';
  } catch {
    return '#';
  }
}

/** An element with attributes (`text` sets its text, `class` its class) and children (nodes or text). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = String(value);
    else if (key === 'href') node.setAttribute('href', safeHref(value));
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const OK = new Set(['DEPLOYED', 'RESTARTED', 'RUNNING']);
const BAD = new Set(['BUILD_ERROR', 'DEPLOYMENT_ERROR', 'STOP_ERROR', 'RESTART_ERROR', 'DESTROY_ERROR', 'REJECTED', 'EXPIRED', 'DOWN', 'DEGRADED']);
const BUSY = new Set(['QUEUED', 'BUILDING', 'DEPLOYING', 'STOPPING', 'RESTARTING', 'DESTROYING', 'CANCELING', 'AWAITING_CHECKS', 'AWAITING_APPROVAL']);

export function toneOf(status) {
  if (OK.has(status)) return 'ok';
  if (BAD.has(status)) return 'bad';
  if (BUSY.has(status)) return 'busy';
  return 'idle';
}

export function statusBadge(status) {
  return el('span', { class: 'status', 'data-status': status, 'data-tone': toneOf(status), text: status });
}

/** A service's running status beside its deployment status: `DOWN 0/2, 14 restarts` (nothing while not known). */
export function runningBadge(running) {
  if (!running) return null;
  const restarts = running.restarts === 0 ? '' : `, ${running.restarts} restart${running.restarts === 1 ? '' : 's'}`;
  const text = running.state === 'UNKNOWN' ? 'UNKNOWN' : `${running.state} ${running.ready}/${running.desired}${restarts}`;
  return el('span', { class: 'status running', 'data-running': running.state, 'data-tone': toneOf(running.state), title: running.reason ?? '', text });
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const IMAGE_WITH_SHA = /^(.+):([0-9a-f]{40})$/;

/** A version as people read it: a short SHA, an image with a short SHA tag, or the image as it is. */
export function shortVersion(version) {
  if (version === null || version === undefined || version === '') return '—';
  if (FULL_SHA.test(version)) return version.slice(0, 7);
  const tagged = IMAGE_WITH_SHA.exec(version);
  if (tagged) return `${tagged[1].split('/').pop()}:${tagged[2].slice(0, 7)}`;
  return version;
}

/** A version, linked to its commit when there is a page for it. */
export function versionNode(version, commitUrl) {
  const text = shortVersion(version);
  if (commitUrl) return el('a', { class: 'mono', href: commitUrl, title: version, target: '_blank', rel: 'noopener noreferrer', text });
  return el('code', { title: version ?? '', text });
}

export function commitLink(base, version) {
  return base && typeof version === 'string' && FULL_SHA.test(version) ? `${base}${version}` : null;
}

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** How long from `from` to `to` (or now), as 42s / 3m 5s / 2h 10m. */
export function took(from, to) {
  if (!from) return '—';
  const seconds = Math.max(0, Math.round(((to ? new Date(to) : new Date()).getTime() - new Date(from).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

export const personName = (person) => (person ? person.name || person.id : '—');

export const deploymentLink = (id, label = `#${id}`) => el('a', { href: `/dashboard/deployments/${Number(id)}`, text: label });

/** How a deployment was requested: `Automatic — pushed by octocat (forced push)`, or `Manual (chat)`. */
export function triggerText(d) {
  if (!d.trigger || d.trigger === '—') return '—';
  if (d.trigger !== 'webhook') return `Manual (${d.trigger})`;
  if (!d.push) return 'Automatic';
  const how = d.push.polled ? 'new head found by polling' : `pushed by ${d.push.pusher}`;
  return `Automatic — ${how}${d.push.forced ? ' (forced push)' : ''}`;
}
