const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `90s`, `30m`, `2h`, `7d`, or parts of them together (`1h30m`) as milliseconds;
 * null when the text is not such a duration or is zero.
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) total += Number(amount) * UNITS[unit!]!;
  return total > 0 && Number.isSafeInteger(total) ? total : null;
}

/** The shortest exact text for a duration: `2h`, `1h30m`, `45s`. */
export function durationText(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join('');
}
