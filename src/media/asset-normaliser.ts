/**
 * @module Makes every asset of a job safe for the operator page before the agent runs: takes what the page decodes
 * as it is, converts the rest once (cached by the original's content hash) and records on the asset what the page
 * loads.
 *
 * The original is never changed or replaced: a converted copy lives beside it under `converted/`, so the same clip
 * uploaded again, or replayed by a later version, converts nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CutroomError, ErrorCode, isAbortError } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import type { ArtifactRef, StoredAsset } from '../queue/types.ts';
import { convertedFormat, convertMedia } from './convert-media.ts';
import { DecoderSupport, type LendPage } from './decoder-support.ts';
import { type IngestPlan, planIngest } from './plan-ingest.ts';
import { type MediaInfo, probeMedia } from './probe-media.ts';
import { readPageView } from './read-page-view.ts';

export interface AssetNormaliserOptions {
  /**
   * The artifact store's root (or the CLI's state directory): converted copies go under `converted/` there, and
   * asset keys are relative to it.
   */
  root: string;
  /** Where a page comes from when the decoder cache has no answer yet. */
  pages: LendPage;
  logger?: Logger;
}

/** An asset whose `playable` file is on disk at `path`: what a session loads. */
export type ReadyAsset = StoredAsset & { path: string };

export interface NormaliseProgress {
  /** The clip being converted, for a status line after "Converting": `iPhone HEVC clip "IMG_0001.MOV"`. */
  text: string;
  /** 0–100 for the clip being converted. */
  percent: number;
}

export interface PrepareAssetsOptions {
  /** Where an asset's original is. @defaultValue its key under the root */
  originalPath?: (asset: StoredAsset) => string;
  onProgress?: (progress: NormaliseProgress) => void;
  /** Report a conversion's progress in steps of this many percent. @defaultValue 1 */
  progressStepPercent?: number;
  signal?: AbortSignal;
}

/** Bumped whenever the conversion recipe changes, so copies made the old way are not reused. */
const RECIPE = 'v1';

export class AssetNormaliser {
  private readonly logger: Logger;
  private readonly decoders: DecoderSupport;
  /** Conversions running in this process, by target key: a second job with the same clip waits for the first. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: AssetNormaliserOptions) {
    this.logger = options.logger ?? createSilentLogger();
    this.decoders = new DecoderSupport(options.pages);
  }

  /**
   * Checks and, where needed, converts each asset in turn.
   * @returns `stored`: the assets with `playable` (and the display size) to keep in the version; `ready`: the same
   * with the path the page loads.
   * @throws CutroomError asset_corrupt naming the file when a clip cannot be converted.
   */
  async prepare(
    assets: StoredAsset[],
    options: PrepareAssetsOptions = {},
  ): Promise<{ stored: StoredAsset[]; ready: ReadyAsset[] }> {
    const ready: ReadyAsset[] = [];
    for (const asset of assets) ready.push(await this.prepareOne(asset, options));
    return { stored: ready.map(({ path: _path, ...asset }) => asset), ready };
  }

  private async prepareOne(asset: StoredAsset, options: PrepareAssetsOptions): Promise<ReadyAsset> {
    const original = options.originalPath?.(asset) ?? this.pathFor(asset.key);
    if (asset.playable) {
      const playablePath = asset.playable.key === asset.key ? original : this.pathFor(asset.playable.key);
      if (await exists(playablePath)) return { ...asset, path: playablePath };
    }
    const info = await probeMedia(original, { signal: options.signal, displayName: asset.name });
    const view = info.kind === 'image' ? { readable: false } : await readPageView(original);
    const plan = await planIngest(info, view, (probes) =>
      this.decoders.decodes(probes, { signal: options.signal }),
    );
    if (plan.action === 'convert') return this.converted(asset, original, info, plan, options);
    const playable: ArtifactRef = {
      key: asset.key,
      name: asset.name,
      mimeType: asset.mimeType,
      size: info.size,
    };
    return { ...asset, width: info.width, height: info.height, playable, path: original };
  }

  /** The asset pointing at its converted copy, made now unless an earlier upload of the same bytes made it. */
  private async converted(
    asset: StoredAsset,
    original: string,
    info: MediaInfo,
    plan: Extract<IngestPlan, { action: 'convert' }>,
    options: PrepareAssetsOptions,
  ): Promise<ReadyAsset> {
    const started = performance.now();
    const hash = await hashFile(original, options.signal);
    const format = convertedFormat(info);
    const key = `converted/${RECIPE}/${hash}.${format.extension}`;
    const target = this.pathFor(key);
    const made = !(await exists(target));
    if (made) {
      const text = `${plan.label} "${asset.name}"`;
      await this.convertOnce(key, target, () =>
        this.convert(original, target, info, plan.copyVideo, { ...options, text, name: asset.name }),
      );
    }
    const result = await probeMedia(target, { signal: options.signal, displayName: asset.name });
    const ms = Math.round(performance.now() - started);
    this.logger.info(
      { asset: asset.name, reasons: plan.reasons, key, converted: made, ms },
      made ? 'converted an asset for the page' : 'reused the converted copy of an asset',
    );
    return {
      ...asset,
      duration: result.duration,
      width: result.width,
      height: result.height,
      hasAudio: result.hasAudio,
      playable: { key, name: asset.name, mimeType: format.mimeType, size: result.size },
      path: target,
    };
  }

  private pathFor(key: string): string {
    return path.join(this.options.root, ...key.split('/'));
  }

  /**
   * Runs `work` unless this process is already converting the same clip; then waits for that, and converts here
   * only if it gave up (its job was cancelled, or it failed).
   */
  private async convertOnce(key: string, target: string, work: () => Promise<void>): Promise<void> {
    const running = this.running.get(key);
    if (running) {
      await running.catch(() => {});
      if (await exists(target)) return;
    }
    const mine: Promise<void> = work().finally(() => {
      if (this.running.get(key) === mine) this.running.delete(key);
    });
    this.running.set(key, mine);
    await mine;
  }

  /** Converts into a temporary name beside the target and renames it into place, so no reader sees half a file. */
  private async convert(
    inputPath: string,
    target: string,
    info: MediaInfo,
    copyVideo: boolean,
    options: PrepareAssetsOptions & { text: string; name: string },
  ): Promise<void> {
    await mkdir(path.dirname(target), { recursive: true });
    // The artifact store's sweep removes `.partial-` files a crash left behind.
    const temp = `${target}.partial-${randomBytes(6).toString('hex')}`;
    const step = options.progressStepPercent ?? 1;
    let reported = -1;
    const report = (percent: number) => {
      const stepped = Math.floor(percent / step) * step;
      if (stepped === reported) return;
      reported = stepped;
      options.onProgress?.({ text: options.text, percent: stepped });
    };
    report(0);
    try {
      await convertMedia({
        inputPath,
        outPath: temp,
        info,
        copyVideo,
        onProgress: report,
        signal: options.signal,
      });
      await rename(temp, target);
      report(100);
    } catch (error) {
      await rm(temp, { force: true });
      if (isAbortError(error) || options.signal?.aborted) throw error;
      throw new CutroomError(
        ErrorCode.AssetCorrupt,
        `normalise: converting ${inputPath} failed: ${(error as Error).message}`,
        {
          userMessage: `"${options.name}" could not be converted for the editor: part of it does not decode. Please check it plays, then upload it again.`,
          cause: error,
        },
      );
    }
  }
}

async function hashFile(filePath: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(filePath, { highWaterMark: 1 << 20 }), hash, { signal });
  return hash.digest('hex');
}

async function exists(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    (s) => s.isFile(),
    () => false,
  );
}
