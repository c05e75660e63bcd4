import { describe, expect, it } from 'vitest';
import { PRE_RUN_STATUSES, SERVICE_STATUSES, type DeploymentStatus } from '../../src/domain/status.ts';
import { commitUrl } from '../../src/domain/commit-link.ts';
import {
  elapsedPhrase,
  escapeMrkdwn,
  formatDuration,
  shortVersion,
  statusStyle,
  versionMrkdwn,
} from '../../src/bot/render/format.ts';
import { SHA } from './render-fixtures.ts';

describe('status styles', () => {
  const all: DeploymentStatus[] = [...SERVICE_STATUSES, ...PRE_RUN_STATUSES];

  it.each(all)('%s has an emoji shortcode, a glyph and a label', (status) => {
    const style = statusStyle(status);
    expect(style.emoji).toMatch(/^:[a-z_]+:$/);
    expect([...style.glyph]).toHaveLength(1);
    expect(style.label.length).toBeGreaterThan(0);
  });

  it.each([
    ['DEPLOYED', ':white_check_mark:', 'Deployed'],
    ['BUILD_ERROR', ':x:', 'Build failed'],
    ['DEPLOYMENT_ERROR', ':x:', 'Deployment failed'],
    ['QUEUED', ':hourglass_flowing_sand:', 'Queued'],
    ['BUILDING', ':hammer_and_wrench:', 'Building'],
    ['DEPLOYING', ':rocket:', 'Deploying'],
    ['STOPPED', ':black_square_for_stop:', 'Stopped'],
    ['CANCELED', ':no_entry_sign:', 'Canceled'],
    ['AWAITING_APPROVAL', ':raised_hand:', 'Awaiting approval'],
    ['EXPIRED', ':alarm_clock:', 'Approval expired'],
  ] as const)('%s → %s %s', (status, emoji, label) => {
    expect(statusStyle(status)).toMatchObject({ emoji, label });
  });

  it('gives every label once, so statuses read apart', () => {
    const labels = all.map((s) => statusStyle(s).label);
    expect(new Set(labels).size).toBe(labels.length);
  });
});

describe('versions', () => {
  it.each([
    [SHA, 'abcdef1'],
    ['abcdef1', 'abcdef1'],
    ['abcdef1234', 'abcdef1'],
    ['postgres:16', 'postgres:16'],
    [`registry.example.com/acme/shop-api:${SHA}`, 'registry.example.com/acme/shop-api:abcdef1'],
    ['v1.4.2', 'v1.4.2'],
    [null, '—'],
  ] as const)('shortVersion(%j) = %j', (version, short) => {
    expect(shortVersion(version)).toBe(short);
  });

  it.each([
    ['https://github.com/acme/shop.git', `https://github.com/acme/shop/commit/${SHA}`],
    ['https://github.com/acme/shop', `https://github.com/acme/shop/commit/${SHA}`],
    ['https://github.com/acme/shop/', `https://github.com/acme/shop/commit/${SHA}`],
    ['https://git.acme.corp/platform/shop.git', `https://git.acme.corp/platform/shop/commit/${SHA}`],
    ['http://github.com/acme/shop', null],
    ['git@github.com:acme/shop.git', null],
    ['ssh://git@github.com/acme/shop.git', null],
    ['https://user:secret@github.com/acme/shop.git', null],
    ['https://github.com/shop', null],
    ['not a url', null],
    [null, null],
  ] as const)('commitUrl(%j)', (repo, url) => {
    expect(commitUrl(repo, SHA)).toBe(url);
  });

  it('links only full SHAs', () => {
    expect(commitUrl('https://github.com/acme/shop', 'abcdef1')).toBeNull();
    expect(commitUrl('https://github.com/acme/shop', 'postgres:16')).toBeNull();
  });

  it('renders a version as a Slack link or as code', () => {
    expect(versionMrkdwn(SHA, 'https://github.com/acme/shop.git')).toBe(`<https://github.com/acme/shop/commit/${SHA}|abcdef1>`);
    expect(versionMrkdwn(SHA, null)).toBe('`abcdef1`');
    expect(versionMrkdwn('postgres:16', 'https://github.com/acme/shop')).toBe('`postgres:16`');
  });
});

describe('durations', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [42_000, '42s'],
    [59_999, '59s'],
    [60_000, '1m 00s'],
    [64_000, '1m 04s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h 00m'],
    [3_720_000, '1h 02m'],
    [86_400_000 + 3 * 3_600_000, '1d 03h'],
    [-5_000, '0s'],
  ])('formatDuration(%d) = %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  const at = (time: string) => new Date(`2026-03-01T${time}Z`);
  it.each([
    [{ requestedAt: at('10:00:00'), startedAt: null, finishedAt: null }, at('10:00:12'), 'waiting for 12s'],
    [{ requestedAt: at('10:00:00'), startedAt: at('10:00:10'), finishedAt: null }, at('10:01:14'), 'running for 1m 04s'],
    [{ requestedAt: at('10:00:00'), startedAt: at('10:00:10'), finishedAt: at('10:00:52') }, at('11:00:00'), 'took 42s'],
    [{ requestedAt: at('10:00:00'), startedAt: null, finishedAt: at('10:00:05') }, at('11:00:00'), 'took 5s'],
  ])('elapsedPhrase %#', (timed, now, phrase) => {
    expect(elapsedPhrase(timed, now)).toBe(phrase);
  });
});

it('escapes mrkdwn control characters', () => {
  expect(escapeMrkdwn('a < b && <!channel>')).toBe('a &lt; b &amp;&amp; &lt;!channel&gt;');
});
