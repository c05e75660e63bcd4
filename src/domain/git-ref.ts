/**
 * Validation of a user-supplied git ref by git's check-ref-format rules
 * (https://git-scm.com/docs/git-check-ref-format), applied to a short name,
 * plus Hoist's own rules: a ref never starts with '-' (it would be read as an
 * option by git), and only a branch, a tag or a commit is deployable — the
 * pseudo-refs and other namespaces of Hoist's own copy of the repository
 * (`FETCH_HEAD`, `refs/remotes/…`) say nothing about what the team pushed.
 */
export type RefCheck = { ok: true } | { ok: false; reason: string };

// git forbids control characters in refs, so the pattern has to name them.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\x00-\x20\x7f~^:?*[\\]/;

/** What a refusal of a ref offers instead. */
export const DEPLOYABLE = 'a branch, a tag or a commit SHA (7 characters or more)';

/** git's own files beside the refs (gitrevisions(7)); `HEAD` is the mirror's, not a branch. */
const PSEUDO_REF = /^(?:[A-Z][A-Z_]*_)?HEAD$|^(?:AUTO_MERGE|MERGE_AUTOSTASH|BISECT_EXPECTED_REV|NOTES_MERGE_PARTIAL|NOTES_MERGE_REF)$/;
/** The namespaces that hold what was pushed: `refs/heads/x` and `refs/tags/x` may be spelled out. */
const DEPLOYABLE_NAMESPACE = /^refs\/(?:heads|tags)\/./;

export function checkRef(ref: string): RefCheck {
  if (ref.length === 0) return { ok: false, reason: 'the ref is empty' };
  if (ref.length > 255) return { ok: false, reason: 'the ref is longer than 255 characters' };
  if (ref.startsWith('-')) return { ok: false, reason: `"${ref}" starts with "-"` };
  if (FORBIDDEN_CHARS.test(ref)) {
    return { ok: false, reason: `"${ref}" contains a space, a control character or one of ~ ^ : ? * [ \\` };
  }
  if (ref.includes('..')) return { ok: false, reason: `"${ref}" contains ".."` };
  if (ref.includes('@{')) return { ok: false, reason: `"${ref}" contains "@{"` };
  if (ref === '@') return { ok: false, reason: '"@" alone is not a ref' };
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) {
    return { ok: false, reason: `"${ref}" has an empty path component` };
  }
  if (ref.endsWith('.')) return { ok: false, reason: `"${ref}" ends with "."` };
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) return { ok: false, reason: `"${ref}" has a component starting with "."` };
    if (part.endsWith('.lock')) return { ok: false, reason: `"${ref}" has a component ending with ".lock"` };
  }
  if (PSEUDO_REF.test(ref)) {
    return { ok: false, reason: `"${ref}" is a pseudo-ref of Hoist's own copy of the repository; deploy ${DEPLOYABLE}, or give no ref for the environment's branch` };
  }
  if (ref.startsWith('refs/') && !DEPLOYABLE_NAMESPACE.test(ref)) {
    return { ok: false, reason: `"${ref}" is not a branch or a tag (refs/heads/… or refs/tags/…); deploy ${DEPLOYABLE}` };
  }
  return { ok: true };
}

const FULL_SHA = /^[0-9a-f]{40}$/;
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}
