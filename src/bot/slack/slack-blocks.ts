import type { types } from '@slack/bolt';
import type { Block } from '../render/blocks.ts';

export type SlackBlocks = (types.KnownBlock | types.Block)[];

/** Our renderers emit plain Block Kit JSON of shapes Slack's own types describe. */
export function asSlackBlocks(blocks: Block[]): SlackBlocks {
  return blocks as SlackBlocks;
}
