import { describe, expect, it } from 'vitest';
import { changelogMrkdwn, changelogText } from '../../src/bot/render/changelog.ts';
import { renderCard, renderCardText } from '../../src/bot/render/deployment-card.ts';
import { limitViolations } from '../../src/bot/render/limits.ts';
import type { Changelog } from '../../src/domain/changelog.ts';
import { deployment, REPO, SHA, PREVIOUS_SHA, slackMention } from './render-fixtures.ts';

const hex = (i: number) => i.toString(16).padStart(40, '0');
const changelog = (over: Partial<Changelog> = {}): Changelog => ({
  from: PREVIOUS_SHA,
  to: SHA,
  ahead: 2,
  behind: 0,
  commits: [
    { sha: hex(1), title: 'Fix the <login> & logout', author: 'octocat', pull: { number: 12, url: 'https://github.com/acme/shop/pull/12' } },
    { sha: hex(2), title: 'Tidy', author: null, pull: null },
  ],
  compareUrl: `https://github.com/acme/shop/compare/${PREVIOUS_SHA}...${SHA}`,
  ...over,
});
const ctx = { now: new Date('2026-03-01T10:01:04Z'), repoUrl: REPO, mention: slackMention };

describe('the changelog on the card', () => {
  it('lists the commits it brings with author and pull request', () => {
    expect(changelogMrkdwn(changelog(), REPO)).toBe(
      [
        '*Changes:* 2 commits new',
        `• <https://github.com/acme/shop/commit/${hex(1)}|0000000> Fix the &lt;login&gt; &amp; logout — octocat (<https://github.com/acme/shop/pull/12|#12>)`,
        `• <https://github.com/acme/shop/commit/${hex(2)}|0000000> Tidy`,
      ].join('\n'),
    );
  });

  it('counts what is not listed and links the compare page', () => {
    const many = changelog({ ahead: 57, commits: Array.from({ length: 10 }, (_, i) => ({ sha: hex(i + 1), title: `c${i}`, author: 'a', pull: null })) });
    expect(changelogMrkdwn(many, REPO)?.split('\n').at(-1)).toBe(`+47 more · <https://github.com/acme/shop/compare/${PREVIOUS_SHA}...${SHA}|compare>`);
    expect(changelogText(many).at(-1)).toBe(`  +47 more: https://github.com/acme/shop/compare/${PREVIOUS_SHA}...${SHA}`);
  });

  it('says a deploy that goes back rolls commits back, and a diverged one says both', () => {
    expect(changelogMrkdwn(changelog({ ahead: 0, behind: 4, commits: [] }), REPO)?.split('\n')[0]).toBe(':rewind: *Changes:* this rolls back 4 commits');
    expect(changelogMrkdwn(changelog({ ahead: 1, behind: 1, commits: [] }), REPO)?.split('\n')[0]).toBe(':rewind: *Changes:* 1 commit new, and this rolls back 1 commit');
    expect(changelogText(changelog({ ahead: 0, behind: 4, commits: [] }))).toEqual(['changes: this rolls back 4 commits']);
    expect(changelogMrkdwn(changelog({ ahead: 0, behind: 0, commits: [] }), REPO)).toBeNull();
  });

  it('shows an automatic deploy’s push and changelog within Block Kit limits, whatever the titles', () => {
    const long = changelog({ ahead: 500, commits: Array.from({ length: 10 }, (_, i) => ({ sha: hex(i + 1), title: 'x'.repeat(5000), author: 'y'.repeat(300), pull: { number: i, url: `https://github.com/acme/shop/pull/${i}` } })) });
    const d = deployment({ trigger: 'webhook', ref: SHA, requestedBy: { id: 'github:octocat', name: 'octocat' }, push: { pusher: 'octocat', message: `Fix it\n\n${'z'.repeat(5000)}`, forced: true, compareUrl: null }, changelog: long });
    const card = renderCard(d, ctx);
    expect(limitViolations(card)).toEqual([]);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('Pushed by *octocat* · :warning: *forced push*: _Fix it_');
    expect(text).toContain('Automatic · running for');
    expect(text).not.toContain('Requested by');
    // Commits that do not fit the section are counted with the rest, never cut in half.
    const section = card.blocks.map((b) => ('text' in b && b.text && 'text' in b.text ? b.text.text : '')).find((t) => t.startsWith('*Changes:*')) ?? '';
    const listed = section.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(listed).toBeGreaterThan(3);
    expect(section.split('\n').at(-1)).toBe(`+${500 - listed} more · <https://github.com/acme/shop/compare/${PREVIOUS_SHA}...${SHA}|compare>`);
    const plain = renderCardText(d, ctx);
    expect(plain).toContain('pushed by octocat · forced push: "Fix it"');
    expect(plain).not.toContain(`ref ${SHA}`);
  });
});
