// Reading Hoist's API as the signed-in session (the HttpOnly cookie goes with every same-origin
// request), and following its event stream.
import { el } from './dom.js';

export const EVENT_KINDS = ['requested', 'status', 'failure', 'summary', 'queue', 'supersedes', 'approval', 'changelog', 'notice', 'lock', 'running'];

export function signInAgain() {
  location.assign(`/dashboard/sign-in?ended=1&next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** A JSON answer of /api/v1; a 401 (the session ended) goes back to sign-in. */
export async function getJson(path) {
  const res = await fetch(`/api/v1${path}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    signInAgain();
    throw new Error('the session ended');
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body && body.error ? body.error.message : `HTTP ${res.status}`);
  return body;
}

/** Says something went wrong, in the banner under the header. */
export function showProblem(message) {
  const banner = document.getElementById('banner');
  banner.replaceChildren(el('span', { text: message }));
  banner.hidden = false;
}

function setLive(state, text) {
  const live = document.getElementById('live');
  live.dataset.state = state;
  live.textContent = text;
}

/**
 * The event stream (`/api/v1/events`), each event handed to `onEvent` with its data. The
 * browser reconnects by itself and resumes with Last-Event-ID; if the stream is refused
 * (the session ended), the page says so.
 */
export function followEvents(query, onEvent) {
  const source = new EventSource(`/api/v1/events${query}`);
  source.addEventListener('open', () => setLive('live', 'live'));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CONNECTING) {
      setLive('connecting', 'reconnecting…');
      return;
    }
    setLive('closed', 'not live');
    // Closed for good: the stream was refused. Ask the API why (a 401 goes to sign-in).
    getJson('/apps').then(
      () => showProblem('The live updates stopped; reload the page to follow them again.'),
      (error) => showProblem(`The live updates stopped: ${error.message}`),
    );
  });
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      onEvent(kind, data);
    });
  }
  return source;
}

/**
 * Resolves once `source` is open: the API subscribed it before it answered, so every event
 * recorded from then on comes through it. Also once it is closed for good (followEvents says
 * so on the page), so that a page does not wait for it forever.
 */
export function streamOpen(source) {
  return new Promise((resolve) => {
    if (source.readyState === EventSource.OPEN) return resolve();
    source.addEventListener('open', () => resolve(), { once: true });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) resolve();
    });
  });
}
