import { changelogDirection, type Changelog } from '../../domain/changelog.ts';
import type { PushRecord } from '../../domain/push.ts';
import { commitUrl } from '../../domain/commit-link.ts';
import { escapeMrkdwn, shortVersion } from './format.ts';
import { LIMITS } from './limits.ts';

/** A commit title longer than this is cut on the card: ten of them and the counts fit a section (3,000 characters) with room to spare. */
const TITLE_MAX = 120;
/** GitHub logins are at most 39 characters; a git author's name may be anything. */
const AUTHOR_MAX = 40;

const commits = (n: number): string => `${n} commit${n === 1 ? '' : 's'}`;
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The counts in words: `3 commits`, `this rolls back 2 commits`, or both for a diverged history. */
export function changelogHeadline(c: Changelog): string | null {
  switch (changelogDirection(c)) {
    case 'identical':
      return null;
    case 'ahead':
      return `${commits(c.ahead)} new`;
    case 'behind':
      return `this rolls back ${commits(c.behind)}`;
    case 'diverged':
      return `${commits(c.ahead)} new, and this rolls back ${commits(c.behind)}`;
  }
}

/**
 * The card's changelog: the counts, the first commits with author and pull request, "+N more"
 * linked to the compare page. It fits one section (`max`): commits that would not fit are
 * counted with the rest instead of being cut in half.
 */
export function changelogMrkdwn(c: Changelog, repoUrl: string | null | undefined, max: number = LIMITS.sectionText): string | null {
  const headline = changelogHeadline(c);
  if (headline === null) return null;
  const icon = c.behind > 0 ? ':rewind: ' : '';
  const top = `${icon}*Changes:* ${headline}`;
  const listed = c.commits.map((commit) => {
    const url = commitUrl(repoUrl, commit.sha);
    const sha = url ? `<${url}|${shortVersion(commit.sha)}>` : `\`${shortVersion(commit.sha)}\``;
    const author = commit.author === null ? '' : ` — ${escapeMrkdwn(cut(commit.author, AUTHOR_MAX))}`;
    const pull = commit.pull === null ? '' : ` (<${commit.pull.url}|#${commit.pull.number}>)`;
    return `• ${sha} ${escapeMrkdwn(cut(commit.title, TITLE_MAX))}${author}${pull}`;
  });
  const compare = c.compareUrl === null ? null : `<${c.compareUrl}|compare>`;
  const tail = (shown: number): string | null => {
    const more = c.ahead - shown;
    if (more > 0) return compare === null ? `+${more} more` : `+${more} more · ${compare}`;
    return compare !== null && c.behind > 0 ? compare : null;
  };
  for (let shown = listed.length; shown >= 0; shown--) {
    const text = [top, ...listed.slice(0, shown), tail(shown)].filter((line) => line !== null).join('\n');
    if (text.length <= max) return text;
  }
  return top;
}

/** The same for the terminal. */
export function changelogText(c: Changelog): string[] {
  const headline = changelogHeadline(c);
  if (headline === null) return [];
  const lines = [`changes: ${headline}`];
  for (const commit of c.commits) {
    const author = commit.author === null ? '' : ` — ${commit.author}`;
    const pull = commit.pull === null ? '' : ` (#${commit.pull.number})`;
    lines.push(`  ${shortVersion(commit.sha)} ${cut(commit.title, TITLE_MAX)}${author}${pull}`);
  }
  const more = c.ahead - c.commits.length;
  if (more > 0) lines.push(`  +${more} more${c.compareUrl === null ? '' : `: ${c.compareUrl}`}`);
  return lines;
}

/** `pushed by octocat · forced push: “Fix the login”` — the push behind an automatic deploy. */
export function pushLine(push: PushRecord, format: 'mrkdwn' | 'text'): string {
  const title = push.message === null ? null : cut((push.message.split('\n', 1)[0] ?? '').trim(), TITLE_MAX);
  const who = format === 'mrkdwn' ? `*${escapeMrkdwn(push.pusher)}*` : push.pusher;
  const forced = push.forced ? (format === 'mrkdwn' ? ' · :warning: *forced push*' : ' · forced push') : '';
  const message = title === null || title === '' ? '' : format === 'mrkdwn' ? `: _${escapeMrkdwn(title)}_` : `: "${title}"`;
  if (push.polled) return `New head found by polling${message}`;
  return `Pushed by ${who}${forced}${message}`;
}
