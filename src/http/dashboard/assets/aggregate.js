// An environment's status from its services' statuses: the same precedence as Hoist's own
// (src/domain/aggregate.ts; a test holds the two to the same answers), so the board can show it
// from the events alone.

const PRECEDENCE = [
  'CANCELING', 'DESTROYING', 'STOPPING', 'RESTARTING', 'BUILDING', 'DEPLOYING', 'QUEUED',
  'BUILD_ERROR', 'DEPLOYMENT_ERROR', 'RESTART_ERROR', 'STOP_ERROR', 'DESTROY_ERROR',
  'DEPLOYED', 'RESTARTED', 'STOPPED', 'DESTROYED', 'CANCELED', 'NEVER_DEPLOYED',
];

export function aggregateStatus(statuses) {
  let best = PRECEDENCE.length;
  for (const status of statuses) {
    const rank = PRECEDENCE.indexOf(status);
    if (rank !== -1 && rank < best) best = rank;
  }
  const winner = PRECEDENCE[best] ?? 'NEVER_DEPLOYED';
  return winner === 'RESTARTED' ? 'DEPLOYED' : winner;
}

const IN_PROGRESS = new Set(['QUEUED', 'BUILDING', 'DEPLOYING', 'STOPPING', 'RESTARTING', 'DESTROYING', 'CANCELING', 'AWAITING_CHECKS', 'AWAITING_APPROVAL']);

/** A deployment in any other status will not change again. */
export const isInProgress = (status) => IN_PROGRESS.has(status);
