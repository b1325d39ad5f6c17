/**
 * @module How cutroom starts Chromium, locally and in `cutroom browser-server`: the sandbox mode the machine allows,
 * a clean environment, a memory cap per process, and the flags (chromium-args.ts).
 *
 * Modes, best first:
 * - `sandbox-as-user`: cutroom runs as root; Chromium runs as the dedicated unprivileged user with its sandbox on.
 * - `sandbox`: cutroom runs as an ordinary user; Chromium runs as that user with its sandbox on.
 * - `no-sandbox-as-user`: as root, but the kernel refuses unprivileged user namespaces: the dedicated user, no sandbox.
 * - `no-sandbox`: no sandbox and the same user as cutroom (root without the dedicated user, or no user namespaces).
 */
import { spawnSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaunchOptions } from 'playwright-core';
import { chromiumLaunchArgs } from './chromium-args.ts';
import { findChromium } from './find-chromium.ts';

export type SandboxMode = 'sandbox-as-user' | 'sandbox' | 'no-sandbox-as-user' | 'no-sandbox';

export interface ChromiumSandbox {
  mode: SandboxMode;
  /** Why this mode, and what would give a better one: for logs and `cutroom doctor`. */
  reason: string;
  /** The unprivileged user Chromium runs as, when cutroom is root. */
  user?: { name: string; uid: number; gid: number };
}

export interface ChromiumLaunchOptions {
  chromiumPath?: string;
  /** Replaces `--disable-gpu` (see gpu.ts). */
  gpuFlags?: string[];
  /** Memory each Chromium process (so each page) may use; the page's JavaScript heap gets half. @defaultValue 4096 */
  memoryMb?: number;
  /** The unprivileged user Chromium runs as when cutroom is root. @defaultValue 'cutroom-chromium' */
  user?: string;
  /** Extra flags. */
  args?: string[];
}

export interface PreparedLaunch {
  /** What to pass to `chromium.launch` or `chromium.launchServer`. */
  options: LaunchOptions;
  sandbox: ChromiumSandbox;
  /** Removes the downloads folder made for a dedicated user; call after the browser closed. */
  cleanup(): Promise<void>;
}

export const DEFAULT_CHROMIUM_USER = 'cutroom-chromium';
export const DEFAULT_BROWSER_MEMORY_MB = 4096;

const LAUNCHER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'chromium-launcher.sh',
);

const detected = new Map<string, ChromiumSandbox>();

/** The sandbox mode this machine allows (probed once per process and user name). */
export function detectChromiumSandbox(userName = DEFAULT_CHROMIUM_USER): ChromiumSandbox {
  let sandbox = detected.get(userName);
  if (!sandbox) {
    sandbox = probeSandbox(userName);
    detected.set(userName, sandbox);
  }
  return sandbox;
}

function probeSandbox(userName: string): ChromiumSandbox {
  if (process.getuid?.() !== 0) {
    const userns = tryUserNamespace([]);
    return userns === true
      ? { mode: 'sandbox', reason: 'Chromium sandbox on (unprivileged user namespaces available)' }
      : {
          mode: 'no-sandbox',
          reason: `the kernel refuses unprivileged user namespaces (${userns}): enable them (sysctl kernel.unprivileged_userns_clone=1; in Docker a seccomp profile that allows them) to turn Chromium's sandbox on`,
        };
  }
  const user = lookupUser(userName);
  if (!user) {
    return {
      mode: 'no-sandbox',
      reason: `cutroom runs as root and there is no user ${userName} to run Chromium as, so Chromium runs as root without its sandbox: run \`npm run setup\` as root (it creates the user), or run cutroom as an ordinary user`,
    };
  }
  const userns = tryUserNamespace([
    'setpriv',
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--init-groups',
    '--',
  ]);
  return userns === true
    ? { mode: 'sandbox-as-user', reason: `Chromium runs as ${userName} with its sandbox on`, user }
    : {
        mode: 'no-sandbox-as-user',
        reason: `Chromium runs as ${userName}, but the kernel refuses unprivileged user namespaces (${userns}), so without its sandbox`,
        user,
      };
}

function lookupUser(name: string): ChromiumSandbox['user'] {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** True when a user namespace can be made (as the user `prefix` switches to); else what refused it. */
function tryUserNamespace(prefix: string[]): true | string {
  const [command, ...args] = [...prefix, 'unshare', '--user', '--map-root-user', 'true'];
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  if (result.status === 0) return true;
  return (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n')[0];
}

/**
 * Launch options for a hardened Chromium: the launcher script in Chromium's place (memory cap, clean environment,
 * dedicated user), the sandbox when the machine allows it, and the closed-network flags.
 */
export async function prepareChromiumLaunch(options: ChromiumLaunchOptions = {}): Promise<PreparedLaunch> {
  const memoryMb = options.memoryMb ?? DEFAULT_BROWSER_MEMORY_MB;
  const sandbox = detectChromiumSandbox(options.user);
  let downloadsPath: string | undefined;
  if (sandbox.user) {
    // The dedicated user must be able to write the render's download; Playwright's own folder is root's.
    downloadsPath = await mkdtemp(path.join(tmpdir(), 'cutroom-downloads-'));
    await chown(downloadsPath, sandbox.user.uid, sandbox.user.gid);
  }
  return {
    sandbox,
    options: {
      executablePath: LAUNCHER,
      chromiumSandbox: sandbox.mode === 'sandbox' || sandbox.mode === 'sandbox-as-user',
      downloadsPath,
      env: {
        CUTROOM_CHROMIUM_BIN: findChromium(options.chromiumPath),
        CUTROOM_CHROMIUM_USER: sandbox.user?.name ?? '',
        CUTROOM_CHROMIUM_DATA_KB: String(memoryMb * 1024),
      },
      args: [
        ...chromiumLaunchArgs({ gpuFlags: options.gpuFlags, jsHeapMb: Math.round(memoryMb / 2) }),
        ...(options.args ?? []),
      ],
    },
    cleanup: async () => {
      if (downloadsPath) await rm(downloadsPath, { recursive: true, force: true });
    },
  };
}
