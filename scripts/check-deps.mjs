#!/usr/bin/env node
// Dependency rules that a lint rule can't see: no import cycles among src/ files (type-only
// imports count: a cycle of types is still two modules that cannot be understood apart),
// and process.env read only in src/config and the CLI.
//
//   node scripts/check-deps.mjs [root]     root: the project to check (default: this one)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));
const src = join(root, 'src');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
};
walk(src);

const problems = [];
const graph = new Map();
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const deps = [];
  for (const match of text.matchAll(importRe)) deps.push(resolve(dirname(file), match[1]));
  graph.set(file, deps);
  const rel = relative(root, file);
  if (/process\.env\b/.test(text) && !rel.startsWith('src/config/') && rel !== 'src/cli.ts') {
    problems.push(`${rel}: reads process.env (only src/config and src/cli.ts may)`);
  }
}

const state = new Map();
const stack = [];
const visit = (file) => {
  state.set(file, 'open');
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === 'open') {
      const cycle = stack.slice(stack.indexOf(dep)).concat(dep).map((f) => relative(root, f));
      problems.push(`import cycle: ${cycle.join(' → ')}`);
    } else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 'done');
};
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`dependency check: ${files.length} files, no cycles, process.env only in config`);
