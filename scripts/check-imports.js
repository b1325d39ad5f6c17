#!/usr/bin/env node
// Enforces the architecture's import directions (bots→queue, worker→agent/browser/queue, only the CLI imports bots).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'src');
const forbidden = {
  bots: ['worker', 'agent', 'browser'],
  queue: ['bots', 'worker', 'agent', 'browser'],
  agent: ['bots', 'worker', 'queue/'],
  browser: ['bots', 'worker', 'agent', 'queue/'],
  worker: ['bots'],
  media: ['bots', 'worker', 'agent', 'browser', 'queue/'],
};
// Shared message types are the one part of queue that every area may see.
const allowedEverywhere = ['queue/types.ts'];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else if (full.endsWith('.ts')) yield full;
  }
}

const problems = [];
for (const file of walk(root)) {
  const rel = path.relative(root, file);
  const area = rel.split(path.sep)[0];
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
    const target = path
      .relative(root, path.resolve(path.dirname(file), match[1]))
      .split(path.sep)
      .join('/');
    if (allowedEverywhere.includes(target)) continue;
    if (area !== 'commands' && area !== 'cli.ts' && target.startsWith('bots/') && area !== 'bots') {
      problems.push(`${rel}: only the CLI may import ${target}`);
    }
    for (const banned of forbidden[area] ?? []) {
      const prefix = banned.endsWith('/') ? banned : `${banned}/`;
      if (target.startsWith(prefix)) problems.push(`${rel}: ${area} must not import ${target}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`Import rules broken (see shared STYLE.md, conventions 1):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
