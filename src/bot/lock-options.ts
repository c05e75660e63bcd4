import { parseDuration } from '../domain/duration.ts';
import { code, type Cursor, fail, isOption, MAX_REASON_LENGTH, ok, optionText, parseApp, parseEnvClause, type ParseVerb, type Step } from './parse-steps.ts';
import { suggest } from './suggest.ts';

interface Options {
  reason: string | null;
  force: boolean;
  ttlMs: number | null;
}

/** `--reason "text"` (also `--reason=text` and unquoted words), `--ttl 2h` (also `--ttl=2h`) and `--force` / `-f`. */
function parseOptions(cursor: Cursor, verb: 'lock' | 'unlock'): Step<Options> {
  const known = verb === 'lock' ? ['--reason', '--ttl'] : ['--force'];
  const options: Options = { reason: null, force: false, ttlMs: null };
  for (let token = cursor.peek(); token; token = cursor.peek()) {
    if (!isOption(token)) {
      const hint = verb === 'lock' ? '; give a reason with `--reason "…"`' : '';
      return fail(`unexpected ${code(token.text)} after ${code(cursor.last)}${hint}`);
    }
    cursor.next();
    const eq = token.text.indexOf('=');
    const name = (eq === -1 ? token.text : token.text.slice(0, eq)).toLowerCase();
    if (verb === 'unlock' && (name === '--force' || name === '-f') && eq === -1) {
      options.force = true;
    } else if (verb === 'lock' && name === '--reason') {
      if (options.reason !== null) return fail('`--reason` is given twice');
      const reason = optionText(cursor, token);
      if (reason === '') return fail('expected a text after `--reason`, such as `--reason "incident 88"`');
      if (reason.length > MAX_REASON_LENGTH) return fail(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
      options.reason = reason;
    } else if (verb === 'lock' && name === '--ttl') {
      if (options.ttlMs !== null) return fail('`--ttl` is given twice');
      let text = eq === -1 ? '' : token.text.slice(eq + 1);
      if (eq === -1) {
        const value = cursor.peek();
        if (value && !isOption(value)) {
          text = value.text;
          cursor.next();
        }
      }
      if (text === '') return fail('expected a duration after `--ttl`, such as `--ttl 2h`');
      const ttl = parseDuration(text);
      if (ttl === null) return fail(`${code(text)} is not a duration: use a number and s, m, h or d, such as \`90s\`, \`30m\`, \`2h\` or \`1h30m\``);
      options.ttlMs = ttl;
    } else {
      return fail(`\`${verb}\` has no option ${code(token.text)}`, suggest(name, known));
    }
  }
  return ok(options);
}

export function lockOrUnlock(verb: 'lock' | 'unlock'): ParseVerb {
  return (cursor) => {
    const app = parseApp(cursor, verb);
    if (!app.ok) return app;
    const env = parseEnvClause(cursor, 'in');
    if (!env.ok) return env;
    const options = parseOptions(cursor, verb);
    if (!options.ok) return options;
    return verb === 'lock'
      ? ok({ verb, app: app.value, env: env.value, reason: options.value.reason, ...(options.value.ttlMs === null ? {} : { ttlMs: options.value.ttlMs }) })
      : ok({ verb, app: app.value, env: env.value, force: options.value.force });
  };
}
