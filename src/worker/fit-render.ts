/** @module Picks the file a thread gets for a render: the render itself, or a stored copy that fits the platform's upload limit. */
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type FitToUploadLimitResult, fitToUploadLimit, megabytes } from '../media/fit-to-upload-limit.ts';
import { probeMedia } from '../media/probe-media.ts';
import { type ArtifactStore, fittedRenderKey } from '../queue/artifact-store.ts';
import type { ArtifactRef } from '../queue/types.ts';

export interface FitRenderOptions {
  artifacts: Pick<ArtifactStore, 'pathFor' | 'stat' | 'write'>;
  render: ArtifactRef;
  /** The request's upload limit; none posts the render as it is. */
  limitBytes?: number;
  durationSeconds?: number;
  /** Where the re-encoding is written before it is stored. */
  workDir: string;
  signal?: AbortSignal;
}

export interface FittedRender {
  file: ArtifactRef;
  /** Set when the render was re-encoded: one line telling the user. */
  note?: string;
}

/**
 * The render when it fits; else a copy re-encoded to fit, stored beside the render so that posting
 * the same version again (an undo, a retried job) encodes nothing.
 * @throws CutroomError upload_too_large when no watchable copy fits.
 */
export async function fitRender(options: FitRenderOptions): Promise<FittedRender> {
  const { artifacts, render, limitBytes } = options;
  if (limitBytes === undefined || render.size <= limitBytes) return { file: render };
  const key = fittedRenderKey(render.key, limitBytes);
  const stored = await artifacts.stat(key);
  if (stored) {
    const { height } = await probeMedia(artifacts.pathFor(key), { signal: options.signal });
    return {
      file: { ...render, key, size: stored.size },
      note: describeFit({ originalSize: render.size, size: stored.size, height }, limitBytes),
    };
  }
  await mkdir(options.workDir, { recursive: true });
  const outputPath = path.join(options.workDir, `fit-${path.basename(key)}`);
  try {
    const fitted = await fitToUploadLimit({
      inputPath: artifacts.pathFor(render.key),
      outputPath,
      limitBytes,
      durationSeconds: options.durationSeconds || undefined,
      signal: options.signal,
    });
    const file = await artifacts.write(key, createReadStream(fitted.path), {
      name: render.name,
      mimeType: render.mimeType,
    });
    return { file, note: describeFit(fitted, limitBytes) };
  } finally {
    await rm(outputPath, { force: true });
  }
}

function describeFit(
  result: Pick<FitToUploadLimitResult, 'originalSize' | 'size' | 'height'>,
  limitBytes: number,
): string {
  return `The render was ${megabytes(result.originalSize)}, over this server's ${megabytes(limitBytes)} upload limit, so I re-encoded it at ${result.height}p (${megabytes(result.size)}).`;
}
