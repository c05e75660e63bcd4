import { randomUUID } from 'node:crypto';
import { ACTION_VERBS, type Command, type Verb } from '../domain/command.ts';
import { parseDuration } from '../domain/duration.ts';
import { parseCommand } from '../bot/grammar.ts';
import { commandText, parseArguments } from '../cli/arguments.ts';
import { apiBase, createApiClient, refusalOf, Unreachable, type ApiAnswer, type ApiClient } from './api-client.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { requestAndFollow } from './follow-deployment.ts';
import { describeAnswer } from './answers.ts';

/** The chat commands the command line sends to a Hoist server: every action (the domain's list), cancel, and these. */
const PIPELINE_VERB_LIST: readonly Verb[] = [...ACTION_VERBS, 'cancel', 'approve', 'reject', 'lock', 'unlock', 'status'];
export const PIPELINE_VERBS: ReadonlySet<string> = new Set(PIPELINE_VERB_LIST);

const OPTIONS = [
  { name: '--server', takesValue: true },
  { name: '--token', takesValue: true },
  { name: '--timeout', takesValue: true },
];
const DEFAULT_TIMEOUT = '30m';

export interface PipelineIo {
  /** HOIST_SERVER and HOIST_TOKEN, read by the caller (only the CLI reads the environment). */
  env: { server?: string | undefined; token?: string | undefined };
  print(text: string): void;
  warn(text: string): void;
  fetch?: typeof fetch;
  /** For tests: shorter waits between reconnects and before a silent stream counts as dead. */
  reconnectMs?: number;
  idleMs?: number;
}

export const PIPELINE_USAGE = `  ${PIPELINE_VERB_LIST.join('|')} …
                 a chat command, sent to the Hoist at HOIST_SERVER (or --server) with the API
                 token HOIST_TOKEN (or --token); an action is followed to its end (--timeout,
                 default ${DEFAULT_TIMEOUT}). Exit 0 success, 1 failed/rejected/expired/canceled,
                 2 usage or configuration, 3 refused, 4 timed out`;

/** `hoist deploy shop to staging`: the chat grammar, sent through the HTTP API; the exit code for CI. */
export async function runPipelineCommand(argv: readonly string[], io: PipelineIo): Promise<ExitCode> {
  const verb = argv[0] ?? '';
  const parsed = parseArguments(verb, argv, OPTIONS, false);
  if (!parsed.ok) return usage(io, parsed.message);
  const server = stringOption(parsed.options.get('--server')) ?? io.env.server;
  const token = stringOption(parsed.options.get('--token')) ?? io.env.token;
  const timeoutText = stringOption(parsed.options.get('--timeout')) ?? DEFAULT_TIMEOUT;
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === null) return usage(io, `hoist ${verb}: --timeout "${timeoutText}" is not a duration: use a number and s, m, h or d, such as 90s, 10m or 2h`);
  if (!server) return usage(io, `hoist ${verb}: which Hoist? Set HOIST_SERVER (or --server) to its address, such as http://hoist.example.com:3000`);
  if (!token) return usage(io, `hoist ${verb}: set HOIST_TOKEN (or --token) to an API token (\`hoist token create\` makes one)`);
  const base = apiBase(server);
  if (typeof base === 'string') return usage(io, `hoist ${verb}: HOIST_SERVER ${base}`);

  const result = parseCommand(commandText(parsed.rest));
  if (!result.ok) {
    const hint = result.suggestion ? ` (did you mean \`${result.suggestion}\`?)` : '';
    return usage(io, `hoist ${verb}: ${result.reason}${hint}\n${result.usage}`);
  }
  const client = createApiClient({ server, base, token, ...(io.fetch ? { fetch: io.fetch } : {}) });
  try {
    return await send(result.command, client, { ...io, timeoutMs });
  } catch (error) {
    if (error instanceof Unreachable) {
      io.warn(`hoist: ${error.message} (is HOIST_SERVER right, and is Hoist running?)`);
      return EXIT.usage;
    }
    throw error;
  }
}

function stringOption(value: string | true | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function usage(io: PipelineIo, message: string): ExitCode {
  io.warn(message);
  return EXIT.usage;
}

const path = (...parts: (string | number)[]) => `/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
const envPath = (app: string, env: string, ...rest: string[]) => path('apps', app, 'environments', env, ...rest);

/** One answer that is the whole result: printed, and its exit code. */
function answered(io: PipelineIo, answer: ApiAnswer, command: Command): ExitCode {
  if (answer.status >= 400) {
    io.warn(`hoist: ${answer.status < 500 ? 'refused' : 'failed'}: ${refusalOf(answer).message}`);
    return answer.status < 500 ? EXIT.refused : EXIT.failed;
  }
  io.print(describeAnswer(command, answer.body));
  return EXIT.ok;
}

async function send(command: Command, client: ApiClient, io: PipelineIo & { timeoutMs: number }): Promise<ExitCode> {
  const follow = { client, print: io.print, warn: io.warn, timeoutMs: io.timeoutMs, ...(io.reconnectMs ? { reconnectMs: io.reconnectMs } : {}), ...(io.idleMs ? { idleMs: io.idleMs } : {}) };
  switch (command.verb) {
    case 'deploy':
    case 'redeploy':
    case 'rollback':
    case 'stop':
    case 'restart':
    case 'destroy': {
      const body = {
        action: command.verb,
        ...(command.scope.services === null ? {} : { services: command.scope.services }),
        ...(command.verb === 'deploy' && command.ref !== null ? { ref: command.ref } : {}),
        ...(command.verb === 'deploy' && command.bypassApproval !== undefined ? { bypassApproval: command.bypassApproval } : {}),
        ...(command.verb === 'rollback' && command.to !== null ? { to: command.to } : {}),
        ...(command.verb === 'destroy' && command.confirm !== null ? { confirm: command.confirm } : {}),
      };
      // One key for this run: a request resent after a network error is the same request.
      const headers = { 'idempotency-key': randomUUID() };
      const where = { app: command.scope.app, env: command.env };
      return requestAndFollow(follow, where, (signal) => client.call('POST', envPath(where.app, where.env, 'deployments'), { body, headers, signal }));
    }
    case 'cancel': {
      let id: number;
      if (command.target.kind === 'deployment') id = command.target.id;
      else {
        const { app, env } = command.target;
        const view = await client.call('GET', envPath(app, env));
        if (view.status !== 200) return answered(io, view, command);
        const queue = ((view.body as { queue?: { id: number; position: number | null }[] }).queue ?? []);
        const chosen = queue.find((q) => q.position === null) ?? queue.at(-1);
        if (chosen === undefined) {
          io.warn(`hoist: refused: nothing runs or waits in ${app} in ${env}; there is nothing to cancel`);
          return EXIT.refused;
        }
        id = chosen.id;
      }
      return answered(io, await client.call('POST', path('deployments', id, 'cancel')), command);
    }
    case 'approve':
    case 'reject': {
      const body = command.verb === 'approve' ? { decision: 'approve' } : { decision: 'reject', reason: command.reason };
      return answered(io, await client.call('POST', path('deployments', command.id, 'approvals'), { body }), command);
    }
    case 'lock': {
      const body = { ...(command.reason === null ? {} : { reason: command.reason }), ...(command.ttlMs === undefined ? {} : { ttl: `${Math.round(command.ttlMs / 1000)}s` }) };
      return answered(io, await client.call('PUT', envPath(command.app, command.env, 'lock'), { body }), command);
    }
    case 'unlock':
      return answered(io, await client.call('DELETE', `${envPath(command.app, command.env, 'lock')}${command.force ? '?force=true' : ''}`), command);
    case 'status': {
      if (command.app === null) return usage(io, 'hoist status: name an app, such as `hoist status shop` or `hoist status shop in staging`');
      const target = command.env === null ? path('apps', command.app, 'environments') : envPath(command.app, command.env);
      return answered(io, await client.call('GET', target), command);
    }
    case 'history':
    case 'logs':
    case 'where':
    case 'help':
      return usage(io, `hoist ${command.verb}: not available from the command line; ask the chat or read the API (GET /api/v1/deployments, …/logs)`);
  }
}
