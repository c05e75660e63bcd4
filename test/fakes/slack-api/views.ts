import { randomBytes } from 'node:crypto';
import { randomTriggerId, viewSubmissionBody } from '../slack-sign.ts';
import { fail, readJson, str } from './http.ts';
import { MAX_VIEW_BYTES, readViewAnswer, storedView, submissionValues, viewErrors } from './modal.ts';
import { APP_ID, TEAM, type FakeSlack, type FakeView, type Method } from './types.ts';

/**
 * Modals: the triggers interactions carry, `views.open`, and what happens when the user
 * submits and the app answers. Slack lets a `trigger_id` open one view, within 3 seconds of
 * the interaction that carried it.
 */

const TRIGGER_FORMAT = /^\d+\.\d+\.[0-9a-f]+$/;

interface Trigger {
  userId: string | null;
  issuedAt: number;
  exchanged: boolean;
}

function invalidArguments(message: string) {
  return fail('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${message}`] } });
}

/** What Slack adds to a view it stores; the hash changes with every version. */
function ids() {
  return { hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`, teamId: TEAM.team_id, appId: APP_ID, botId: TEAM.bot_id };
}

export function createViews(options: { triggerTtlMs: number }) {
  const triggers = new Map<string, Trigger>();
  const views: FakeView[] = [];
  let counter = 0;

  const openView = (view: FakeView['view'], triggerId: string, userId: string | null): FakeView => {
    counter += 1;
    const id = `V0HOIST${String(counter).padStart(4, '0')}`;
    const stored = storedView(view, { ...ids(), id });
    const opened: FakeView = {
      id,
      view: stored,
      callbackId: String(stored.callback_id),
      privateMetadata: String(stored.private_metadata),
      userId,
      triggerId,
      openedAt: new Date(),
      status: 'open',
      submissions: [],
    };
    views.push(opened);
    return opened;
  };

  const open: Method = (params) => {
    const triggerId = str(params.trigger_id);
    if (triggerId === null) return invalidArguments('missing required field: trigger_id');
    if (params.view === undefined || params.view === '') return invalidArguments('missing required field: view');
    const trigger = triggers.get(triggerId);
    // The fake knows only the triggers it issued (`issueTrigger`): any other is invalid here.
    if (!TRIGGER_FORMAT.test(triggerId) || trigger === undefined) return fail('invalid_trigger_id');
    if (trigger.exchanged) return fail('exchanged_trigger_id');
    if (Date.now() - trigger.issuedAt > options.triggerTtlMs) return fail('expired_trigger_id');
    const read = readJson(params.view);
    if (!read.ok) return invalidArguments('invalid json [json-pointer:/view]');
    if (JSON.stringify(read.value).length > MAX_VIEW_BYTES) return fail('view_too_large');
    const errors = viewErrors(read.value);
    if (errors.length > 0) return fail('invalid_arguments', { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
    const view = read.value as FakeView['view'];
    if (typeof view.external_id === 'string' && views.some((v) => v.view.external_id === view.external_id)) return fail('duplicate_external_id');
    trigger.exchanged = true;
    return { status: 200, body: { ok: true, view: openView(view, triggerId, trigger.userId).view } };
  };

  const issueTrigger: FakeSlack['issueTrigger'] = (issue) => {
    const id = randomTriggerId();
    triggers.set(id, { userId: issue?.userId ?? null, issuedAt: Date.now() - (issue?.ageMs ?? 0), exchanged: false });
    return id;
  };

  const find = (viewId: string): FakeView => {
    const view = views.find((v) => v.id === viewId);
    if (view === undefined) throw new Error(`fake Slack: no view ${viewId} was opened`);
    return view;
  };

  const submitView: FakeSlack['submitView'] = (viewId, submission) => {
    const view = find(viewId);
    if (view.status !== 'open') throw new Error(`fake Slack: view ${viewId} is closed; nobody can submit it`);
    const checked = submissionValues(view.view, submission.values);
    if (!checked.ok) {
      view.submissions.push({ kind: 'refused', errors: checked.errors, at: new Date() });
      return { ok: false, errors: checked.errors };
    }
    const triggerId = issueTrigger({ userId: submission.userId });
    return { ok: true, body: viewSubmissionBody({ view: view.view, userId: submission.userId, userName: submission.userName, values: checked.values, triggerId }) };
  };

  const answerView: FakeSlack['answerView'] = (viewId, response) => {
    const view = find(viewId);
    const answer = readViewAnswer(view.view, response.status, response.body);
    view.submissions.push({ kind: 'answered', answer, at: new Date() });
    if (answer.kind === 'closed') view.status = 'closed';
    if (answer.kind === 'updated') {
      view.view = storedView(answer.view, { ...ids(), id: view.id });
      view.callbackId = String(view.view.callback_id);
      view.privateMetadata = String(view.view.private_metadata);
    }
    return answer;
  };

  return { views, methods: { 'views.open': open } as Record<string, Method>, issueTrigger, submitView, answerView };
}
