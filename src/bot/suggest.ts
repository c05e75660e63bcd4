/**
 * Did-you-mean: the closest candidate by restricted Damerau-Levenshtein
 * distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of adjacent characters).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition step looks two rows back.
  let before: number[] = [];
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * How far a word may be from a candidate to be suggested: 2 at most, and less
 * for short words, where two edits turn any word into any other (`in` → `to`).
 */
function maxDistanceFor(word: string): number {
  if (word.length <= 1) return 0;
  if (word.length <= 3) return 1;
  return 2;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The candidate the user most likely meant by `word` (case-insensitive), or
 * null when none is close enough. Ties go to the longer common prefix
 * (`stat` → `status`, not `stop`), then to the earlier candidate.
 */
export function suggest<T extends string>(word: string, candidates: readonly T[]): T | null {
  const needle = word.toLowerCase();
  const limit = maxDistanceFor(needle);
  let best: T | null = null;
  let bestDistance = limit + 1;
  let bestPrefix = -1;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(needle, lower);
    const prefix = commonPrefix(needle, lower);
    if (distance > limit) continue;
    if (distance < bestDistance || (distance === bestDistance && prefix > bestPrefix)) {
      best = candidate;
      bestDistance = distance;
      bestPrefix = prefix;
    }
  }
  return best;
}
