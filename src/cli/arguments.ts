/** An option of the command line: `--name value`, `--name=value`, or a switch without a value. */
export interface OptionSpec {
  name: string;
  takesValue: boolean;
}

export type ParsedArguments =
  | { ok: true; options: Map<string, string | true>; rest: string[] }
  | { ok: false; message: string };

const listOf = (specs: readonly OptionSpec[]): string =>
  specs.length === 0 ? 'it takes none' : `valid: ${specs.map((s) => (s.takesValue ? `${s.name} <value>` : s.name)).join(', ')}`;

/**
 * Takes the options in `specs` out of `argv`. `strict`: anything else that starts with `-`, or
 * any other word, is a mistake (the run commands); otherwise the other words are kept, in order,
 * for the chat grammar (which reads its own options such as `--ttl`).
 */
export function parseArguments(command: string, argv: readonly string[], specs: readonly OptionSpec[], strict: boolean): ParsedArguments {
  const options = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.indexOf('=');
    const name = word.startsWith('--') && eq !== -1 ? word.slice(0, eq) : word;
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) {
      if (!strict) {
        rest.push(word);
        continue;
      }
      const what = word.startsWith('-') ? `unknown option "${word}"` : `unexpected "${word}"`;
      return { ok: false, message: `hoist ${command}: ${what} (${listOf(specs)})` };
    }
    if (options.has(spec.name)) return { ok: false, message: `hoist ${command}: ${spec.name} is given twice` };
    if (!spec.takesValue) {
      if (eq !== -1 && word.startsWith('--')) return { ok: false, message: `hoist ${command}: ${spec.name} takes no value` };
      options.set(spec.name, true);
      continue;
    }
    const value = eq !== -1 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') return { ok: false, message: `hoist ${command}: ${spec.name} needs a value, such as ${spec.name}=…` };
    options.set(spec.name, value);
  }
  return { ok: true, options, rest };
}

/** Words as the shell passed them, back into one chat command: a word with spaces is quoted again. */
export function commandText(words: readonly string[]): string {
  return words
    .map((word) => {
      if (word !== '' && !/[\s"'“”‘’]/.test(word)) return word;
      return word.includes('"') ? `'${word}'` : `"${word}"`;
    })
    .join(' ');
}
