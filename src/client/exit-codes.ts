/** What `hoist <chat command>` ends with, for a CI job to act on (README lists them). */
export const EXIT = {
  /** The command was carried out; a deployment it started succeeded. */
  ok: 0,
  /** The deployment failed, was rejected, expired or was canceled. */
  failed: 1,
  /** A usage or configuration mistake: nothing was sent. */
  usage: 2,
  /** Hoist refused the request: permission, lock, not allowed now, unknown app… */
  refused: 3,
  /** `--timeout` ran out before the deployment finished (it goes on). */
  timeout: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
