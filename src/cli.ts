#!/usr/bin/env node
import { userInfo } from 'node:os';
import { parseApiTokens } from './config/api-tokens.ts';
import { parseEnv, type Env } from './config/env.ts';
import { ConfigError } from './config/errors.ts';
import { loadHoistConfig, type HoistConfig } from './config/hoist-config.ts';
import { checkKubernetesTargets } from './engine/targets/target-registry.ts';
import { startHoist, type Mode } from './main.ts';
import { tokenCommand } from './main/token-command.ts';
import { openDatabase } from './store/database.ts';
import { migrateToLatest } from './store/migrator.ts';

const USAGE = `usage: hoist <command>

  start          HTTP, chat and workers in one process (the terminal chat when no Slack tokens are set)
  server         HTTP and chat only
  worker         workers only
  migrate        apply database migrations and exit
  config check   validate hoist.yaml, the environment variables and each kubernetes
                 target's kubeconfig and context; start nothing
  token          create, list and revoke API tokens (hoist token help)
  help           this text`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'server':
    case 'worker':
      return run(command, parseEnv(process.env));
    case 'migrate': {
      const env = parseEnv(process.env);
      const database = await openDatabase({ url: env.databaseUrl, dataDir: env.dataDir });
      try {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'token':
      return tokenCommand(rest, parseEnv(process.env));
    case 'config': {
      if (rest[0] !== 'check') {
        process.stderr.write(`hoist config: expected \`hoist config check\`\n\n${USAGE}\n`);
        return 2;
      }
      const env = parseEnv(process.env);
      const config = loadHoistConfig(env.configPath);
      const envs = [...config.apps.values()].reduce((n, a) => n + a.environments.size, 0);
      process.stdout.write(`${config.file}: ok (${config.apps.size} app(s), ${envs} environment(s), ${config.targets.size} target(s))\n`);
      if (env.apiTokens.length > 0) process.stdout.write(`HOIST_API_TOKENS: ok (${parseApiTokens(env.apiTokens).length} token(s))\n`);
      return (await reportKubernetesTargets(config, env)) ? 0 : 1;
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

async function run(mode: Mode, env: Env): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  const hoist = await startHoist({
    env,
    mode,
    shell: mode === 'start' && !env.slack ? { input: process.stdin, output: process.stdout, interactive, user: userInfo().username } : null,
  });
  if (hoist.shellDone === null || interactive) {
    const where = hoist.port !== null ? ` on http://127.0.0.1:${hoist.port}` : '';
    process.stderr.write(`hoist ${mode}: running${where}${env.slack ? ' (Slack at /slack/events)' : ''} (pid ${process.pid})\n`);
    if (hoist.localAdmin?.created && hoist.port !== null) {
      const file = hoist.localAdmin.file;
      process.stderr.write(
        `hoist ${mode}: an admin API token is in ${file} (readable by you only; said once). Try:\n  curl -H "Authorization: Bearer $(cat ${file})" http://127.0.0.1:${hoist.port}/api/v1/deployments\n`,
      );
    }
  }
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`hoist: ${signal}, stopping\n`);
      resolve(0);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const code = await Promise.race([stopped, hoist.shellDone ?? new Promise<number>(() => undefined)]);
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
