/** Deployment numbers are Postgres integers: a larger one would fail in the query, not be "not found". */
const MAX_DEPLOYMENT_NUMBER = 2_147_483_647;

/**
 * Decimal digits and nothing else. `Number()` would also take `0x2`, `1e3`, ` 12`, `+3`,
 * `1.0` and the empty string (as 0), answering about a number nobody wrote.
 */
function digits(raw: string): number | null {
  return /^[0-9]+$/.test(raw) ? Number(raw) : null;
}

/**
 * A number in the query (`limit`, `tail`, `after`): absent is null; anything but digits,
 * the empty value included, becomes NaN, which the service refuses with the range that works.
 */
export function queryNumber(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  return digits(raw) ?? Number.NaN;
}

export type DeploymentNumber = { ok: true; id: number } | { ok: false; message: string };

/** `12` or `#12`, from 1 to the largest deployment number; `example` is a request that would work. */
export function deploymentNumber(given: string, example: string): DeploymentNumber {
  const id = digits(given.replace(/^#/, ''));
  if (id === null) return { ok: false, message: `"${given}" is not a deployment number; use a positive integer such as ${example}` };
  if (id < 1 || id > MAX_DEPLOYMENT_NUMBER) {
    return { ok: false, message: `"${given}" is not a deployment number: they run from 1 to ${MAX_DEPLOYMENT_NUMBER}; use one such as ${example}` };
  }
  return { ok: true, id };
}
