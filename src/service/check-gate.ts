import type { AppConfig, EnvironmentConfig } from '../config/hoist-config.ts';
import { failingText, judgeChecks, type ChecksRecord, type ChecksVerdict } from '../domain/checks.ts';
import type { ActionVerb } from '../domain/command.ts';
import type { Person } from '../domain/person.ts';
import type { CommitChecks } from '../engine/ports.ts';
import type { Refusal } from './contract.ts';
import { refuse } from './lookup.ts';
import type { Permissions } from './permissions.ts';

/** How often the checks of a waiting deployment are read when no webhook says they changed. */
export const CHECKS_POLL_MS = 15_000;

/** What a request does about its commit's checks: go ahead (perhaps forced past them, recorded), or wait for them. */
export type Gate =
  | { kind: 'go'; checks: ChecksRecord | null }
  | { kind: 'wait'; checks: ChecksRecord; until: Date; nextAt: Date; waitingFor: string[] };

/** What can be told of `--force` without I/O: a reason, a deploy, and an environment with checks to force past. */
export function checkForceRequest(env: EnvironmentConfig, verb: ActionVerb, reason: string): Refusal | null {
  if (verb !== 'deploy') return refuse('BAD_REQUEST', `only a deploy waits for CI checks; leave out \`--force\` of a ${verb}`);
  if (reason.trim() === '') return refuse('BAD_REQUEST', 'deploying past CI checks needs a reason, for the record: `--force "hotfix for incident 88"`');
  if (env.checks === null) return refuse('NOT_ALLOWED', `${env.app} in ${env.name} has no \`checks:\`, so a deploy waits for no CI checks; leave out \`--force\``);
  return null;
}

/**
 * Whether `userId` may deploy past red or pending checks: only someone the environment's
 * `deployers` names. Where it names nobody, everybody may deploy, and nobody may force: a
 * red commit stays out unless someone is trusted with it by name.
 */
export async function checkForce(permissions: Permissions, env: EnvironmentConfig, userId: string): Promise<Refusal | null> {
  const wait = 'deploy without `--force` once the checks pass';
  if (env.deployers === null) {
    return refuse('FORBIDDEN', `nobody may deploy ${env.app} to ${env.name} past its CI checks: its \`deployers\` names nobody (list who may); ${wait}`);
  }
  if (await permissions.mayDeploy(env, userId)) return null;
  return refuse('FORBIDDEN', `only ${env.name}'s deployers may deploy ${env.app} past its CI checks with \`--force\`: ${permissions.deployersText(env)}; ${wait}`);
}

export interface GateInput {
  app: AppConfig;
  env: EnvironmentConfig;
  sha: string | null;
  requester: Person;
  /** `--force "<reason>"`, already allowed for the requester. */
  force: string | null;
  bypassedApproval: boolean;
  now: Date;
}

/**
 * Before a deploy of a commit is recorded (and before it asks for approval), its checks: green
 * goes; red is refused naming each failing check and its link; pending (or GitHub not
 * answering: fail closed) waits. `--force` goes past red or pending, recorded as such.
 */
export async function gateOnChecks(reader: CommitChecks, input: GateInput): Promise<Gate | Refusal> {
  const { app, env, sha } = input;
  const policy = env.checks;
  if (policy === null || sha === null || app.github === null) return { kind: 'go', checks: null };
  const reading = await reader.read(app.github, sha);
  const verdict: ChecksVerdict = reading.ok ? judgeChecks(policy.require, reading.checks) : { verdict: 'pending', waitingFor: [] };
  const short = sha.slice(0, 7);
  if (verdict.verdict === 'green') return { kind: 'go', checks: null };
  const named = verdict.verdict === 'red' ? verdict.failing.map((f) => f.name) : verdict.waitingFor;
  if (input.force !== null) {
    const forced = { by: input.requester, reason: input.force, verdict: verdict.verdict, checks: named };
    return { kind: 'go', checks: { waitingFor: null, forced, bypassedApproval: input.bypassedApproval } };
  }
  if (verdict.verdict === 'red') {
    return refuse('CHECKS_FAILED', `${app.name}@${short} has failing CI checks: ${failingText(verdict.failing)}; fix them and deploy a commit whose checks pass, or a deployer may \`--force "<reason>"\``);
  }
  // GitHub not answering counts as pending: the reason says so on the card until it answers.
  const waitingFor = reading.ok ? verdict.waitingFor : [];
  const record: ChecksRecord = { waitingFor, forced: null, bypassedApproval: input.bypassedApproval };
  return { kind: 'wait', checks: record, until: new Date(input.now.getTime() + policy.timeoutMs), nextAt: new Date(input.now.getTime() + CHECKS_POLL_MS), waitingFor };
}
