import type { Db } from './database.ts';

/** The GitHub Deployment of a Hoist deployment as far as Hoist knows it. */
export interface GitHubDeploymentRecord {
  deploymentId: number;
  repo: string;
  environment: string;
  /** GitHub's id; null: intended but not known to be made (made and not recorded, if a crash came between). */
  githubId: number | null;
  /** Why GitHub will not take it; null: it did, or has not been asked. */
  refused: string | null;
}

/**
 * The record of `deploymentId`'s GitHub Deployment, written as intended (no id yet) when there
 * is none. `existed`: an earlier attempt wrote it, so the GitHub Deployment may exist already.
 */
export async function intendGitHubDeployment(db: Db, input: { deploymentId: number; repo: string; environment: string }): Promise<{ record: GitHubDeploymentRecord; existed: boolean }> {
  const inserted = await db
    .insertInto('github_deployments')
    .values({ deployment_id: input.deploymentId, repo: input.repo, environment: input.environment })
    .onConflict((oc) => oc.column('deployment_id').doNothing())
    .returning('deployment_id')
    .executeTakeFirst();
  const row = await db.selectFrom('github_deployments').selectAll().where('deployment_id', '=', input.deploymentId).executeTakeFirstOrThrow();
  return {
    record: { deploymentId: row.deployment_id, repo: row.repo, environment: row.environment, githubId: row.github_id === null ? null : Number(row.github_id), refused: row.refused },
    existed: inserted === undefined,
  };
}

export async function recordGitHubDeployment(db: Db, deploymentId: number, githubId: number): Promise<void> {
  await db.updateTable('github_deployments').set({ github_id: githubId }).where('deployment_id', '=', deploymentId).execute();
}

export async function refuseGitHubDeployment(db: Db, deploymentId: number, reason: string): Promise<void> {
  await db.updateTable('github_deployments').set({ refused: reason }).where('deployment_id', '=', deploymentId).execute();
}
