import { isFullSha } from './git-ref.ts';

/**
 * The web page of a commit, for https repositories hosted GitHub-style
 * (`https://host/owner/repo[.git]` → `…/owner/repo/commit/<sha>`); null otherwise.
 */
export function commitUrl(repoUrl: string | null | undefined, sha: string | null): string | null {
  if (!repoUrl || sha === null || !isFullSha(sha)) return null;
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) return null;
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (path.split('/').filter(Boolean).length < 2 || /[\s<>|]/.test(path)) return null;
  return `${url.origin}${path}/commit/${sha}`;
}
