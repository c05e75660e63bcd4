import type { ParseResult } from './parse-steps.ts';
import { usageOf } from './help.ts';

/**
 * Slack asks clients to keep a message within 4,000 characters, and no Hoist
 * command comes near it. Checked before the text is read: reading (and
 * answering) a megabyte of it would hold up the acknowledgement and echo it back.
 */
const MAX_COMMAND_LENGTH = 4_000;

const count = (n: number) => n.toLocaleString('en-US');

/** A refusal for a command longer than any Hoist reads, saying the limit without quoting the text; null otherwise. */
export function refuseLongCommand(text: string): Extract<ParseResult, { ok: false }> | null {
  if (text.length <= MAX_COMMAND_LENGTH) return null;
  return {
    ok: false,
    reason: `this command is ${count(text.length)} characters long; Hoist reads commands of up to ${count(MAX_COMMAND_LENGTH)} characters`,
    usage: usageOf('help'),
    suggestion: null,
  };
}
