import { createHash } from 'node:crypto';
import { maskedUrl, type WebhookEvent } from '../domain/webhook.ts';
import type { WebhookFileConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/** Reads an environment variable by name (the process's environment, as parseEnv saw it). */
export type Variables = (name: string) => string | undefined;

export interface WebhookConfig {
  /**
   * The webhook's name as a consumer of the event log (its cursor, retries and deliveries):
   * `webhook:<app>[/<env>]:<hash of the url>`. Stable while the URL stays; a webhook given a
   * new URL is a new consumer, starting from the log's end.
   */
  id: string;
  app: string;
  /** The environment it was declared in; null: the app's, told of every environment. */
  env: string | null;
  url: string;
  events: readonly WebhookEvent[];
  /** The variable that holds the secret (its name: shown in errors). */
  secretEnv: string;
  /** The secret itself: used only to sign bodies; masked wherever it could appear. */
  secret: string;
}

const urlHash = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 8);

/**
 * The webhooks declared at `path` (an app's or one environment's), each with its secret
 * read from the variable it names: one that is not set, or empty, is refused now rather
 * than found out at the first delivery.
 */
export function webhooksAt(
  raw: readonly WebhookFileConfig[],
  where: { app: string; env: string | null },
  path: readonly PropertyKey[],
  variables: Variables,
  fail: Fail,
): WebhookConfig[] {
  const seen = new Set<string>();
  return raw.map((hook, index) => {
    const at = [...path, 'webhooks', index];
    const scope = where.env === null ? `app ${where.app}` : `${where.app} in ${where.env}`;
    if (seen.has(hook.url)) fail([...at, 'url'], `${scope} already has a webhook to ${maskedUrl(hook.url)}; list its events once, in one entry`);
    seen.add(hook.url);
    const secret = variables(hook.secretEnv);
    if (secret === undefined || secret === '') {
      fail(
        [...at, 'secretEnv'],
        `${hook.secretEnv} is not set (or is empty): the webhook of ${scope} to ${maskedUrl(hook.url)} signs its deliveries with that variable's value; set ${hook.secretEnv} in Hoist's environment`,
      );
    }
    const id = `webhook:${where.app}${where.env === null ? '' : `/${where.env}`}:${urlHash(hook.url)}`;
    return { id, app: where.app, env: where.env, url: hook.url, events: [...new Set(hook.events)], secretEnv: hook.secretEnv, secret };
  });
}

/** An environment's webhooks: the app's, and its own (a URL in both is refused: it would be told twice). */
export function environmentWebhooks(appHooks: readonly WebhookConfig[], envHooks: readonly WebhookConfig[], path: readonly PropertyKey[], fail: Fail): WebhookConfig[] {
  envHooks.forEach((hook, index) => {
    if (appHooks.some((a) => a.url === hook.url)) {
      fail([...path, 'webhooks', index, 'url'], `app ${hook.app} already has a webhook to ${maskedUrl(hook.url)}, told of every environment; leave it out here, or move it from the app to each environment`);
    }
  });
  return [...appHooks, ...envHooks];
}
