import type { Block, Message, MrkdwnText } from './blocks.ts';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks), in UTF-16 units, which never undercount. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  messageText: 40_000,
} as const;

export const TRUNCATED = '… (truncated)';

const FENCE = '```';

/**
 * Moves a cut back so that it does not split a `<…|…>` link or mention, an
 * `&amp;`-style entity, a run of backticks or a surrogate pair.
 */
function safeCut(text: string, at: number): number {
  let cut = Math.max(0, Math.min(at, text.length));
  for (let moved = true; moved && cut > 0; ) {
    moved = false;
    const open = text.lastIndexOf('<', cut - 1);
    if (open !== -1 && text.lastIndexOf('>', cut - 1) < open) {
      cut = open;
      moved = true;
    }
    const amp = text.lastIndexOf('&', cut - 1);
    if (amp !== -1 && !text.slice(amp, cut).includes(';') && /^&(?:amp|lt|gt|#\d+);/.test(text.slice(amp, amp + 7))) {
      cut = amp;
      moved = true;
    }
    while (cut > 0 && text[cut - 1] === '`' && text[cut] === '`') {
      cut--;
      moved = true;
    }
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) {
      cut--;
      moved = true;
    }
  }
  return cut;
}

function countFences(text: string): number {
  return text.split(FENCE).length - 1;
}

/**
 * Fits mrkdwn into `max` characters: cuts at a safe place, closes a code fence
 * the cut left open, and says that it truncated.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const closing = `\n${FENCE}\n`;
  if (max < TRUNCATED.length + closing.length) return text.slice(0, safeCut(text, max));
  const head = text.slice(0, safeCut(text, max - TRUNCATED.length - closing.length));
  if (countFences(head) % 2 === 1) return `${head}${head.endsWith('\n') ? '' : '\n'}${FENCE}\n${TRUNCATED}`;
  return head + TRUNCATED;
}

/** Fits plain text (headers) into `max` characters. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

const mrkdwn = (text: string): MrkdwnText => ({ type: 'mrkdwn', text: truncateMrkdwn(text, LIMITS.sectionText) });

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncatePlain(text, LIMITS.headerText), emoji: true } };
}

export function section(text: string): Block {
  return { type: 'section', text: mrkdwn(text) };
}

/** A context block; elements beyond the limit are joined into the last one. */
export function context(texts: readonly string[]): Block {
  const max = LIMITS.contextElements;
  const kept = texts.length <= max ? texts : [...texts.slice(0, max - 1), texts.slice(max - 1).join(' · ')];
  return { type: 'context', elements: kept.map(mrkdwn) };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Packs chunks (lines, or groups of lines) into as few sections as fit,
 * joined by `separator`; a chunk too long for one section is truncated.
 */
export function packSections(chunks: readonly string[], separator = '\n'): Block[] {
  const texts: string[] = [];
  let current: string | null = null;
  for (const raw of chunks) {
    const chunk = truncateMrkdwn(raw, LIMITS.sectionText);
    if (current !== null && current.length + separator.length + chunk.length <= LIMITS.sectionText) {
      current += separator + chunk;
    } else {
      if (current !== null) texts.push(current);
      current = chunk;
    }
  }
  if (current !== null) texts.push(current);
  return texts.map(section);
}

/**
 * Packs groups of lines (one group per environment, say): a group stays in one
 * section when it fits, and is split between lines when it does not.
 */
export function packGroups(groups: readonly (readonly string[])[]): Block[] {
  const chunks = groups.flatMap((lines) => {
    const joined = lines.join('\n');
    if (joined.length <= LIMITS.sectionText) return [joined];
    return packSections(lines).map((block) => (block.type === 'section' ? block.text.text : ''));
  });
  return packSections(chunks, '\n\n');
}

/**
 * At most `max` blocks: when there are more, the last kept one is a context
 * block that says how many were left out (`note(hidden)`).
 */
export function capBlocks(blocks: readonly Block[], max: number, note: (hidden: number) => string): Block[] {
  if (blocks.length <= max) return [...blocks];
  const kept = blocks.slice(0, Math.max(0, max - 1));
  return [...kept, context([note(blocks.length - kept.length)])];
}

/** A message within Slack's limits whatever the renderers put in. */
export function message(text: string, blocks: readonly Block[]): Message {
  return {
    text: truncateMrkdwn(text, LIMITS.messageText),
    blocks: capBlocks(blocks, LIMITS.blocks, (hidden) => `… ${hidden} more not shown`),
  };
}

/** What in a message breaks a Block Kit limit; empty when it fits. */
export function limitViolations(msg: Message): string[] {
  const problems: string[] = [];
  if (msg.text.length > LIMITS.messageText) problems.push(`text has ${msg.text.length} characters`);
  if (msg.blocks.length > LIMITS.blocks) problems.push(`${msg.blocks.length} blocks`);
  msg.blocks.forEach((block, i) => {
    switch (block.type) {
      case 'header':
        if (block.text.text.length > LIMITS.headerText) problems.push(`block ${i}: header has ${block.text.text.length} characters`);
        break;
      case 'section':
        if (block.text.text.length > LIMITS.sectionText) problems.push(`block ${i}: section has ${block.text.text.length} characters`);
        break;
      case 'context':
        if (block.elements.length > LIMITS.contextElements) problems.push(`block ${i}: ${block.elements.length} context elements`);
        for (const element of block.elements) {
          if (element.text.length > LIMITS.sectionText) problems.push(`block ${i}: context element has ${element.text.length} characters`);
        }
        break;
      case 'divider':
        break;
    }
  });
  return problems;
}
