import { randomBytes } from 'node:crypto';
import { blockErrors, isObject, tooLong } from './blocks.ts';
import { fail, readJson, str } from './http.ts';
import { MAX_VIEW_BYTES, storedView } from './modal.ts';
import { APP_ID, TEAM, type FakeHome, type Method } from './types.ts';

/**
 * Home tabs: `views.publish` sets the view a user sees in the app's Home tab, one per user.
 * Each published version gets a new `hash`; a publish that passes a `hash` other than the
 * stored one is refused with `hash_conflict`, as Slack guards against racing publishers.
 */

/** A Home tab holds at most 100 blocks. */
const MAX_HOME_BLOCKS = 100;
const MAX_CALLBACK_ID = 255;
const MAX_PRIVATE_METADATA = 3000;

function homeErrors(view: unknown): string[] {
  if (!isObject(view)) return ['must provide an object [json-pointer:/view]'];
  const errors: string[] = [];
  if (view.type !== 'home') errors.push('must be home [json-pointer:/view/type]');
  errors.push(...blockErrors(view.blocks, { max: MAX_HOME_BLOCKS, pointer: '/view/blocks' }));
  if (Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input')) errors.push('input blocks are not allowed in home views [json-pointer:/view/blocks]');
  for (const [key, max] of [['callback_id', MAX_CALLBACK_ID], ['private_metadata', MAX_PRIVATE_METADATA]] as const) {
    const value = view[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') errors.push(`must be a string [json-pointer:/view/${key}]`);
    else if (value.length > max) errors.push(tooLong(max, `/view/${key}`));
  }
  return errors;
}

export function createHomes(options: { homeTabEnabled: boolean }) {
  const homes: FakeHome[] = [];
  let counter = 0;

  const publish: Method = (params) => {
    const userId = str(params.user_id);
    if (userId === null) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: user_id'] } });
    if (params.view === undefined || params.view === '') return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: view'] } });
    if (!options.homeTabEnabled) return fail('not_enabled');
    const read = readJson(params.view);
    if (!read.ok) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] invalid json [json-pointer:/view]'] } });
    if (JSON.stringify(read.value).length > MAX_VIEW_BYTES) return fail('view_too_large');
    const errors = homeErrors(read.value);
    if (errors.length > 0) return fail('invalid_arguments', { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
    const home = homes.find((h) => h.userId === userId);
    const hash = str(params.hash);
    // A hash names the version the publisher last saw: another version since, or none yet, is a conflict.
    if (hash !== null && home?.view.hash !== hash) return fail('hash_conflict');
    counter += 1;
    const id = home?.id ?? `V0HOME${String(counter).padStart(4, '0')}`;
    const ids = { id, hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`, teamId: TEAM.team_id, appId: APP_ID, botId: TEAM.bot_id };
    const { title: _title, ...stored } = storedView(read.value as Record<string, unknown>, ids);
    const view = { ...stored, type: 'home', callback_id: typeof stored.callback_id === 'string' ? stored.callback_id : '' };
    if (home === undefined) homes.push({ userId, id, view, versions: [view] });
    else {
      home.view = view;
      home.versions.push(view);
    }
    return { status: 200, body: { ok: true, view } };
  };

  return { homes, methods: { 'views.publish': publish } as Record<string, Method> };
}
