/** @module What an edit session in the browser offers the agent and the CLI. */
import type { InspectedFields } from '../../operator-ui/src/protocol.ts';
import type { StoredAsset } from '../queue/types.ts';

/** Every wait on the browser takes these; defaults live in the pool options. */
export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** An asset ready to load into a page: the stored metadata plus where its bytes are on disk. */
export interface LoadableAsset extends StoredAsset {
  path: string;
  /** What inspect_media found in it earlier, for code actions that read it (a replayed script). */
  inspected?: InspectedFields;
}

/** The contract's code-action result. */
export interface CodeResult {
  ok: boolean;
  error?: { name: string; message: string; line?: number };
  logs: string[];
  /** `composition.toString()` after the action. */
  outline: string;
  /** Composition duration in seconds after the action. */
  duration: number;
}

export interface SampledFrame {
  /** Seconds into the composition. */
  time: number;
  jpeg: Buffer;
}

export interface SampleOptions extends WaitOptions {
  /** @defaultValue 1 */
  fps?: number;
  /** Width of each sampled frame in pixels; height keeps the aspect. @defaultValue 640 */
  width?: number;
  /** Explicit times in seconds, instead of a regular fps grid. */
  times?: number[];
}

export interface SampleResult {
  frames: SampledFrame[];
  /** One JPEG grid of every frame, each labelled with its time: what a chat thread shows. */
  sheet: Buffer;
  width: number;
  height: number;
}

export interface RenderProgress {
  /** 0–100 */
  percent: number;
  stage: 'encoding' | 'finishing';
}

export interface RenderOptions extends WaitOptions {
  outPath: string;
  onProgress?: (progress: RenderProgress) => void;
  /** Video bitrate in bits per second. @defaultValue 5_000_000 */
  videoBitrate?: number;
  /** @defaultValue 30 */
  fps?: number;
}

export interface RenderResult {
  path: string;
  bytes: number;
  durationSeconds: number;
  width: number;
  height: number;
  hasAudio: boolean;
  elapsedMs: number;
}

/** One job's exclusive use of a browser page with the operator UI loaded. */
export interface EditSession {
  readonly id: string;
  loadAssets(assets: LoadableAsset[], options?: WaitOptions): Promise<void>;
  runCode(code: string, options?: WaitOptions): Promise<CodeResult>;
  sample(options?: SampleOptions): Promise<SampleResult>;
  render(options: RenderOptions): Promise<RenderResult>;
  /** Puts what inspect_media found on `assets[asset]` for later code actions (and replays after page loss). */
  setInspection(asset: number, fields: InspectedFields, options?: WaitOptions): Promise<void>;
  /** Gives the session back; its context is discarded, never reused by another job. */
  release(): Promise<void>;
}
