import { blockErrors, checkTextObject, isObject, tooLong } from './blocks.ts';
import type { FakeViewAnswer, FakeViewValues } from './types.ts';

/**
 * Slack's rules for modal views, pure: what `views.open` (and a `response_action` of
 * `update`/`push`) accepts, what the modal itself checks before the user may submit, and what
 * Slack makes of the app's answer to a `view_submission`.
 */

const MAX_VIEW_BLOCKS = 100;
const MAX_VIEW_BUTTON_TEXT = 24;
const MAX_CALLBACK_ID = 255;
const MAX_PRIVATE_METADATA = 3000;
const MAX_EXTERNAL_ID = 255;
/** Slack's views.open answers `view_too_large` beyond 250 kB. */
export const MAX_VIEW_BYTES = 250_000;

type Json = Record<string, unknown>;

interface InputBlock {
  blockId: string;
  actionId: string;
  elementType: string;
  optional: boolean;
  minLength: number;
  maxLength: number | null;
}

/** Slack's checks of a modal view; an empty list means valid. Pointers start at `/view`. */
export function viewErrors(view: unknown): string[] {
  if (!isObject(view)) return ['must provide an object [json-pointer:/view]'];
  const errors: string[] = [];
  if (view.type !== 'modal') errors.push('must be modal [json-pointer:/view/type]');
  checkTextObject(view.title, '/view/title', MAX_VIEW_BUTTON_TEXT, errors, ['plain_text']);
  for (const key of ['submit', 'close'] as const) {
    if (view[key] !== undefined) checkTextObject(view[key], `/view/${key}`, MAX_VIEW_BUTTON_TEXT, errors, ['plain_text']);
  }
  errors.push(...blockErrors(view.blocks, { max: MAX_VIEW_BLOCKS, pointer: '/view/blocks' }));
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  const firstInput = blocks.findIndex((b) => isObject(b) && b.type === 'input');
  if (firstInput >= 0 && view.submit === undefined) errors.push(`must define submit to use input block [json-pointer:/view/blocks/${firstInput}]`);
  const seen = new Set<string>();
  blocks.forEach((block, i) => {
    if (!isObject(block) || typeof block.block_id !== 'string') return;
    if (seen.has(block.block_id)) errors.push(`duplicate block_id [json-pointer:/view/blocks/${i}/block_id]`);
    seen.add(block.block_id);
  });
  // Stricter than Slack, which allows a view without one: Bolt routes submissions by callback_id,
  // so a modal without it could never be answered.
  if (typeof view.callback_id !== 'string' || view.callback_id.length === 0) {
    errors.push('must provide a callback_id [json-pointer:/view/callback_id]');
  } else if (view.callback_id.length > MAX_CALLBACK_ID) {
    errors.push(tooLong(MAX_CALLBACK_ID, '/view/callback_id'));
  }
  for (const [key, max] of [['private_metadata', MAX_PRIVATE_METADATA], ['external_id', MAX_EXTERNAL_ID]] as const) {
    const value = view[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') errors.push(`must be a string [json-pointer:/view/${key}]`);
    else if (value.length > max) errors.push(tooLong(max, `/view/${key}`));
  }
  return errors;
}

/** The view as Slack stores and returns it: ids and hash added, block ids generated, empty state. */
export function storedView(view: Json, ids: { id: string; hash: string; teamId: string; appId: string; botId: string }): Json {
  const blocks = (view.blocks as Json[]).map((block, i) => {
    const stored = { ...block, block_id: typeof block.block_id === 'string' ? block.block_id : `b${i}${ids.id.slice(-4)}` };
    // As Slack's documented answer shows: an input's label gains `emoji`, and `optional` is spelled out.
    return block.type === 'input' ? { ...stored, label: { emoji: true, ...(block.label as Json) }, optional: block.optional === true } : stored;
  });
  return {
    id: ids.id,
    team_id: ids.teamId,
    type: 'modal',
    title: view.title,
    ...(view.submit === undefined ? {} : { submit: view.submit }),
    ...(view.close === undefined ? {} : { close: view.close }),
    blocks,
    private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
    callback_id: view.callback_id,
    external_id: typeof view.external_id === 'string' ? view.external_id : '',
    state: { values: {} },
    hash: ids.hash,
    clear_on_close: view.clear_on_close === true,
    notify_on_close: view.notify_on_close === true,
    previous_view_id: null,
    root_view_id: ids.id,
    app_id: ids.appId,
    app_installed_team_id: ids.teamId,
    bot_id: ids.botId,
  };
}

function inputBlocks(view: Json): InputBlock[] {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as unknown[]) : [];
  return blocks.filter(isObject).flatMap((block): InputBlock[] => {
    if (block.type !== 'input' || !isObject(block.element) || typeof block.block_id !== 'string') return [];
    const element = block.element;
    return [
      {
        blockId: block.block_id,
        actionId: typeof element.action_id === 'string' ? element.action_id : '',
        elementType: String(element.type),
        optional: block.optional === true,
        minLength: typeof element.min_length === 'number' ? element.min_length : 0,
        maxLength: typeof element.max_length === 'number' ? element.max_length : null,
      },
    ];
  });
}

/**
 * What the modal checks itself before anything is sent: a required input must be filled,
 * lengths within `min_length`/`max_length`. On success, the state values as the payload
 * carries them (an empty optional input is `null`). Values naming no input of the view are
 * a mistake in the test and throw.
 */
export function submissionValues(
  view: Json,
  typed: FakeViewValues,
): { ok: true; values: Record<string, Record<string, string | null>> } | { ok: false; errors: Record<string, string> } {
  const inputs = inputBlocks(view);
  for (const [blockId, actions] of Object.entries(typed)) {
    for (const actionId of Object.keys(actions)) {
      const input = inputs.find((i) => i.blockId === blockId && i.actionId === actionId);
      if (input === undefined) throw new Error(`fake Slack: the view has no input ${blockId}/${actionId}`);
      if (input.elementType !== 'plain_text_input') throw new Error(`fake Slack: only plain_text_input is modelled, not ${input.elementType}`);
    }
  }
  const errors: Record<string, string> = {};
  const values: Record<string, Record<string, string | null>> = {};
  for (const input of inputs) {
    const value = typed[input.blockId]?.[input.actionId] ?? '';
    if (value === '' && !input.optional) errors[input.blockId] = 'Please fill out this field.';
    else if (value !== '' && value.length < input.minLength) errors[input.blockId] = `Must be at least ${input.minLength} characters.`;
    else if (input.maxLength !== null && value.length > input.maxLength) errors[input.blockId] = `Must be at most ${input.maxLength} characters.`;
    values[input.blockId] = { [input.actionId]: value === '' ? null : value };
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

/**
 * The app's HTTP answer to a `view_submission`, as Slack reads it: an empty 200 closes the
 * modal; `response_action` `errors` keeps it open with messages under input blocks (each key
 * must be the block_id of an input block of the view); `update`/`push` must carry a valid
 * view; `clear` closes. Anything else leaves the user looking at an error.
 */
export function readViewAnswer(view: Json, status: number, body: string): FakeViewAnswer {
  if (status !== 200) return { kind: 'failed', reason: `HTTP ${status}` };
  if (body.trim() === '') return { kind: 'closed' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'failed', reason: 'the answer is not JSON' };
  }
  if (!isObject(parsed) || parsed.response_action === undefined) return { kind: 'closed' };
  switch (parsed.response_action) {
    case 'clear':
      return { kind: 'closed' };
    case 'errors': {
      const errors = parsed.errors;
      if (!isObject(errors) || Object.keys(errors).length === 0) return { kind: 'failed', reason: 'errors must be a non-empty object' };
      const inputs = new Set(inputBlocks(view).map((i) => i.blockId));
      const stray = Object.keys(errors).filter((key) => !inputs.has(key) || typeof errors[key] !== 'string');
      if (stray.length > 0) return { kind: 'failed', reason: `errors must name input blocks of the view with a message: ${stray.join(', ')}` };
      return { kind: 'errors', errors: errors as Record<string, string> };
    }
    case 'update':
    case 'push': {
      const problems = viewErrors(parsed.view);
      if (problems.length > 0) return { kind: 'failed', reason: problems.join('; ') };
      return parsed.response_action === 'update' ? { kind: 'updated', view: parsed.view as Json } : { kind: 'pushed', view: parsed.view as Json };
    }
    default:
      return { kind: 'failed', reason: `unknown response_action ${String(parsed.response_action)}` };
  }
}
