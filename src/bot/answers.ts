import type { Command, Verb } from '../domain/command.ts';
import { redact } from '../domain/redact.ts';
import type { HoistService, Refusal } from '../service/contract.ts';
import { suggest, usageOf } from './grammar.ts';

/**
 * What the chat tells a user whose command was not taken: the reason, a
 * did-you-mean when one is close, and the usage line. The same text reads in
 * Slack mrkdwn and in a terminal; `prefix` is how commands are typed there
 * (`/hoist `, `/` before an alias, nothing in the shell).
 */

/** The names a command refers to, for did-you-mean on the API's refusals. */
export interface Subject {
  app: string | null;
  env: string | null;
  services: string[] | null;
}

/** The names a command mentions, for did-you-mean. */
export function subjectOf(command: Command): Subject {
  switch (command.verb) {
    case 'deploy':
    case 'redeploy':
    case 'rollback':
    case 'stop':
    case 'restart':
    case 'destroy':
      return { app: command.scope.app, env: command.env, services: command.scope.services };
    case 'cancel':
      return command.target.kind === 'environment'
        ? { app: command.target.app, env: command.target.env, services: null }
        : { app: null, env: null, services: null };
    case 'status':
      return { app: command.app, env: command.env, services: null };
    case 'history':
    case 'where':
      return { app: command.app, env: 'env' in command ? command.env : null, services: null };
    case 'lock':
    case 'unlock':
      return { app: command.app, env: command.env, services: null };
    case 'logs':
      if (command.id === null) return { app: command.app, env: command.env, services: [command.service] };
      return { app: null, env: null, services: command.service === null ? null : [command.service] };
    case 'approve':
    case 'reject':
    case 'help':
      return { app: null, env: null, services: null };
  }
}

type Catalog = ReturnType<HoistService['catalog']>;

/**
 * Ends the reason as a sentence; its wording (and case) stays the grammar's or the service's.
 * Every refusal passes here, so a credential quoted in one (a repository URL) is masked here.
 */
function sentence(text: string): string {
  const trimmed = redact(text.trim());
  return /[.!?:]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function usageLines(usage: string, prefix: string): string[] {
  const lines = usage.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 1) return [`Usage: \`${prefix}${lines[0]}\``];
  return ['Usage:', ...lines.map((line) => `• \`${prefix}${line}\``)];
}

function compose(reason: string, suggestion: string | null, usage: string | null, prefix: string): string {
  const lines = [sentence(reason)];
  if (suggestion !== null) lines.push(`Did you mean \`${suggestion}\`?`);
  if (usage !== null) lines.push(...usageLines(usage, prefix));
  return lines.join('\n');
}

/** The answer to a command the grammar could not read. */
export function parseFailureText(
  failure: { reason: string; usage: string; suggestion: string | null },
  prefix: string,
): string {
  return compose(failure.reason, failure.suggestion, failure.usage, prefix);
}

/** The closest known name to what the refusal says is unknown, from the configuration's catalog. */
function didYouMean(refusal: Refusal, subject: Subject, catalog: Catalog): string | null {
  const app = subject.app === null ? undefined : catalog.apps.find((a) => a.name === subject.app);
  switch (refusal.code) {
    case 'UNKNOWN_APP':
      return subject.app === null ? null : suggest(subject.app, catalog.apps.map((a) => a.name));
    case 'UNKNOWN_ENVIRONMENT':
      return app === undefined || subject.env === null ? null : suggest(subject.env, app.environments);
    case 'UNKNOWN_SERVICE': {
      if (app === undefined || subject.services === null) return null;
      const unknown = subject.services.find((s) => !app.services.includes(s));
      return unknown === undefined ? null : suggest(unknown, app.services);
    }
    default:
      return null;
  }
}

/** Refusals of what was typed (a name or ref that does not exist), as opposed to what is allowed now. */
const ABOUT_THE_INPUT: ReadonlySet<Refusal['code']> = new Set([
  'UNKNOWN_APP',
  'UNKNOWN_ENVIRONMENT',
  'UNKNOWN_SERVICE',
  'BAD_REF',
  'REF_NOT_FOUND',
]);

/**
 * The answer to a refusal from the API. Something typed that does not exist
 * gets a did-you-mean (for names in the configuration) and the usage line;
 * other refusals carry their own "what would work" in the reason.
 */
/** A refusal that is not about what was typed, as the chat says it. */
export function refusalSentence(refusal: Refusal): string {
  return sentence(refusal.reason);
}

export function refusalText(refusal: Refusal, verb: Verb, subject: Subject, catalog: Catalog, prefix: string): string {
  if (refusal.code === 'CONFIRMATION_NEEDED' && subject.services?.length === 1) {
    const name = `${subject.app}/${subject.services[0]}`;
    return `${refusalSentence(refusal)}\nType exactly: \`${prefix}destroy ${name} in ${subject.env} --confirm ${name}\``;
  }
  if (!ABOUT_THE_INPUT.has(refusal.code)) return refusalSentence(refusal);
  return compose(refusal.reason, didYouMean(refusal, subject, catalog), usageOf(verb), prefix);
}
