import type { HoistConfig } from '../config/hoist-config.ts';
import { approversOf, voteRight } from '../domain/approval.ts';
import type { Person } from '../domain/person.ts';
import type { HoistService, Refusal } from './contract.ts';
import { createPermissions, type GroupsOf } from './permissions.ts';
import type { EnvironmentView } from './views.ts';

/** One of the user's own deployments that waits (for approval or in the queue) or runs. */
export interface HomeDeployment {
  id: number;
  app: string;
  env: string;
  action: string;
  /** `AWAITING_APPROVAL`, `QUEUED`, or what it is doing now. */
  status: string;
  /** 1 = next to run; null while it runs or waits for approval. */
  position: number | null;
}

/** A deployment waiting for approval on which the user may vote. */
export interface HomeApproval {
  id: number;
  app: string;
  env: string;
  action: string;
  requestedBy: Person;
  requestedAt: Date;
  expiresAt: Date | null;
}

/** What one person's Home shows: the environments they may operate, their own deployments, and the approvals waiting for them. */
export interface HomeBoard {
  userId: string;
  environments: EnvironmentView[];
  mine: HomeDeployment[];
  approvals: HomeApproval[];
  /** The last event of the log the board includes: a board with a later one shows what changed since. */
  eventId: number;
}

export interface HomeBoardDeps {
  api: Pick<HoistService, 'environments'>;
  config: HoistConfig;
  /** The user groups a user belongs to, for `deployers` and approvers that name a `@group`. */
  groupsOf?: GroupsOf;
  /** Whether a user is a member of a channel: an app that names its `channels` is theirs to operate only through one of them. */
  memberOf: (channel: string, userId: string) => Promise<boolean>;
}

/**
 * Each person's board, from the environments' views: the environments they may operate (of
 * an app that names no channels, or one whose channels they are in, and whose `deployers`
 * include them or name nobody), their own deployments anywhere, and the deployments waiting
 * for approval on which the environment's rules let them vote.
 */
export function createHomeBoards(deps: HomeBoardDeps) {
  const permissions = createPermissions(deps.groupsOf);

  /** The channels rule: an app that names channels is operated from them, so by their members. */
  async function inChannels(app: string, userId: string, known: Map<string, boolean>): Promise<boolean> {
    const channels = deps.config.apps.get(app)?.channels ?? [];
    if (channels.length === 0) return true;
    const remembered = known.get(app);
    if (remembered !== undefined) return remembered;
    let member = false;
    for (const channel of channels) if (!member) member = await deps.memberOf(channel, userId);
    known.set(app, member);
    return member;
  }

  async function mayApprove(view: EnvironmentView, userId: string, requestedBy: Person): Promise<boolean> {
    const policy = deps.config.apps.get(view.app)?.environments.get(view.env)?.approval ?? null;
    if (policy === null) return false;
    const groups = await permissions.groupsFor(approversOf(policy), userId);
    // The trigger only matters for the requester's own vote, and a push has no Slack user who asked.
    return voteRight(policy, { id: userId, groups }, { requestedBy, trigger: 'chat' }).ok;
  }

  return {
    async of(userId: string): Promise<HomeBoard | Refusal> {
      const views = await deps.api.environments(null, null);
      if (!Array.isArray(views)) return views;
      const environments: EnvironmentView[] = [];
      const mine: HomeDeployment[] = [];
      const approvals: HomeApproval[] = [];
      const apps = new Map<string, boolean>();
      for (const view of views) {
        const env = deps.config.apps.get(view.app)?.environments.get(view.env);
        if (env !== undefined && (await inChannels(view.app, userId, apps)) && (await permissions.mayDeploy(env, userId))) environments.push(view);
        const where = { app: view.app, env: view.env };
        for (const waiting of view.awaitingApproval) {
          if (waiting.requestedBy.id === userId) mine.push({ ...where, id: waiting.id, action: waiting.action, status: 'AWAITING_APPROVAL', position: null });
          else if (await mayApprove(view, userId, waiting.requestedBy)) approvals.push({ ...where, ...waiting });
        }
        for (const entry of view.queue) {
          if (entry.requestedBy.id === userId) mine.push({ ...where, id: entry.id, action: entry.action, status: entry.status, position: entry.position });
        }
      }
      const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
      return { userId, environments, mine: mine.sort(byId), approvals: approvals.sort(byId), eventId: Math.max(0, ...views.map((v) => v.eventId)) };
    },
  };
}

export type HomeBoards = ReturnType<typeof createHomeBoards>;
