/** @module The messages between Node's page driver and the operator page (plain JSON both ways). */

export interface AssetDescriptor {
  name: string;
  url: string;
  mimeType: string;
  kind: 'video' | 'audio' | 'image';
  duration: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** What inspect_media found, once it ran on this asset. */
  inspected?: InspectedFields;
}

/** What inspect_media found in an asset, as code actions read it on `assets[i]`; all times in source seconds. */
export interface InspectedFields {
  /** Cut times: the first frame of each new shot. */
  shots: number[];
  /** Silent stretches, [start, end]. */
  silences: [number, number][];
  /** Spoken words; absent when transcription is off or failed. */
  transcript?: { text: string; start: number; end: number }[];
}

export interface CodeActionResult {
  ok: boolean;
  error?: { name: string; message: string; line?: number };
  logs: string[];
  outline: string;
  duration: number;
}

export interface SampleRequest {
  times: number[];
  /** Width of each frame in pixels. */
  width: number;
  /** JPEG quality 0–1. */
  quality: number;
}

export interface SampleResponse {
  frames: { time: number; jpegBase64: string }[];
  sheetBase64: string;
  width: number;
  height: number;
}

/** One timed piece of audio in the composition, for ffmpeg to mix instead of core's audio path. */
export interface AudioSegment {
  /** Index into the loaded assets. */
  asset: number;
  /** Seconds on the composition timeline where the segment starts. */
  at: number;
  /** Seconds into the source. */
  from: number;
  to: number;
  volume: number;
  fadeIn: number;
  fadeOut: number;
}

export interface AudioPlan {
  /** Null when the composition's audio cannot be expressed as plain segments; core's mixer is needed then. */
  segments: AudioSegment[] | null;
}

export interface RenderRequest {
  /** Let core mix and encode the audio (only when the plan has no segments for it). */
  audio: boolean;
  /** The name the finished MP4 is downloaded under: Node saves the download with this name only. */
  fileName: string;
  /** POSTed once the download has started; answered when Node has saved the file. */
  savedUrl: string;
  progressUrl: string;
  fps: number;
  videoBitrate: number;
  /** Applied for this render only, never kept by the page (see renderComposition). */
  licenseKey?: string;
}

export interface RenderResponse {
  ok: boolean;
  error?: { name: string; message: string };
  cancelled?: boolean;
  width: number;
  height: number;
  duration: number;
}

export interface CodecProbe {
  name: string;
  codec: string;
  kind: 'video' | 'audio';
  /**
   * One file's own decoder configuration: asks whether this track decodes, not the codec at large. Encoding is not
   * asked then (Chromium builds an encoder to answer, up to 160 ms) and reads false.
   */
  config?: DecoderConfigProbe;
}

/** The WebCodecs decoder fields a track's container gives (what mediabunny configures the decoder with). */
export interface DecoderConfigProbe {
  codedWidth?: number;
  codedHeight?: number;
  sampleRate?: number;
  numberOfChannels?: number;
  /** The codec's setup record (avcC, hvcC, an AudioSpecificConfig …), base64. */
  description?: string;
}

export interface CodecSupport extends CodecProbe {
  encode: boolean;
  decode: boolean;
}

/** What `window.__cutroom` offers the page driver. */
export interface OperatorApi {
  loadAssets(assets: AssetDescriptor[]): Promise<void>;
  runCode(code: string): Promise<CodeActionResult>;
  replay(script: string[]): Promise<CodeActionResult>;
  sample(request: SampleRequest): Promise<SampleResponse>;
  audioPlan(): AudioPlan;
  render(request: RenderRequest): Promise<RenderResponse>;
  cancelRender(): void;
  codecSupport(probes: CodecProbe[]): Promise<CodecSupport[]>;
  summary(): { outline: string; duration: number; width: number; height: number; clips: number };
  setInspection(request: { asset: number; fields: InspectedFields }): void;
}
