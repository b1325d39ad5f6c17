/** GPU detection for browser servers, against fake /dev trees shaped like the NVIDIA toolkit's and a DRM node. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chromiumLaunchArgs } from '../../../src/browser/chromium-args.ts';
import { detectGpu } from '../../../src/browser/gpu.ts';

describe('detectGpu', () => {
  let dev: string;

  beforeEach(() => {
    dev = mkdtempSync(path.join(tmpdir(), 'cutroom-dev-'));
  });
  afterEach(() => {
    rmSync(dev, { recursive: true, force: true });
  });

  const touch = (...parts: string[]) => {
    mkdirSync(path.join(dev, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(path.join(dev, ...parts), '');
  };

  it('finds no GPU in an empty /dev and keeps --disable-gpu', () => {
    const gpu = detectGpu({ devRoot: dev });
    expect(gpu.present).toBe(false);
    expect(chromiumLaunchArgs({ gpuFlags: gpu.present ? gpu.flags : undefined })).toContain('--disable-gpu');
  });

  it('recognises the devices the NVIDIA container toolkit mounts and drops --disable-gpu', () => {
    touch('nvidiactl');
    touch('nvidia0');
    const gpu = detectGpu({ devRoot: dev });
    expect(gpu).toMatchObject({ present: true, kind: 'nvidia', device: path.join(dev, 'nvidia0') });
    const args = chromiumLaunchArgs({ gpuFlags: gpu.flags });
    expect(args).not.toContain('--disable-gpu');
    expect(args).toEqual(expect.arrayContaining(gpu.flags));
  });

  it('needs both nvidiactl and a device node before calling it NVIDIA', () => {
    touch('nvidiactl');
    expect(detectGpu({ devRoot: dev }).present).toBe(false);
  });

  it('recognises a DRM render node (Intel/AMD, VA-API)', () => {
    touch('dri', 'renderD128');
    expect(detectGpu({ devRoot: dev })).toMatchObject({ present: true, kind: 'dri' });
  });

  it('stays on software rendering when the operator turns the GPU off', () => {
    touch('dri', 'renderD128');
    expect(detectGpu({ devRoot: dev, mode: 'off' }).present).toBe(false);
  });
});
