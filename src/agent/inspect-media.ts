/**
 * @module The source footage as the agent sees it: shot changes, silences, loudness and (when transcription is on)
 * the spoken words of one asset, measured once per file content and cached.
 */
import { createHash } from 'node:crypto';
import type { InspectedFields } from '../../operator-ui/src/protocol.ts';
import type { LoadableAsset } from '../browser/types.ts';
import type { Config } from '../config.ts';
import { CutroomError, ErrorCode, isAbortError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { analyseMedia, type MediaAnalysis } from '../media/analyse-media.ts';
import { SpeechTranscriber, type Transcript } from '../media/transcribe-speech.ts';
import { InspectMediaCache } from './inspect-media-cache.ts';

export interface MediaInspectorOptions {
  /** Where results are kept by file content; unset: in memory only. */
  cacheDir?: string;
  /** Unset: transcription is off. */
  transcriber?: SpeechTranscriber;
  logger?: Logger;
}

export type InspectableAsset = Pick<LoadableAsset, 'path' | 'name' | 'kind' | 'duration' | 'hasAudio'>;

export interface AssetInspection {
  /** SHA-256 of the file: what the results are cached under. */
  contentHash: string;
  analysis: MediaAnalysis;
  transcript?: Transcript;
  /** Why there is no transcript: transcription is off, there is no sound, or the endpoint failed (its reason). */
  transcriptMissing?: { reason: 'off' | 'no_sound' | 'failed'; detail?: string };
}

/** Bump when the analysis changes, so old cached results are measured again. */
const ANALYSIS_VERSION = 1;

export class MediaInspector {
  private readonly cache: InspectMediaCache;
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MediaInspectorOptions = {}) {
    this.cache = new InspectMediaCache({ dir: options.cacheDir });
  }

  /** Transcription from the config's CUTROOM_TRANSCRIBE_* (off when no model is set). */
  static fromConfig(
    config: Pick<Config, 'transcribe'>,
    options: Omit<MediaInspectorOptions, 'transcriber'> = {},
  ): MediaInspector {
    const transcriber = config.transcribe ? new SpeechTranscriber(config.transcribe) : undefined;
    return new MediaInspector({ ...options, transcriber });
  }

  /**
   * Measures the asset (or takes the cached result) and transcribes it when transcription is on. A failing
   * transcription is reported in the result, not thrown.
   * @throws CutroomError ffmpeg_failed when the file cannot be analysed; cancelled when the signal aborts
   */
  async inspect(asset: InspectableAsset, options: { signal?: AbortSignal } = {}): Promise<AssetInspection> {
    const contentHash = await this.cache.contentHash(asset.path);
    const analysis = await this.once(`${contentHash}.analysis-v${ANALYSIS_VERSION}`, () =>
      analyseMedia(asset, { signal: options.signal }),
    );
    const inspection: AssetInspection = { contentHash, analysis };
    const transcriber = this.options.transcriber;
    if (!asset.hasAudio || asset.kind === 'image') {
      inspection.transcriptMissing = { reason: 'no_sound' };
    } else if (!transcriber) {
      inspection.transcriptMissing = { reason: 'off' };
    } else {
      try {
        inspection.transcript = await this.once(`${contentHash}.transcript-${this.transcriberKey()}`, () =>
          transcriber.transcribe(asset, { signal: options.signal }),
        );
      } catch (error) {
        if (options.signal?.aborted || isAbortError(error)) throw error;
        const detail = error instanceof CutroomError ? error.message : String(error);
        this.options.logger?.warn({ err: error, asset: asset.name }, 'transcription failed');
        inspection.transcriptMissing = { reason: 'failed', detail };
      }
    }
    return inspection;
  }

  /** The cached inspection of the asset if it was inspected before (nothing is measured). */
  async cached(asset: InspectableAsset): Promise<AssetInspection | undefined> {
    const contentHash = await this.cache.contentHash(asset.path);
    const analysis = await this.cache.get<MediaAnalysis>(`${contentHash}.analysis-v${ANALYSIS_VERSION}`);
    if (!analysis) return undefined;
    const transcript = this.options.transcriber
      ? await this.cache.get<Transcript>(`${contentHash}.transcript-${this.transcriberKey()}`)
      : undefined;
    return { contentHash, analysis, transcript };
  }

  /** One measurement per key at a time, whoever asks; then the cache answers. */
  private async once<T>(key: string, measure: () => Promise<T>): Promise<T> {
    const cached = await this.cache.get<T>(key);
    if (cached !== undefined) return cached;
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const work = (async () => {
      const value = await measure();
      await this.cache.set(key, value);
      return value;
    })();
    this.inflight.set(key, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(key);
    }
  }

  private transcriberKey(): string {
    const { model = '', endpoint = '' } = this.options.transcriber ?? {};
    return createHash('sha256').update(`${endpoint}\n${model}`).digest('hex').slice(0, 16);
  }
}

/** The fields code actions read on `assets[i]`. */
export function inspectedFields(
  inspection: Pick<AssetInspection, 'analysis' | 'transcript'>,
): InspectedFields {
  return {
    shots: inspection.analysis.shots,
    silences: inspection.analysis.silences,
    ...(inspection.transcript
      ? { transcript: inspection.transcript.words.map(({ text, start, end }) => ({ text, start, end })) }
      : {}),
  };
}

/** Code that reads what inspect_media puts on assets. */
const READS_INSPECTION = /\.(shots|silences|transcript)\b/;

/**
 * The assets to load before replaying `script`: when it reads inspected fields, every asset not inspected yet gets
 * them (from the cache, or measured again), so the replay sees what the script was written against. An asset that
 * cannot be analysed is left as it is: a script that needs its fields stops at them with the page's own message.
 * @throws CutroomError cancelled when the signal aborts
 */
export async function withInspectionsFor(
  script: readonly string[],
  assets: readonly LoadableAsset[],
  options: { inspector: MediaInspector; logger: Logger; signal?: AbortSignal },
): Promise<LoadableAsset[]> {
  if (!script.some((code) => READS_INSPECTION.test(code))) return [...assets];
  const inspected: LoadableAsset[] = [];
  for (const asset of assets) {
    if (asset.inspected) {
      inspected.push(asset);
      continue;
    }
    try {
      const inspection =
        (await options.inspector.cached(asset)) ??
        (await options.inspector.inspect(asset, { signal: options.signal }));
      inspected.push({ ...asset, inspected: inspectedFields(inspection) });
    } catch (error) {
      if (
        options.signal?.aborted ||
        !(error instanceof CutroomError) ||
        error.code !== ErrorCode.FfmpegFailed
      ) {
        throw error;
      }
      options.logger.warn({ err: error, asset: asset.name }, 'could not inspect an asset for the replay');
      inspected.push(asset);
    }
  }
  return inspected;
}
