/**
 * @module Decides whether the operator page can take an upload as it is, or what must be converted first, and why.
 *
 * The page decodes with WebCodecs through mediabunny, and core draws frames as stored: it ignores a track's display
 * matrix and its transfer function. So a clip is taken as it is only when mediabunny opens its container, the page
 * says its decoder configuration decodes, and it is upright, 8-bit, SDR and of even size. H.264 8-bit 4:2:0 is
 * decoded by every Chromium, so such a track is taken without asking.
 */
import type { CodecProbe } from '../../operator-ui/src/protocol.ts';
import type { MediaInfo } from './probe-media.ts';
import type { PageView } from './read-page-view.ts';

export type IngestPlan =
  | { action: 'keep' }
  | {
      action: 'convert';
      /** What the page could not take, in words for logs and docs ("HEVC video", "rotated 90°"). */
      reasons: string[];
      /** The picture is fine and only the sound needs converting: the video is copied. */
      copyVideo: boolean;
      /** How the status line names the clip: "iPhone HEVC clip". */
      label: string;
    };

/** Answers whether the page decodes each probe (DecoderSupport). */
export type DecodesOnPage = (probes: CodecProbe[]) => Promise<boolean[]>;

/** Still-image containers Chromium decodes itself (createImageBitmap). */
const PAGE_IMAGES = /^(?:png_pipe|jpeg_pipe|webp_pipe|gif|bmp_pipe)$/;
const FOUR_TWO_ZERO = new Set(['yuv420p', 'yuvj420p', 'nv12']);
/** H.264 profiles whose streams are 8-bit 4:2:0, which WebCodecs in any Chromium decodes. */
const PLAIN_H264 = new Set(['Baseline', 'Constrained Baseline', 'Main', 'High', 'Extended']);
/** AAC-LC and MP3: decoded by every Chromium. */
const PLAIN_AUDIO = new Set(['mp4a.40.2', 'mp3']);

const CODEC_LABELS: Record<string, string> = {
  h264: 'H.264',
  hevc: 'HEVC',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  mpeg4: 'MPEG-4',
  msmpeg4v3: 'DivX',
  mpeg2video: 'MPEG-2',
  mpeg1video: 'MPEG-1',
  prores: 'ProRes',
  mjpeg: 'Motion JPEG',
  dnxhd: 'DNxHD',
  wmv3: 'WMV',
  wmv2: 'WMV',
  h263: 'H.263',
  amr_nb: 'AMR',
  amr_wb: 'AMR-WB',
  wmav2: 'WMA',
  wmav1: 'WMA',
  wmapro: 'WMA Pro',
  ac3: 'Dolby Digital',
  eac3: 'Dolby Digital Plus',
  alac: 'Apple Lossless',
  pcm_s16le: 'PCM',
  pcm_s24le: 'PCM',
};

const CONTAINER_LABELS: [RegExp, string][] = [
  [/^avi$/, 'AVI'],
  [/^asf$/, 'WMV/ASF'],
  [/^flv$/, 'FLV'],
  [/^mpeg$/, 'MPEG'],
  [/^amr$/, 'AMR'],
  [/aiff/, 'AIFF'],
  [/^caf$/, 'CAF'],
];

/** What the page needs done to `info` before it can load it. */
export async function planIngest(
  info: MediaInfo,
  view: PageView,
  decodes: DecodesOnPage,
): Promise<IngestPlan> {
  if (info.kind === 'image') {
    return PAGE_IMAGES.test(info.formatName)
      ? { action: 'keep' }
      : convert([`${info.formatName.replace(/_pipe$/, '').toUpperCase()} image`], false, info);
  }
  const pictureReasons = info.kind === 'video' ? pictureProblems(info, view) : [];
  const questions: { probe: CodecProbe; reason: string }[] = [];
  if (info.kind === 'video' && view.video && pictureReasons.length === 0 && !takenWithoutAsking(info)) {
    questions.push({
      probe: view.video,
      reason: `${codecLabel(info.videoCodec)} video this browser cannot decode`,
    });
  }
  const soundReasons: string[] = [];
  if (info.hasAudio) {
    // A video whose container the page cannot open is converted whole already: its sound needs no reason of its own.
    if (!view.readable ? info.kind === 'audio' : !view.audio)
      soundReasons.push(`${codecLabel(info.audioCodec)} sound`);
    else if (view.audio && !PLAIN_AUDIO.has(view.audio.codec)) {
      questions.push({
        probe: view.audio,
        reason: `${codecLabel(info.audioCodec)} sound this browser cannot decode`,
      });
    }
  }
  const answers = questions.length > 0 ? await decodes(questions.map((q) => q.probe)) : [];
  for (const [i, question] of questions.entries()) {
    if (answers[i]) continue;
    (question.probe.kind === 'video' ? pictureReasons : soundReasons).push(question.reason);
  }
  const reasons = [...pictureReasons, ...soundReasons];
  if (reasons.length === 0) return { action: 'keep' };
  return convert(reasons, info.kind === 'video' && pictureReasons.length === 0, info);
}

function pictureProblems(info: MediaInfo, view: PageView): string[] {
  const reasons: string[] = [];
  if (!view.readable) reasons.push(`${containerLabel(info.formatName)} container`);
  else if (!view.video) reasons.push(`${codecLabel(info.videoCodec)} video`);
  if (info.rotation !== 0) reasons.push(`rotated ${info.rotation}°`);
  if (info.hdr) reasons.push(`HDR (${info.hdr === 'pq' ? 'PQ' : 'HLG'})`);
  if (info.bitDepth > 8) reasons.push(`${info.bitDepth}-bit colour`);
  if (info.width % 2 !== 0 || info.height % 2 !== 0) reasons.push(`odd size ${info.width}x${info.height}`);
  if (info.width * info.height !== info.codedWidth * info.codedHeight) reasons.push('non-square pixels');
  return reasons;
}

function takenWithoutAsking(info: MediaInfo): boolean {
  return (
    info.videoCodec === 'h264' &&
    FOUR_TWO_ZERO.has(info.pixelFormat ?? '') &&
    PLAIN_H264.has(info.profile ?? '')
  );
}

function convert(reasons: string[], copyVideo: boolean, info: MediaInfo): IngestPlan {
  return { action: 'convert', reasons, copyVideo, label: describeClip(info) };
}

/** "iPhone HEVC 10-bit HDR clip", "AMR recording", "TIFF image". */
export function describeClip(info: MediaInfo): string {
  if (info.kind === 'image') return `${info.formatName.replace(/_pipe$/, '').toUpperCase()} image`;
  if (info.kind === 'audio') return `${codecLabel(info.audioCodec)} recording`;
  const parts = [info.device, codecLabel(info.videoCodec)];
  if (info.bitDepth > 8) parts.push(`${info.bitDepth}-bit`);
  if (info.hdr) parts.push('HDR');
  if (info.rotation !== 0 && !info.device) parts.unshift(info.width < info.height ? 'portrait' : 'rotated');
  return `${parts.filter(Boolean).join(' ')} clip`;
}

function codecLabel(codec: string | undefined): string {
  if (!codec) return 'unknown';
  return CODEC_LABELS[codec] ?? codec.toUpperCase();
}

function containerLabel(formatName: string): string {
  return (
    CONTAINER_LABELS.find(([pattern]) => pattern.test(formatName))?.[1] ??
    formatName.split(',')[0].toUpperCase()
  );
}
