import type { Block } from '../../src/bot/render/blocks.ts';
import type { Deployment, DeploymentService } from '../../src/domain/deployment.ts';

export const SHA = 'abcdef1234567890abcdef1234567890abcdef12';
export const PREVIOUS_SHA = '1234567abcdef1234567890abcdef1234567890a';
export const REPO = 'https://github.com/acme/shop.git';

export const slackMention = (userId: string) => `<@${userId}>`;

export function service(overrides: Partial<DeploymentService> = {}): DeploymentService {
  return {
    name: 'api',
    type: 'application',
    status: 'DEPLOYED',
    version: SHA,
    previousVersion: null,
    image: null,
    reason: null,
    ...overrides,
  };
}

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 12,
    app: 'shop',
    env: 'staging',
    action: 'deploy',
    status: 'DEPLOYING',
    reason: null,
    ref: null,
    sha: SHA,
    requestedBy: { id: 'U0ALICE', name: 'alice' },
    trigger: 'chat',
    chat: { kind: 'slack', channel: 'C1', userId: 'U0ALICE', reply: null },
    requestedAt: new Date('2026-03-01T10:00:00Z'),
    startedAt: new Date('2026-03-01T10:00:10Z'),
    finishedAt: null,
    services: [service()],
    ...overrides,
  };
}

/** The mrkdwn of a section block; fails the test on any other block. */
export function sectionText(block: Block | undefined): string {
  if (block?.type !== 'section') throw new Error(`expected a section block, got ${JSON.stringify(block)}`);
  return block.text.text;
}
