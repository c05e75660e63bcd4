import { VERBS, type Verb } from '../domain/command.ts';

interface VerbHelp {
  /** The grammar of the verb, without any `/hoist ` prefix. */
  usage: string;
  /** One line for the overview. */
  summary: string;
  examples: string[];
  /** The longer text of `help <verb>`. */
  details: string[];
}

const SCOPE = '<app>[/<service>[,<service>…]]';

const HELP: Record<Verb, VerbHelp> = {
  deploy: {
    usage: `deploy ${SCOPE}[@<ref>] to <environment> [--bypass-approval "<reason>"] [--force "<reason>"]`,
    summary: 'deploy the latest commit of the branch, or a ref',
    examples: ['deploy shop to staging', 'deploy shop/api@v1.4.2 to production'],
    details: [
      'Without a ref, deploys the latest commit of the environment’s branch.',
      'A ref (branch, tag, SHA or SHA prefix) is resolved to a full SHA once, when you ask; that SHA is what runs and what an approval approves.',
      'For a service that runs an image, name it alone and the ref is a tag of its image: `deploy shop/db@16.4` runs `postgres:16.4` where hoist.yaml says `postgres:16`, checked in its registry when you ask.',
      'Without services, every service of the environment is deployed, in order: databases, lifecycle jobs, cronjobs, containers, applications.',
      'Where the deploy waits for approval, the environment’s `approval.bypass` members may go ahead without it, giving a reason: `--bypass-approval "incident 88"`. It is recorded as such and announced in the channel.',
      'Where the environment has `checks:`, a deploy waits for its commit’s CI checks (“waiting for CI”) and a red commit is refused; its deployers may deploy past them, giving a reason: `--force "hotfix for incident 88"`. It is recorded and announced in the channel.',
    ],
  },
  redeploy: {
    usage: `redeploy ${SCOPE} in <environment>`,
    summary: 'apply the current versions and configuration again',
    examples: ['redeploy shop in staging', 'redeploy shop/api in production'],
    details: [
      'Re-applies what runs now, with the current configuration. When nothing differs, nothing restarts ("no changes").',
      'Only after a first deploy.',
    ],
  },
  rollback: {
    usage: `rollback ${SCOPE} in <environment> [to #<deployment>]`,
    summary: 'go back to the versions of an earlier deployment',
    examples: ['rollback shop in production', 'rollback shop/api in production to #1040'],
    details: [
      'Deploys the versions and configuration of deployment #N; without `to #N`, of the last successful deployment before the current one.',
      'Afterwards the environment is locked, so automatic deploys don’t bring the bad version back; `unlock` when the fix is out.',
    ],
  },
  stop: {
    usage: `stop ${SCOPE} in <environment>`,
    summary: 'scale to zero, keeping volumes; suspend cronjobs',
    examples: ['stop shop/report in staging', 'stop shop in staging'],
    details: [
      'Stops pods or containers and suspends cronjobs; volumes are kept. Services stop in reverse order.',
      'Only from DEPLOYED or an error status.',
    ],
  },
  restart: {
    usage: `restart ${SCOPE} in <environment>`,
    summary: 'restart running services without changing them',
    examples: ['restart shop/api in production'],
    details: ['Restarts pods or containers without any configuration change.', 'Only DEPLOYED services, one service at a time.'],
  },
  destroy: {
    usage: 'destroy <app>/<service> in <environment> --confirm <app>/<service>',
    summary: 'remove a service and its data for good',
    examples: ['destroy shop/db in staging --confirm shop/db'],
    details: [
      'Removes the service from its environment: its containers and its data volume on Docker; its workload, Service and the StatefulSet’s volume claims on Kubernetes. The data cannot be brought back.',
      'One service at a time, its full name typed again after `--confirm`. Only the environment’s deployers may; where the environment’s `approval` lists `destroy` (it does by default), it waits for approval. It queues like every other action.',
      'Afterwards the service shows DESTROYED; a `deploy` starts it afresh, with empty storage.',
    ],
  },
  cancel: {
    usage: 'cancel #<deployment> | cancel <app> in <environment>',
    summary: 'remove a queued deployment or stop a running one',
    examples: ['cancel #1042', 'cancel shop in staging'],
    details: [
      'A queued or awaiting deployment is removed. A running one stops at once: the build is aborted, a service in mid-rollout goes back to its previous revision, services not yet started end CANCELED, services already finished keep their new version.',
      '`cancel <app> in <environment>` cancels what runs in that environment now; when nothing runs, the newest deployment waiting there.',
    ],
  },
  approve: {
    usage: 'approve #<deployment>',
    summary: 'approve a deployment that waits for approval',
    examples: ['approve #1042'],
    details: [
      'An environment with `approval:` in hoist.yaml holds the actions it lists (by default deploy, redeploy, rollback, stop and destroy) until its rules hold: each rule asks for a number of votes from the people it names, by Slack user id or @group. Every rule must hold.',
      'Only someone a rule names may approve, and never whoever requested the deployment unless the environment allows `selfApproval`; an automatic deploy may be approved by every approver. Your vote counts once, and toward one rule only.',
      'Once every rule holds, the deployment joins the environment’s queue behind what already waits there. The card’s *Approve* button does the same as this command; the card shows each rule, who counted toward it, and who approved and when.',
      'In the terminal chat you are `shell:<login>` and the requester of what you deploy there: choosing Approve approves it only where the environment allows `selfApproval` and a rule names `shell:<login>`; otherwise it waits for an approver, who approves it from Slack.',
      'The approvers are reminded in the thread every `remindEvery`; a request nobody decides on within `timeout` (24h by default) expires. If what the deployment would run changes before it starts (hoist.yaml changed, or a redeploy would now apply other versions), the votes are discarded and approval is asked again, saying what changed.',
    ],
  },
  reject: {
    usage: 'reject #<deployment> <reason>',
    summary: 'reject a deployment that waits for approval',
    examples: ['reject #1042 breaks the checkout flow'],
    details: [
      'Ends the deployment REJECTED: nothing runs. The reason is required; the requester, the thread and the API see who rejected it and why.',
      'Whoever may approve a deployment may reject it (see `help approve`).',
      'The card’s *Reject* button asks for the reason in a form; in the terminal chat, the Reject choice asks for it on the next line.',
    ],
  },
  status: {
    usage: 'status [<app>] [in <environment>]',
    summary: 'what runs where',
    examples: ['status', 'status shop', 'status shop in staging'],
    details: [
      'Shows each environment with its status, each service with its status and version, and what waits in the queue.',
      'Beside each service’s deployment status, whether it runs now as its target says: RUNNING, DEGRADED, DOWN, STOPPED or UNKNOWN, with ready/desired replicas and restarts (`DEPLOYED · DOWN 0/2, 14 restarts`).',
    ],
  },
  history: {
    usage: 'history <app> [in <environment>]',
    summary: 'recent deployments',
    examples: ['history shop', 'history shop in production'],
    details: ['Lists the latest deployments of an app, newest first: who asked for what, and how it ended.'],
  },
  logs: {
    usage: 'logs #<deployment> [<service>] | logs <app>/<service> in <environment>',
    summary: 'the last lines of a deployment’s log, or of a running service',
    examples: ['logs #1042', 'logs #1042 api', 'logs shop/api in production'],
    details: [
      'Shows you (no one else) the last 30 lines of the deployment’s log: build output, Hoist’s notes and the services’ output, secrets redacted. With a service, only that service’s lines.',
      'The whole log is at `GET /api/v1/deployments/<deployment>/logs` on Hoist’s HTTP API. A card’s *Logs* button shows the same as this command.',
      '`logs shop/api in production` shows the last 30 lines the running service wrote, from every replica (pod or container), each line with its replica’s name, secrets redacted. `GET /api/v1/apps/shop/environments/production/services/api/logs?follow=1` follows them.',
    ],
  },
  lock: {
    usage: 'lock <app> in <environment> [--reason "<text>"] [--ttl <duration>]',
    summary: 'hold an environment: others’ deploys are refused',
    examples: ['lock shop in production --reason "incident 88"', 'lock shop in staging --reason "demo" --ttl 2h'],
    details: [
      'While locked, deploys by anyone else are refused with who locked, why and since when; automatic deploys are skipped and announced. You can still deploy.',
      '`--ttl` (such as `30m`, `2h`, `1h30m`) releases the lock by itself; the environment’s `lock.ttl` is the default and the longest allowed. You are reminded shortly before it lapses; lock again to keep it.',
      'Where the environment lists `deployers`, only they may lock it (and act there at all).',
    ],
  },
  unlock: {
    usage: 'unlock <app> in <environment> [--force]',
    summary: 'release a lock',
    examples: ['unlock shop in production', 'unlock shop in production --force'],
    details: [
      'Releases your own lock. `--force` releases someone else’s: only the environment’s deployers may (anyone where it lists none); it is recorded and announced in the channel.',
      'A pin Hoist set after a rollback is lifted with a plain `unlock` by anyone who may deploy there.',
    ],
  },
  where: {
    usage: 'where <app>',
    summary: 'which version runs in each environment',
    examples: ['where shop'],
    details: ['Shows, for every environment of the app, its status, the version each service runs and whether it runs now (its running status), its lock and what waits in its queue.'],
  },
  help: {
    usage: 'help [<command>]',
    summary: 'this help; `help <command>` for details',
    examples: ['help', 'help rollback'],
    details: ['Lists the commands; `help <command>` explains one.'],
  },
};

/** The usage line of a verb, without prefix: the chat adds `/hoist `, an alias adds `/`. */
export function usageOf(verb: Verb): string {
  return HELP[verb].usage;
}

/** The one-line summary of a verb (the overview's, and a slash command's description). */
export function summaryOf(verb: Verb): string {
  return HELP[verb].summary;
}

/** Every usage line, one per line: the answer to a command that names no known verb. */
export function allUsages(): string {
  return VERBS.map((verb) => HELP[verb].usage).join('\n');
}

/**
 * Help as text that reads the same in Slack mrkdwn and in a terminal.
 * `prefix` is how commands are typed where the help is shown.
 */
export function helpText(topic: Verb | null, prefix = '/hoist '): string {
  if (topic === null) {
    const lines = VERBS.map((verb) => {
      const help = HELP[verb];
      return `• \`${prefix}${help.usage}\` — ${help.summary}\n    e.g. ${help.examples.map((e) => `\`${prefix}${e}\``).join(', ')}`;
    });
    return ['*Hoist commands*', ...lines].join('\n');
  }
  const help = HELP[topic];
  return [
    `*${topic}* — ${help.summary}`,
    `Usage: \`${prefix}${help.usage}\``,
    '',
    ...help.details,
    '',
    'Examples:',
    ...help.examples.map((example) => `• \`${prefix}${example}\``),
  ].join('\n');
}
