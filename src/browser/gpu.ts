/** @module GPU detection for Chromium: which flags to launch with, and whether the GPU is really used. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

export type GpuKind = 'nvidia' | 'dri' | 'none';

export interface GpuInfo {
  present: boolean;
  kind: GpuKind;
  /** Chromium flags replacing `--disable-gpu` (empty means: keep `--disable-gpu`). */
  flags: string[];
  /** The device file that revealed the GPU, for logs and `doctor`. */
  device?: string;
}

export interface DetectGpuOptions {
  /** `off` forces software rendering even when a GPU is visible. @defaultValue 'auto' */
  mode?: 'auto' | 'off';
  /** Where device files live; tests point this at a fake tree. @defaultValue '/dev' */
  devRoot?: string;
}

// NVIDIA in a container has no X server: ANGLE on Vulkan is the path that reaches the GPU headless, and
// without --disable-vulkan-surface Chromium looks for a display surface and falls back to software.
const NVIDIA_FLAGS = [
  '--ignore-gpu-blocklist',
  '--enable-gpu-rasterization',
  '--use-angle=vulkan',
  '--enable-features=Vulkan,VaapiVideoDecoder,VaapiVideoEncoder',
  '--disable-vulkan-surface',
];

// Intel and AMD expose VA-API through the render node; WebCodecs reaches the hardware encoder only with the
// VA-API features on, and the driver check refuses most server drivers.
const DRI_FLAGS = [
  '--ignore-gpu-blocklist',
  '--enable-gpu-rasterization',
  '--use-angle=gl',
  '--enable-features=VaapiVideoDecodeLinuxGL,VaapiVideoEncoder,VaapiIgnoreDriverChecks',
];

/**
 * Looks for a GPU Chromium could use: an NVIDIA device (`/dev/nvidiactl` with `/dev/nvidia0`, as the NVIDIA
 * container toolkit mounts them) or a DRM render node (`/dev/dri/renderD128`).
 * @example chromiumLaunchArgs({ gpuFlags: detectGpu().present ? detectGpu().flags : undefined })
 */
export function detectGpu(options: DetectGpuOptions = {}): GpuInfo {
  if (options.mode === 'off') return { present: false, kind: 'none', flags: [] };
  const dev = options.devRoot ?? '/dev';
  if (existsSync(path.join(dev, 'nvidiactl')) && existsSync(path.join(dev, 'nvidia0'))) {
    return { present: true, kind: 'nvidia', flags: NVIDIA_FLAGS, device: path.join(dev, 'nvidia0') };
  }
  const renderNode = path.join(dev, 'dri', 'renderD128');
  if (existsSync(renderNode)) return { present: true, kind: 'dri', flags: DRI_FLAGS, device: renderNode };
  return { present: false, kind: 'none', flags: [] };
}

export interface GpuUsage {
  /** The unmasked WebGL renderer, or null when WebGL is unavailable (as with `--disable-gpu`). */
  webglRenderer: string | null;
  /** True when WebGL runs on a real GPU rather than SwiftShader/llvmpipe. */
  hardwareAccelerated: boolean;
  /** True when WebCodecs accepts a 720p H.264 encoder with `prefer-hardware`; null outside a secure context. */
  hardwareVideoEncode: boolean | null;
  summary: string;
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software/i;

/**
 * Asks a page what it actually gets: the WebGL renderer and whether a hardware H.264 encoder is offered.
 * The page must be a secure context (e.g. `http://127.0.0.1`, not `about:blank`) for WebCodecs to exist.
 */
export async function describeGpuUsage(page: Page): Promise<GpuUsage> {
  const probe = await page.evaluate(async () => {
    let renderer: string | null = null;
    try {
      const gl = document.createElement('canvas').getContext('webgl');
      if (gl) {
        const info = gl.getExtension('WEBGL_debug_renderer_info');
        renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      }
    } catch {
      renderer = null;
    }
    let hardwareEncode: boolean | null = null;
    try {
      if (typeof VideoEncoder !== 'undefined') {
        const support = await VideoEncoder.isConfigSupported({
          codec: 'avc1.4d401f',
          width: 1280,
          height: 720,
          hardwareAcceleration: 'prefer-hardware',
        });
        hardwareEncode = support.supported === true;
      }
    } catch {
      hardwareEncode = false;
    }
    return { renderer, hardwareEncode };
  });
  const hardwareAccelerated = probe.renderer !== null && !SOFTWARE_RENDERERS.test(probe.renderer);
  const drawing = hardwareAccelerated
    ? `GPU (${probe.renderer})`
    : `software (${probe.renderer ?? 'no WebGL'})`;
  const encode =
    probe.hardwareEncode === null
      ? 'encoder unknown (page is not a secure context)'
      : probe.hardwareEncode
        ? 'hardware H.264 encoder available'
        : 'no hardware H.264 encoder';
  return {
    webglRenderer: probe.renderer,
    hardwareAccelerated,
    hardwareVideoEncode: probe.hardwareEncode,
    summary: `drawing: ${drawing}; ${encode}`,
  };
}
