/** @module `cutroom render`: one code action on local clips, no LLM: previews and an MP4. */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { MediaInspector, withInspectionsFor } from '../agent/inspect-media.ts';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { localAsset } from '../browser/local-asset.ts';
import type { LoadableAsset } from '../browser/types.ts';
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { AssetNormaliser } from '../media/asset-normaliser.ts';
import { pagesFromSession } from '../media/decoder-support.ts';
import { formatSeconds, writePreviews } from './previews.ts';

export interface RenderCommandOptions {
  input: string[];
  script: string;
  out: string;
  previews?: string;
}

export async function render(opts: RenderCommandOptions): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, pretty: true });
  const code = await readFile(opts.script, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CutroomError(
      ErrorCode.AssetMissing,
      `cannot read the script ${opts.script}: ${error.code ?? error.message}`,
    );
  });
  // Broken inputs are refused before a browser starts, in the words a chat thread would get.
  const inputs: LoadableAsset[] = [];
  for (const input of opts.input) {
    inputs.push(await localAsset(input, { limits: config.limits }).catch(refuse));
  }

  const artifactsRoot = path.join(config.dataDir, 'artifacts');
  const pool = createBrowserPool(config, logger, { size: 0 });
  const session = await pool.acquire();
  try {
    const normaliser = new AssetNormaliser({
      root: artifactsRoot,
      pages: pagesFromSession(session),
      logger,
    });
    const { ready } = await normaliser
      .prepare(inputs, {
        originalPath: (asset) => path.resolve(asset.key),
        onProgress: ({ text, percent }) => process.stderr.write(`Converting ${text}… ${percent}%\n`),
        progressStepPercent: 10,
      })
      .catch(refuse);
    // A script written by the agent may read assets[i].silences/shots/transcript: measure them as the agent did.
    const assets = await withInspectionsFor([code], ready, {
      inspector: MediaInspector.fromConfig(config, {
        cacheDir: path.join(artifactsRoot, 'inspections'),
        logger,
      }),
      logger,
    });
    await session.loadAssets(assets);
    const result = await session.runCode(code);
    for (const line of result.logs) process.stdout.write(`log: ${line}\n`);
    if (!result.ok) {
      const where = result.error?.line ? `${opts.script}:${result.error.line}` : opts.script;
      throw new CutroomError(
        ErrorCode.CodeRuntime,
        `${where}: ${result.error?.name}: ${result.error?.message}`,
      );
    }
    process.stdout.write(`${result.outline.trim()}\n`);
    if (opts.previews) {
      const sample = await session.sample({ fps: 1 });
      const sheet = await writePreviews(opts.previews, sample);
      process.stdout.write(`previews: ${sample.frames.length} frames and ${sheet}\n`);
    }
    await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
    const bar = process.stderr.isTTY
      ? new SingleBar({
          format: 'rendering [{bar}] {percent}% {stage}',
          hideCursor: true,
          stream: process.stderr,
        })
      : undefined;
    bar?.start(100, 0, { stage: 'encoding' });
    let lastLogged = -10;
    const rendered = await session
      .render({
        outPath: opts.out,
        onProgress: ({ percent, stage }) => {
          if (bar) return bar.update(percent, { stage });
          if (percent - lastLogged >= 10) {
            lastLogged = percent;
            process.stderr.write(`rendering ${percent}% (${stage})\n`);
          }
        },
      })
      .finally(() => bar?.stop());
    process.stdout.write(
      `wrote ${rendered.path}: ${rendered.width}x${rendered.height}, ${formatSeconds(rendered.durationSeconds)}, ` +
        `${(rendered.bytes / 1e6).toFixed(2)} MB, audio ${rendered.hasAudio ? 'AAC' : 'none'}, ${rendered.elapsedMs} ms\n`,
    );
  } finally {
    await session.release();
    await pool.close();
  }
}

/** A refused input reads in the CLI as it would in a chat thread, the developer's detail after it. */
function refuse(error: unknown): never {
  if (!(error instanceof CutroomError) || !error.code.startsWith('asset_')) throw error;
  throw new CutroomError(error.code, `${error.userMessage} (${error.message})`, {
    userMessage: error.userMessage,
    cause: error,
  });
}
