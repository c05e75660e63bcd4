import { durationText } from '../domain/duration.ts';
import type { HoistConfig } from './hoist-config.ts';

/** For `hoist config check`: what makes each environment deploy on its own. */
export function autoDeployNotes(config: HoistConfig, webhookSecretSet: boolean): string[] {
  const notes: string[] = [];
  for (const app of config.apps.values()) {
    for (const env of app.environments.values()) {
      const branch = env.branch ?? "the repository's default branch";
      const where = `${app.name}/${env.name}`;
      if (env.autoDeployMode.kind === 'push') {
        const secret = webhookSecretSet ? '' : ' — GITHUB_WEBHOOK_SECRET is not set, so no push can arrive';
        notes.push(`${where}: deploys each push to ${branch} of ${app.github?.owner}/${app.github?.repo} (GitHub's webhook at /webhooks/github)${secret}`);
      } else if (env.autoDeployMode.kind === 'poll') {
        notes.push(`${where}: checks ${branch} with git ls-remote every ${durationText(env.autoDeployMode.intervalMs)} (±10%) and deploys a new head`);
      }
    }
  }
  return notes;
}
