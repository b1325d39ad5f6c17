/** The browser image's own hardening, read from its Dockerfile (no Docker engine runs here to build it). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const dockerfile = readFileSync(
  path.resolve(import.meta.dirname, '..', '..', 'docker', 'Dockerfile.browser'),
  'utf8',
);

it('runs the browser server as a non-root user', () => {
  const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  expect(users.at(-1)).toBe('node');
});

it('ships the Chromium launcher (memory cap, clean environment, sandbox) and a policy refusing local schemes', () => {
  expect(dockerfile).toContain('COPY scripts/chromium-launcher.sh ./scripts/');
  expect(dockerfile).toMatch(/URLBlocklist.*file:\/\/\*.*chrome:\/\/\*/);
});
