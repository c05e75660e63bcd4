#!/usr/bin/env node
import { constants as osConstants, userInfo } from 'node:os';
import { parseArguments } from './cli/arguments.ts';
import { RUN_OPTIONS } from './cli/run-options.ts';
import { PIPELINE_USAGE, PIPELINE_VERBS, runPipelineCommand } from './client/pipeline-command.ts';
import { standardInput } from './cli/standard-input.ts';
import { parseApiTokens } from './config/api-tokens.ts';
import { parseEnv, type Env } from './config/env.ts';
import { ConfigError } from './config/errors.ts';
import type { HoistConfig } from './config/hoist-config.ts';
import type { Mode } from './main.ts';

const USAGE = `usage: hoist <command>

  start          HTTP, chat and workers in one process (the terminal chat when no Slack
                 tokens are set and standard input is a terminal or piped commands)
    --headless   no terminal chat: the API, workers and Slack (for containers and service managers)
  server         HTTP and chat only, headless
  worker         workers only
  migrate        apply database migrations and exit
  config check   validate hoist.yaml, the environment variables and each kubernetes
                 target's kubeconfig and context; start nothing
  token          create, list and revoke API tokens (hoist token help)
  slack manifest --socket | --url https://hoist.example.com
                 the Slack app manifest: commands, events, interactivity and scopes
${PIPELINE_USAGE}
  help           this text`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && PIPELINE_VERBS.has(command)) {
    return runPipelineCommand(argv, {
      env: { server: process.env.HOIST_SERVER, token: process.env.HOIST_TOKEN },
      print: (text) => process.stdout.write(`${text}\n`),
      warn: (text) => process.stderr.write(`${text}\n`),
    });
  }
  switch (command) {
    case 'start':
    case 'server':
    case 'worker': {
      const parsed = parseArguments(command, rest, RUN_OPTIONS[command], true);
      if (!parsed.ok) {
        process.stderr.write(`${parsed.message}\n\n${USAGE}\n`);
        return 2;
      }
      return run(command, parseEnv(process.env), parsed.options.has('--headless'));
    }
    case 'migrate': {
      const env = parseEnv(process.env);
      // Loaded when used: `hoist deploy …` in a CI job starts without the server's modules.
      const { openDatabase } = await import('./store/database.ts');
      const { migrateToLatest } = await import('./store/migrator.ts');
      const database = await openDatabase({ url: env.databaseUrl, dataDir: env.dataDir, poolSize: env.databasePoolSize, preparedStatements: env.databasePreparedStatements });
      try {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'token': {
      const { tokenCommand } = await import('./main/token-command.ts');
      return tokenCommand(rest, parseEnv(process.env));
    }
    case 'slack': {
      const { slackCommand } = await import('./main/slack-command.ts');
      return slackCommand(rest, { print: (text) => process.stdout.write(`${text}\n`), warn: (text) => process.stderr.write(`${text}\n`) });
    }
    case 'config': {
      if (rest[0] !== 'check') {
        process.stderr.write(`hoist config: expected \`hoist config check\`\n\n${USAGE}\n`);
        return 2;
      }
      const env = parseEnv(process.env);
      const { allWebhooks, loadHoistConfig } = await import('./config/hoist-config.ts');
      const config = loadHoistConfig(env.configPath, env.variable);
      const envs = [...config.apps.values()].reduce((n, a) => n + a.environments.size, 0);
      process.stdout.write(`${config.file}: ok (${config.apps.size} app(s), ${envs} environment(s), ${config.targets.size} target(s))\n`);
      const hooks = allWebhooks(config);
      if (hooks.length > 0) process.stdout.write(`webhooks: ok (${hooks.length} webhook(s), secrets set in ${[...new Set(hooks.map((h) => h.secretEnv))].join(', ')})\n`);
      const { autoDeployNotes } = await import('./config/auto-deploy-notes.ts');
      for (const note of autoDeployNotes(config, env.githubWebhookSecret !== null)) process.stdout.write(`autoDeploy ${note}\n`);
      if (env.apiTokens.length > 0) process.stdout.write(`HOIST_API_TOKENS: ok (${parseApiTokens(env.apiTokens).length} token(s))\n`);
      const { checkApprovalGroups } = await import('./main/approval-groups-check.ts');
      const groupsOk = await checkApprovalGroups(config, env, { print: (line) => process.stdout.write(`${line}\n`), warn: (line) => process.stderr.write(`${line}\n`) });
      const targetsOk = await reportKubernetesTargets(config, env);
      return groupsOk && targetsOk ? 0 : 1;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`hoist: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

/** Each kubernetes target's kubeconfig and context, read as `start` will read them (nothing is contacted). */
async function reportKubernetesTargets(config: HoistConfig, env: Env): Promise<boolean> {
  const file = env.kubeconfig === null ? 'the default kubeconfig' : `KUBECONFIG ${env.kubeconfig}`;
  let ok = true;
  const { checkKubernetesTargets } = await import('./engine/targets/target-registry.ts');
  for (const check of await checkKubernetesTargets(config, env.kubeconfig)) {
    if (!check.ok) {
      ok = false;
      process.stderr.write(`target ${check.name}: ${check.reason}\n`);
    } else if (check.inCluster) {
      process.stdout.write(`target ${check.name}: the in-cluster service account (read when Hoist runs in the cluster)\n`);
    } else {
      process.stdout.write(`target ${check.name}: context "${check.context}" of ${file}, server ${check.server}\n`);
    }
  }
  return ok;
}

/** How Slack reaches this process, for the line that says it runs. */
function slackNote(env: Env): string {
  if (env.slack === null) return '';
  return env.slack.delivery.kind === 'http' ? ' (Slack at /slack/events)' : ' (Slack over Socket Mode)';
}

/**
 * The terminal chat runs for `start` without Slack, unless asked to run headless or standard
 * input is nothing (a container, a service manager); piped input that ends before any command
 * leaves Hoist running headless too. Piped commands are run, waited for, and end the process.
 */
async function run(mode: Mode, env: Env, headless: boolean): Promise<number> {
  const input = standardInput();
  const interactive = input === 'terminal';
  const chat = mode === 'start' && !env.slack && !headless && input !== 'none';
  // The signals are listened for before anything is said: one that comes right after "running"
  // is a stop, never the default death. One that comes while Hoist starts ends the process
  // there, as before (128 + the signal's number).
  let started = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (!started) {
        process.stderr.write(`hoist: ${signal} while starting, stopping\n`);
        process.exit(128 + (osConstants.signals[signal] ?? 0));
      }
      process.stderr.write(`hoist: ${signal}, stopping\n`);
      resolve(0);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const { startHoist } = await import('./main.ts');
  const hoist = await startHoist({
    env,
    mode,
    shell: chat ? { input: process.stdin, output: process.stdout, interactive, user: userInfo().username } : null,
  });
  started = true;
  const running = (note: string) => {
    const where = hoist.port !== null ? ` on http://127.0.0.1:${hoist.port}` : '';
    const metrics = hoist.metricsPort !== null ? `, metrics on http://127.0.0.1:${hoist.metricsPort}/metrics` : '';
    process.stderr.write(`hoist ${mode}: running${where}${slackNote(env)}${note}${metrics} (pid ${process.pid})\n`);
  };
  // Headless: no terminal chat where one could have been (Slack is a chat of its own).
  if (hoist.shellDone === null) running(mode === 'worker' || env.slack ? '' : ', headless');
  else if (interactive) running('');
  // Said once, however Hoist runs (piped commands too: their first start makes the token as well).
  if (hoist.localAdmin?.created && hoist.port !== null) {
    const file = hoist.localAdmin.file;
    process.stderr.write(
      `hoist ${mode}: an admin API token is in ${file} (readable by you only; said once). Try:\n  curl -H "Authorization: Bearer $(cat ${file})" http://127.0.0.1:${hoist.port}/api/v1/deployments\n`,
    );
  }
  const shellEnd = (hoist.shellDone ?? new Promise<null>(() => undefined)).then((code) => {
    if (code !== null) return code;
    running(`, headless: standard input ended before any command; logs in ${env.dataDir}/hoist.log`);
    return stopped;
  });
  const code = await Promise.race([stopped, shellEnd]);
  await hoist.stop();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`hoist: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`hoist: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
