import type { AppConfig, EnvironmentConfig, HoistConfig } from '../config/hoist-config.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import type { Refusal } from './contract.ts';

export const refuse = (code: Refusal['code'], reason: string): Refusal => ({ ok: false, code, reason });

export function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length > 0 ? all.join(', ') : 'none';
}

export function findApp(config: HoistConfig, appName: string): AppConfig | Refusal {
  const app = config.apps.get(appName);
  return app ?? refuse('UNKNOWN_APP', `there is no app "${appName}"; known apps: ${list(config.apps.keys())}`);
}

export function findEnvironment(config: HoistConfig, appName: string, envName: string): { app: AppConfig; env: EnvironmentConfig } | Refusal {
  const app = findApp(config, appName);
  if ('ok' in app) return app;
  const env = app.environments.get(envName);
  if (!env) {
    return refuse('UNKNOWN_ENVIRONMENT', `app ${appName} has no environment "${envName}"; its environments: ${list(app.environments.keys())}`);
  }
  return { app, env };
}

/** An app that names its channels may be operated from those only. */
export function checkChannel(app: AppConfig, origin: ChatOrigin): Refusal | null {
  if (origin.kind === 'slack' && app.channels.length > 0 && !app.channels.includes(origin.channel)) {
    return refuse('CHANNEL_NOT_ALLOWED', `${app.name} can't be operated from this channel; use ${app.channels.map((c) => `<#${c}>`).join(', ')}`);
  }
  return null;
}

/** The app and environment to act on, where it may be operated from `origin`. */
export function findOperable(
  config: HoistConfig,
  appName: string,
  envName: string,
  origin: ChatOrigin,
): { app: AppConfig; env: EnvironmentConfig } | Refusal {
  const found = findEnvironment(config, appName, envName);
  if ('ok' in found) return found;
  return checkChannel(found.app, origin) ?? found;
}

/** Where a request's messages go: a request through the API or a push has no chat, so they go to the app's first channel (if any). */
export function messagesTo(app: AppConfig, origin: ChatOrigin): ChatOrigin {
  return origin.kind === 'api' || origin.kind === 'github' ? { ...origin, channel: app.channels[0] ?? null } : origin;
}
