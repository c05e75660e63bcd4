import {
  Composer,
  CST,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  visit,
  type Alias,
  type Document,
  type Pair,
  type YAMLError,
} from 'yaml';
import { ConfigError } from './errors.ts';

/**
 * Deeper than any hoist.yaml needs (`apps.<app>.environments.<env>.overrides.<service>.resources.limits`
 * is eight levels): input nested thousands deep would exhaust the stack of the YAML composer.
 */
export const MAX_DEPTH = 32;
/** The most times an anchor may be repeated through aliases (nested aliases multiply): more is an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** The core schema's tags: what a hand-written file may spell out; anything else would be read as something it is not. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((tag) => `tag:yaml.org,2002:${tag}`));

/** hoist.yaml's top-level mapping as plain data, and the line each path is written on. */
export interface YamlMapping {
  data: Record<string, unknown>;
  lineOf(path: readonly PropertyKey[]): number;
}

/** Reads one YAML document whose top level is a mapping; anything else is refused with the file, the line and what is wrong. */
export function readYamlMapping(text: string, file: string): YamlMapping {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const refuse = (offset: number, path: readonly string[], message: string): never => {
    const where = path.length > 0 ? `${path.join('.')}: ` : '';
    throw new ConfigError('CONFIG_INVALID', `${file}:${lineAt(offset)}: ${where}${message}`);
  };

  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  for (const token of tokens) {
    const deep = tooDeep(token);
    if (deep !== null) refuse(deep, [], `nested more than ${MAX_DEPTH} levels deep; hoist.yaml needs far fewer`);
  }
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true, resolveKnownTags: false });
  const [doc, second] = composer.compose(tokens, true, text.length);
  if (!doc) throw new Error('the YAML composer gave no document for a forced document');
  if (doc.errors.length > 0) {
    throw new ConfigError('CONFIG_INVALID', doc.errors.map((error) => syntaxError(doc, error, file, lineCounter)).join('\n'));
  }
  if (second) refuse(second.range[0], [], 'a second YAML document starts here ("---"); hoist.yaml is one document: remove the "---" or merge the two');

  visit(doc, {
    Node(_key, node, ancestors) {
      if (node.tag === undefined || node.tag === '!' || PLAIN_TAGS.has(node.tag)) return;
      const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      refuse(node.range?.[0] ?? 0, pathOf([...ancestors, node]), `the YAML tag ${tag} is refused: hoist.yaml takes plain values (strings, numbers, true/false, lists and mappings)`);
    },
  });

  const root = doc.contents;
  if (root === null) refuse(0, [], 'the file is empty; hoist.yaml needs `targets:` and `apps:`');
  if (!isMap(root)) {
    const what = isSeq(root) ? 'a list' : 'a single value';
    refuse(root?.range?.[0] ?? 0, [], `the top level is ${what}; hoist.yaml is a mapping with \`targets:\` and \`apps:\``);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml throws a ReferenceError without a position; find the alias it stopped at by walking as it walks.
    const problem = error instanceof ReferenceError ? aliasProblem(doc) : null;
    if (!problem) throw error;
    refuse(problem.offset, problem.path, problem.reason);
  }
  return { data: data as Record<string, unknown>, lineOf: (path) => lineOf(doc, path, lineAt) };
}

/** Where a YAML token first nests deeper than MAX_DEPTH; a stack of its own, because the input may nest deeper than the call stack. */
function tooDeep(token: CST.Token): number | null {
  const stack: Array<{ token: CST.Token; depth: number }> = [{ token, depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { token: current, depth } = next;
    if (current.type === 'document' && current.value) stack.push({ token: current.value, depth });
    if (!CST.isCollection(current)) continue;
    if (depth === MAX_DEPTH) return current.offset;
    for (const item of current.items) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return null;
}

function syntaxError(doc: Document, error: YAMLError, file: string, lineCounter: LineCounter): string {
  const at = lineCounter.linePos(error.pos[0]);
  if (error.code === 'DUPLICATE_KEY') {
    const duplicate = duplicateAt(doc, error.pos[0]);
    if (duplicate) {
      const first = lineCounter.linePos(duplicate.firstOffset).line;
      return `${file}:${at.line}: ${duplicate.path.join('.')}: the key "${duplicate.path.at(-1)}" is written twice in one mapping (first on line ${first}); keep one`;
    }
  }
  return `${file}:${at.line}:${at.col}: ${error.message.split('\n')[0]}`;
}

/** The key path of the duplicate key written at offset, and where its first occurrence is. */
function duplicateAt(doc: Document, offset: number): { path: string[]; firstOffset: number } | null {
  let found: { path: string[]; firstOffset: number } | null = null;
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isNode(pair.key) || pair.key.range?.[0] !== offset) return;
      const map = ancestors.at(-1);
      const first = isMap(map) ? map.items.find((other) => other !== pair && keyText(other) === keyText(pair)) : undefined;
      const firstKey = first?.key;
      found = { path: pathOf([...ancestors, pair]), firstOffset: isNode(firstKey) ? (firstKey.range?.[0] ?? offset) : offset };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The first alias that yaml's toJS refuses, found in the same order and with the same counting (uses of an
 * anchor times the aliases nested within it), so the refusal names the line yaml stopped at.
 */
function aliasProblem(doc: Document): { offset: number; path: string[]; reason: string } | null {
  const latest = new Map<string, unknown>();
  const resolved = new Map<Alias, unknown>();
  const uses = new Map<unknown, { count: number; aliasCount: number }>();
  const aliasCount = (node: unknown): number => {
    if (isAlias(node)) {
      const use = uses.get(resolved.get(node));
      return use ? use.count * use.aliasCount : 0;
    }
    if (isCollection(node)) return (node.items as unknown[]).reduce<number>((max, item) => Math.max(max, aliasCount(item)), 0);
    if (isPair(node)) return Math.max(aliasCount(node.key), aliasCount(node.value));
    return 1;
  };
  let problem: { offset: number; path: string[]; reason: string } | null = null;
  visit(doc, {
    Node(_key, node, ancestors) {
      if (!isAlias(node)) {
        if (node.anchor) {
          latest.set(node.anchor, node);
          uses.set(node, { count: 1, aliasCount: 0 });
        }
        return;
      }
      const source = latest.get(node.source);
      resolved.set(node, source);
      const use = uses.get(source);
      let reason: string | null = null;
      if (!use) {
        reason = `the alias *${node.source} names no anchor above it; write &${node.source} on a value before repeating it`;
      } else {
        use.count += 1;
        if (use.aliasCount === 0) use.aliasCount = aliasCount(source);
        if (use.count * use.aliasCount > MAX_ALIAS_COUNT) {
          reason = `the alias *${node.source} repeats its anchor more than ${MAX_ALIAS_COUNT} times over (an alias bomb); write the values out or repeat less`;
        }
      }
      if (reason === null) return;
      problem = { offset: node.range?.[0] ?? 0, path: pathOf([...ancestors, node]), reason };
      return visit.BREAK;
    },
  });
  return problem;
}

function keyText(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** The key path to the last of a chain of nodes (a visitor's ancestors and the node itself). */
function pathOf(chain: readonly unknown[]): string[] {
  const path: string[] = [];
  chain.forEach((node, index) => {
    if (isPair(node)) path.push(keyText(node));
    else if (isSeq(node) && index + 1 < chain.length) path.push(String(node.items.indexOf(chain[index + 1])));
  });
  return path;
}

/** The line of a path's key (or list item); a path that is not written points at the nearest part that is. */
function lineOf(doc: Document, path: readonly PropertyKey[], lineAt: (offset: number) => number): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1) as unknown[], true);
    const key = String(path[depth - 1]);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => keyText(item) === key);
      if (pair && isNode(pair.key) && pair.key.range) return lineAt(pair.key.range[0]);
    }
    if (isSeq(parent)) {
      const item = parent.items[Number(key)];
      if (isNode(item) && item.range) return lineAt(item.range[0]);
    }
  }
  return 1;
}
