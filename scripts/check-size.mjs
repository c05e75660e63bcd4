#!/usr/bin/env node
// Files stay small enough to read (STYLE.md): no source file over MAX_LINES lines.
//
//   node scripts/check-size.mjs [dir]     (dir: src unless given)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A file as the report names it: relative to here when it is under here, otherwise its whole path. */
const shown = (file) => {
  const near = relative(process.cwd(), file);
  return near.startsWith('..') ? file : near;
};

const MAX_LINES = 400;
const dir = process.argv[2] ?? 'src';

const files = [];
const walk = (at) => {
  for (const name of readdirSync(at)) {
    const path = join(at, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|mts|js|mjs)$/.test(path)) files.push(path);
  }
};
walk(dir);

const lineCount = (text) => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

const over = files
  .map((file) => ({ file: shown(file), lines: lineCount(readFileSync(file, 'utf8')) }))
  .filter((f) => f.lines > MAX_LINES)
  .sort((a, b) => b.lines - a.lines);

if (over.length > 0) {
  console.error(`files over ${MAX_LINES} lines (split them by what they hold):`);
  for (const f of over) console.error(`  ${f.file}: ${f.lines} lines`);
  process.exit(1);
}
console.log(`check-size: ${files.length} files in ${dir}, none over ${MAX_LINES} lines`);
