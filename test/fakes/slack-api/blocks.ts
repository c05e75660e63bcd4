/**
 * Block Kit limits as Slack's Web API enforces them on messages and views. Errors are
 * worded like Slack's (`... [json-pointer:/blocks/0/text/text]`) so a failing
 * test shows where the payload broke a rule.
 */

type Json = Record<string, unknown>;

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_SECTION_FIELDS = 10;
const MAX_FIELD_TEXT = 2000;
const MAX_HEADER_TEXT = 150;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BLOCK_ID = 255;
const MAX_ACTION_ID = 255;
const MAX_BUTTON_VALUE = 2000;
const MAX_URL = 3000;
const MAX_MARKDOWN_TEXT = 12000;
const MAX_INPUT_LABEL = 2000;
const MAX_PLAIN_TEXT_INPUT = 3000;

const KNOWN_TYPES = new Set([
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'image',
  'rich_text',
  'markdown',
  'input',
  'file',
  'video',
]);

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tooLong(limit: number, pointer: string): string {
  return `must be less than ${limit + 1} characters [json-pointer:${pointer}]`;
}

function tooMany(limit: number, pointer: string): string {
  return `must be less than ${limit + 1} items [json-pointer:${pointer}]`;
}

export function checkTextObject(
  value: unknown,
  pointer: string,
  max: number,
  errors: string[],
  allowed: readonly string[] = ['plain_text', 'mrkdwn'],
): void {
  if (!isObject(value)) {
    errors.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    errors.push(`must be one of ${allowed.join(', ')} [json-pointer:${pointer}/type]`);
  }
  if (typeof value.text !== 'string' || value.text.length === 0) {
    errors.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
  } else if (value.text.length > max) {
    errors.push(tooLong(max, `${pointer}/text`));
  }
}

function checkElement(element: unknown, pointer: string, errors: string[]): void {
  if (!isObject(element)) {
    errors.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  if (typeof element.action_id === 'string' && element.action_id.length > MAX_ACTION_ID) {
    errors.push(tooLong(MAX_ACTION_ID, `${pointer}/action_id`));
  }
  if (element.type === 'button') {
    checkTextObject(element.text, `${pointer}/text`, MAX_BUTTON_TEXT, errors, ['plain_text']);
    if (typeof element.value === 'string' && element.value.length > MAX_BUTTON_VALUE) {
      errors.push(tooLong(MAX_BUTTON_VALUE, `${pointer}/value`));
    }
    if (typeof element.url === 'string' && element.url.length > MAX_URL) {
      errors.push(tooLong(MAX_URL, `${pointer}/url`));
    }
  }
}

/** An input block: a label, and one element whose value the view's state carries under its action_id. */
function checkInput(block: Json, pointer: string, errors: string[]): void {
  checkTextObject(block.label, `${pointer}/label`, MAX_INPUT_LABEL, errors, ['plain_text']);
  if (block.hint !== undefined) checkTextObject(block.hint, `${pointer}/hint`, MAX_INPUT_LABEL, errors, ['plain_text']);
  const element = block.element;
  if (!isObject(element) || typeof element.type !== 'string') {
    errors.push(`must provide an object [json-pointer:${pointer}/element]`);
    return;
  }
  checkElement(element, `${pointer}/element`, errors);
  if (element.type !== 'plain_text_input') return;
  for (const key of ['min_length', 'max_length'] as const) {
    const value = element[key];
    if (value !== undefined && (typeof value !== 'number' || value < 0 || value > MAX_PLAIN_TEXT_INPUT)) {
      errors.push(`must be between 0 and ${MAX_PLAIN_TEXT_INPUT} [json-pointer:${pointer}/element/${key}]`);
    }
  }
}

function checkBlock(block: unknown, pointer: string, errors: string[]): void {
  if (!isObject(block)) {
    errors.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  if (typeof block.type !== 'string' || !KNOWN_TYPES.has(block.type)) {
    errors.push(`unsupported type: ${String(block.type)} [json-pointer:${pointer}/type]`);
    return;
  }
  if (typeof block.block_id === 'string' && block.block_id.length > MAX_BLOCK_ID) {
    errors.push(tooLong(MAX_BLOCK_ID, `${pointer}/block_id`));
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        errors.push(`must provide either text or fields [json-pointer:${pointer}]`);
      }
      if (block.text !== undefined) checkTextObject(block.text, `${pointer}/text`, MAX_SECTION_TEXT, errors);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) {
          errors.push(`must provide an array [json-pointer:${pointer}/fields]`);
        } else {
          if (block.fields.length > MAX_SECTION_FIELDS) errors.push(tooMany(MAX_SECTION_FIELDS, `${pointer}/fields`));
          block.fields.forEach((field, i) => checkTextObject(field, `${pointer}/fields/${i}`, MAX_FIELD_TEXT, errors));
        }
      }
      if (block.accessory !== undefined) checkElement(block.accessory, `${pointer}/accessory`, errors);
      return;
    }
    case 'header':
      checkTextObject(block.text, `${pointer}/text`, MAX_HEADER_TEXT, errors, ['plain_text']);
      return;
    case 'context':
    case 'actions': {
      const max = block.type === 'context' ? MAX_CONTEXT_ELEMENTS : MAX_ACTIONS_ELEMENTS;
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        errors.push(`must provide a non-empty array [json-pointer:${pointer}/elements]`);
        return;
      }
      if (block.elements.length > max) errors.push(tooMany(max, `${pointer}/elements`));
      block.elements.forEach((element, i) => {
        const at = `${pointer}/elements/${i}`;
        if (block.type === 'actions') checkElement(element, at, errors);
        else if (isObject(element) && element.type !== 'image') checkTextObject(element, at, MAX_SECTION_TEXT, errors);
      });
      return;
    }
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length === 0) {
        errors.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
      } else if (block.text.length > MAX_MARKDOWN_TEXT) {
        errors.push(tooLong(MAX_MARKDOWN_TEXT, `${pointer}/text`));
      }
      return;
    case 'input':
      checkInput(block, pointer, errors);
      return;
    case 'image':
      if (typeof block.image_url === 'string' && block.image_url.length > MAX_URL) {
        errors.push(tooLong(MAX_URL, `${pointer}/image_url`));
      }
      return;
    default:
      return;
  }
}

/**
 * Slack's checks of `blocks`; an empty list means valid. A message holds up to 50 blocks, a
 * view up to 100 (`/view/blocks`).
 */
export function blockErrors(blocks: unknown, { max = MAX_BLOCKS, pointer = '/blocks' } = {}): string[] {
  if (!Array.isArray(blocks)) return [`must provide an array [json-pointer:${pointer}]`];
  const errors: string[] = [];
  if (blocks.length > max) errors.push(tooMany(max, pointer));
  blocks.forEach((block, i) => checkBlock(block, `${pointer}/${i}`, errors));
  return errors;
}
