import { describe, expect, it } from 'vitest';
import { slackMention } from '../../src/bot/render/format.ts';

describe('how Slack names someone', () => {
  it('mentions a Slack user by id', () => {
    expect(slackMention('U0ALICE')).toBe('<@U0ALICE>');
    expect(slackMention('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
  });

  it('names an API token or a terminal user as written, not as a broken mention', () => {
    expect(slackMention('token:ci')).toBe('`token:ci`');
    expect(slackMention('shell:ann')).toBe('`shell:ann`');
    expect(slackMention('hoist')).toBe('`hoist`');
    expect(slackMention('u0lower')).toBe('`u0lower`');
  });
});
