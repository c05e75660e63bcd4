/**
 * The few Block Kit shapes Hoist sends, as plain JSON types (no Slack SDK
 * here: the renderers stay pure and the shell adapter reads them too).
 */
export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export type TextObject = MrkdwnText | PlainText;

export interface Button {
  type: 'button';
  text: PlainText;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: PlainText }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'section'; text: MrkdwnText }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

/** What a renderer hands to the chat: `text` is the notification fallback, `blocks` the layout. */
export interface Message {
  text: string;
  blocks: Block[];
}
