/**
 * @module Checks that a file's media data is all there: the packets reach as far as the index says, and the end
 * decodes.
 *
 * A truncated upload keeps its header. When the index comes first (moov before mdat) it even describes the
 * missing part: ffprobe reports the full duration, and a decoder asked for the last half second just meets the end
 * of the file early and exits 0. So the last seconds' packets are read and their times compared with each track's
 * claimed end; then the tail is decoded, which catches data that is there but garbage.
 */
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../errors.ts';
import { type MediaInfo, unreadableMedia } from './probe-media.ts';
import { runFfmpeg, runFfprobe, ToolFailedError } from './run-ffmpeg.ts';

export interface CheckMediaIntegrityOptions {
  /** The user's name for the file, for messages. */
  displayName: string;
  signal?: AbortSignal;
  /** Per ffprobe/ffmpeg run. @defaultValue 60000 */
  timeoutMs?: number;
}

/** How many seconds before the end the packet check starts reading. */
const TAIL_SECONDS = 2;
/**
 * Missing time a valid file never shows: tracks end within a frame or an audio packet of their claimed end (edit
 * lists and priming included), while a cut loses at least the packets after it.
 */
const TOLERANCE_SECONDS = 0.1;

const Packets = z.object({
  packets: z
    .array(
      z.object({
        stream_index: z.number(),
        pts_time: z.string().optional(),
        dts_time: z.string().optional(),
        duration_time: z.string().optional(),
      }),
    )
    .default([]),
});

/**
 * @throws CutroomError asset_corrupt, saying the file was cut short when the data stops before the claimed end, or
 * that it looks damaged when the end does not decode. Images pass without a look: they have no index to contradict.
 */
export async function checkMediaIntegrity(
  filePath: string,
  info: MediaInfo,
  options: CheckMediaIntegrityOptions,
): Promise<void> {
  if (info.kind === 'image') return;
  const [ends, decoded] = await Promise.allSettled([
    readableEnds(filePath, info, options),
    decodeTail(filePath, info.kind === 'video' ? 'v' : 'a', options),
  ]);
  if (ends.status === 'rejected') throw ends.reason;
  // A cut file usually fails to decode too; saying it was cut short tells the user what to do.
  refuseShortData(filePath, info, ends.value, options.displayName);
  if (decoded.status === 'rejected') throw decoded.reason;
}

function refuseShortData(
  filePath: string,
  info: MediaInfo,
  readEnd: Map<number, number>,
  name: string,
): void {
  const claimedEnd = info.startSeconds + info.duration;
  let reached = Math.max(0, ...readEnd.values());
  for (const track of info.tracks) {
    if (track.durationSeconds === undefined) continue;
    const end = track.startSeconds + track.durationSeconds;
    const trackReached = readEnd.get(track.index) ?? 0;
    // A track that ends well before the tail (short audio under a long video) has nothing to show there.
    if (end < claimedEnd - TAIL_SECONDS && trackReached === 0) continue;
    if (end - trackReached > TOLERANCE_SECONDS) reached = Math.min(reached, trackReached);
  }
  if (claimedEnd - reached > TOLERANCE_SECONDS) {
    throw new CutroomError(
      ErrorCode.AssetCorrupt,
      `integrity: ${filePath} stops at ${reached.toFixed(2)} s of the ${claimedEnd.toFixed(2)} s its index claims`,
      {
        userMessage: `"${name}" is incomplete: it stops at ${formatClock(reached - info.startSeconds)} of ${formatClock(info.duration)}, so the upload or copy was cut short. Please upload it again.`,
      },
    );
  }
}

/** The end time (seconds) of the last packet each track delivers when reading from shortly before the claimed end. */
async function readableEnds(
  filePath: string,
  info: MediaInfo,
  options: CheckMediaIntegrityOptions,
): Promise<Map<number, number>> {
  const from = Math.max(0, info.startSeconds + info.duration - TAIL_SECONDS);
  let stdout: string;
  try {
    stdout = await runFfprobe(
      [
        '-read_intervals',
        `${from.toFixed(3)}%`,
        '-show_entries',
        'packet=stream_index,pts_time,dts_time,duration_time',
        '-print_format',
        'json',
        filePath,
      ],
      { label: 'integrity', signal: options.signal, timeoutMs: options.timeoutMs ?? 60_000 },
    );
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    throw unreadableMedia(filePath, options.displayName, error);
  }
  const ends = new Map<number, number>();
  for (const packet of Packets.parse(JSON.parse(stdout || '{}')).packets) {
    const start = Number(packet.pts_time ?? packet.dts_time);
    if (!Number.isFinite(start)) continue;
    const end = start + (Number(packet.duration_time) || 0);
    ends.set(packet.stream_index, Math.max(ends.get(packet.stream_index) ?? 0, end));
  }
  return ends;
}

async function decodeTail(
  filePath: string,
  stream: 'v' | 'a',
  options: CheckMediaIntegrityOptions,
): Promise<void> {
  try {
    await runFfmpeg(
      [
        '-xerror',
        '-sseof',
        '-0.5',
        '-i',
        filePath,
        '-map',
        `0:${stream}:0`,
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      { label: 'integrity', signal: options.signal, timeoutMs: options.timeoutMs ?? 60_000 },
    );
  } catch (error) {
    if (!(error instanceof ToolFailedError)) throw error;
    throw unreadableMedia(filePath, options.displayName, error);
  }
}

function formatClock(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}
