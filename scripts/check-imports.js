#!/usr/bin/env node
// Enforces the architecture's import directions: bots → queue/deliveries contracts only (they never spawn a
// process, encode media or touch Redis themselves), deliveries → queue, worker → agent/browser/media/queue/
// deliveries, and only the CLI imports the bots and the composition root.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'src');

/** Paths under src/ an area must not import (a trailing `/` or none means the whole folder). */
const forbidden = {
  bots: [
    'worker',
    'agent',
    'browser',
    'media',
    // Bots get their queues and stores built (src/open-services.ts); Redis itself and key names stay out of reach.
    'queue/redis-connection.ts',
    'queue/embedded-redis.ts',
    'queue/check-redis-settings.ts',
    'queue/redis-keys.ts',
    'queue/local-thread-store.ts',
  ],
  deliveries: ['bots', 'worker', 'agent', 'browser', 'media'],
  queue: ['bots', 'deliveries', 'worker', 'agent', 'browser', 'media'],
  agent: ['bots', 'deliveries', 'worker', 'queue/'],
  browser: ['bots', 'deliveries', 'worker', 'agent', 'queue/'],
  worker: ['bots'],
  media: ['bots', 'deliveries', 'worker', 'agent', 'browser', 'queue/'],
};
/** Exceptions to `forbidden`, with the reason. */
const allowed = {
  // Checking what a clip really is (probed, complete, unprotected) before it is queued is part of taking it in;
  // these read and decode through media/'s runFfmpeg, they never encode.
  bots: ['media/probe-media.ts', 'media/validate-media.ts'],
};
/** Packages an area must not import. */
const forbiddenPackages = {
  // Bots post and upload; anything that runs a process (encoding) belongs to the worker, and Redis to queue/deliveries.
  bots: ['node:child_process', 'child_process', 'bullmq', 'ioredis'],
};
// Shared message types are the one part of queue that every area may see.
const allowedEverywhere = ['queue/types.ts'];
// Only the command line starts the bots and opens the services everything shares.
const cliOnly = ['bots/', 'open-services.ts'];
const isCli = (area) => area === 'commands' || area === 'cli.ts';

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else if (full.endsWith('.ts')) yield full;
  }
}

function matches(target, banned) {
  if (banned.endsWith('.ts')) return target === banned;
  return target.startsWith(banned.endsWith('/') ? banned : `${banned}/`);
}

const problems = [];
for (const file of walk(root)) {
  const rel = path.relative(root, file);
  const area = rel.split(path.sep)[0];
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/(?:from|import)\s+['"]([^'"]+)['"]/g)) {
    const specifier = match[1];
    if (!specifier.startsWith('.')) {
      if ((forbiddenPackages[area] ?? []).includes(specifier)) {
        problems.push(`${rel}: ${area} must not import ${specifier}`);
      }
      continue;
    }
    const target = path
      .relative(root, path.resolve(path.dirname(file), specifier))
      .split(path.sep)
      .join('/');
    if (allowedEverywhere.includes(target)) continue;
    if (!isCli(area) && area !== target.split('/')[0] && cliOnly.some((only) => matches(target, only))) {
      problems.push(`${rel}: only the CLI may import ${target}`);
    }
    if ((allowed[area] ?? []).includes(target)) continue;
    for (const banned of forbidden[area] ?? []) {
      if (matches(target, banned)) problems.push(`${rel}: ${area} must not import ${target}`);
    }
  }
}
if (problems.length > 0) {
  console.error(`Import rules broken (see shared STYLE.md, conventions 1):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
