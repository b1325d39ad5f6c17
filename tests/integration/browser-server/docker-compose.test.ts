/**
 * docker/docker-compose.yml validated by Debian's `docker-compose` 1.29 (no Docker engine runs here; `config` needs
 * none). The package is installed with apt when missing; without apt or root the tests are skipped, saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const DOCKER_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'docker');
const COMPOSE_FILE = path.join(DOCKER_DIR, 'docker-compose.yml');

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Installs a Debian package when its command is missing; returns why it could not, or undefined on success. */
function ensureCommand(command: string, pkg: string): string | undefined {
  if (has(command)) return undefined;
  if (!has('apt-get')) return `${command} is missing and apt-get is unavailable`;
  if (process.getuid?.() !== 0) return `${command} is missing and installing ${pkg} needs root`;
  const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return has(command) ? undefined : `apt-get install ${pkg} failed: ${result.stderr.slice(-300)}`;
}

function composeConfig(env: Record<string, string>, args: string[] = []) {
  return spawnSync('docker-compose', ['-f', COMPOSE_FILE, ...args, 'config'], {
    cwd: DOCKER_DIR,
    // Only PATH and HOME from the outside, so a developer's own variables cannot change the result.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
  });
}

const composeMissing = ensureCommand('docker-compose', 'docker-compose');

describe.skipIf(composeMissing !== undefined)(
  `docker-compose.yml${composeMissing ? ` (skipped: ${composeMissing})` : ''}`,
  () => {
    let services: string[];

    beforeAll(() => {
      services = execFileSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '--services'], {
        cwd: DOCKER_DIR,
        env: { PATH: process.env.PATH ?? '', CUTROOM_BROWSER_TOKEN: 'x' },
        encoding: 'utf8',
      })
        .trim()
        .split('\n');
    });

    it('passes `docker-compose config` with the browser token set', () => {
      const result = composeConfig({ CUTROOM_BROWSER_TOKEN: 'compose-test-token' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it('runs Redis with AOF and noeviction, bots, workers, browser servers and a load balancer', () => {
      expect(services).toEqual(expect.arrayContaining(['redis', 'bot', 'worker', 'browser', 'browser-lb']));
      const resolved = composeConfig({ CUTROOM_BROWSER_TOKEN: 'x' }).stdout;
      expect(resolved).toMatch(/- --appendonly\n\s+- "?yes"?\n/);
      expect(resolved).toContain('noeviction');
      expect(resolved).toContain('BROWSER_WS_ENDPOINT: ws://browser-lb:9223/');
    });

    it('runs browser servers with no capability, unable to gain privileges, allowed the namespaces of Chromium’s sandbox', () => {
      const resolved = composeConfig({ CUTROOM_BROWSER_TOKEN: 'x' }).stdout;
      const browser = resolved.slice(
        resolved.indexOf('\n  browser:'),
        resolved.indexOf('\n  browser-nvidia:'),
      );
      expect(browser).toMatch(/cap_drop:\n\s+- ALL/);
      expect(browser).toContain('no-new-privileges:true');
      expect(browser).toContain('seccomp=unconfined');
    });

    it('keeps browser servers on an internal network that only the load balancer shares', () => {
      const resolved = composeConfig({ CUTROOM_BROWSER_TOKEN: 'x' }).stdout;
      expect(resolved).toMatch(/browsers:\n\s+internal: true/);
      expect(resolved).toMatch(/browser-lb:[\s\S]*?networks:\n\s+browsers: null\n\s+default: null/);
    });

    it('puts the NVIDIA browser server behind the gpu profile with a GPU reservation', () => {
      expect(composeConfig({ CUTROOM_BROWSER_TOKEN: 'x' }).stdout).toMatch(/profiles:\n\s+- gpu\n/);
      const gpu = composeConfig({ CUTROOM_BROWSER_TOKEN: 'x' }, ['--profile', 'gpu']);
      expect(gpu.status).toBe(0);
      expect(gpu.stdout).toContain('Dockerfile.browser-nvidia');
      expect(gpu.stdout).toContain('driver: nvidia');
    });

    it('refuses to configure without CUTROOM_BROWSER_TOKEN, naming it', () => {
      const result = composeConfig({});
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('set CUTROOM_BROWSER_TOKEN in docker/.env');
    });
  },
);

const haproxyMissing = has('haproxy') ? undefined : 'haproxy is not installed (apt-get install haproxy)';

describe.skipIf(haproxyMissing !== undefined)(
  `haproxy.cfg${haproxyMissing ? ` (skipped: ${haproxyMissing})` : ''}`,
  () => {
    it('is accepted by `haproxy -c`', () => {
      const result = spawnSync('haproxy', ['-c', '-f', path.join(DOCKER_DIR, 'haproxy.cfg')], {
        encoding: 'utf8',
      });
      expect(`${result.stdout}${result.stderr}`).toMatch(/Configuration file is valid/);
      expect(result.status).toBe(0);
    });
  },
);
