/**
 * @module Finds hard cuts (shot changes) in a video, frame-exact, without decoding all of it.
 *
 * Decoding every frame of a 60 s 1080p clip takes several seconds on two cores, so the search runs in two passes:
 * key frames only (a fraction of a second), then full decoding of just the stretches between two key frames where a
 * cut may hide. A stretch is searched when its two key frames differ (in pixels, or in their colour histograms,
 * which a pan or a zoom hardly changes) or when one of its packets is far larger than its neighbours (an encoder
 * spends that on a new picture). In a searched stretch a cut is a frame whose scene score against the frame before
 * reaches the threshold, as with ffmpeg's `scdet`. Footage in constant fast motion ends up searched whole, which is
 * slower but still correct.
 *
 * One case needs no decoding: encoders with scene detection (x264's default) start a key frame on the first frame
 * of a new shot, off their regular key-frame rhythm, so such a key frame that differs from the one before, with no
 * large packet in between, is taken as the cut itself.
 */
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { readSceneFrames, type SceneFrame } from './read-scene-frames.ts';
import { readVideoPackets, type VideoPacket } from './read-video-packets.ts';

export interface DetectShotsOptions extends FfmpegWaitOptions {
  /** ffmpeg `scdet` score (0–100) from which a frame counts as a cut; ffmpeg suggests 8–14. @defaultValue 10 */
  cutScore?: number;
}

export interface Shots {
  /** Average frame rate of the stream. */
  fps: number;
  /** Cut times in source seconds (each the time of the first frame of a new shot), ascending. */
  cuts: number[];
}

/** What the key-frame pass decided: cuts already certain, and the stretches still to decode in full. */
export interface ShotSearchPlan {
  cuts: number[];
  /** Source seconds [from, to), end exclusive, each starting on a key frame. */
  ranges: [number, number][];
}

const DEFAULT_CUT_SCORE = 10;
/** Colours change this much between two key frames: worth decoding what lies between them. */
const CANDIDATE_HISTOGRAM_DISTANCE = 0.25;
/**
 * Or the pictures differ this much (mean absolute difference, 0–100). scdet's own score cannot judge key frames
 * seconds apart (it discounts a change as large as the one before, which after a cut is another cut); moderate
 * motion over two seconds stays below this, two unrelated pictures mostly do not.
 */
const CANDIDATE_MAFD = 25;
/** A packet this many times larger than any other non-key packet near it. */
const SPIKE_RATIO = 3;
const SPIKE_WINDOW = 8;
/** …and at least this share of a typical key frame: a new picture costs about a key frame; motion does not. */
const SPIKE_MIN_KEY_SHARE = 0.2;
/** Past this share of the stream, one pass over everything is cheaper than many seeks. */
const FULL_PASS_SHARE = 0.6;

/** @throws CutroomError ffmpeg_failed when the video cannot be read */
export async function detectShots(filePath: string, options: DetectShotsOptions = {}): Promise<Shots> {
  const cutScore = options.cutScore ?? DEFAULT_CUT_SCORE;
  const wait = { signal: options.signal, timeoutMs: options.timeoutMs };
  const [{ fps, packets }, [keyframes]] = await Promise.all([
    readVideoPackets(filePath, wait),
    readSceneFrames(filePath, { ...wait, keyframesOnly: true, withPixels: true }),
  ]);
  if (packets.length < 2) return { fps, cuts: [] };
  const plan = planShotSearch(snapFrames(keyframes, packets), packets, { cutScore });
  const searched = plan.ranges.reduce((sum, [from, to]) => sum + (to - from), 0);
  const total = packets[packets.length - 1].time - packets[0].time;
  const found =
    plan.ranges.length === 0
      ? []
      : await readSceneFrames(filePath, {
          ...wait,
          ranges: searched > FULL_PASS_SHARE * total ? undefined : plan.ranges,
        });
  // The first frame of a range has nothing decoded before it to compare with.
  const foundCuts = found.flatMap((frames) =>
    snapFrames(frames, packets)
      .slice(1)
      .filter((f) => f.score >= cutScore)
      .map((f) => f.time),
  );
  const cuts = new Set([...plan.cuts, ...foundCuts]);
  return { fps, cuts: [...cuts].filter((t) => t > packets[0].time).sort((a, b) => a - b) };
}

/**
 * Decides from the key frames (with thumbnails, in order) and the packets which stretches need decoding in full.
 * A stretch runs from one key frame to the next one, which it includes.
 */
export function planShotSearch(
  keyframes: SceneFrame[],
  packets: VideoPacket[],
  options: { cutScore: number },
): ShotSearchPlan {
  const cuts: number[] = [];
  const ranges: [number, number][] = [];
  const spikes = packetSpikes(packets);
  const frameTime = typicalFrameSeconds(packets);
  const end = packets[packets.length - 1].time + frameTime;
  // The longest distance between key frames is the encoder's regular interval, as far as this stream shows it.
  const interval = keyframes.reduce(
    (longest, k, i) => (i > 0 ? Math.max(longest, k.time - keyframes[i - 1].time) : 0),
    0,
  );
  const search = (from: number, to: number) => {
    const last = ranges.at(-1);
    if (last && last[1] >= from) last[1] = Math.max(last[1], to);
    else ranges.push([from, to]);
  };
  for (let i = 0; i < keyframes.length; i++) {
    const start = keyframes[i].time;
    const next = keyframes[i + 1];
    const stop = next?.time ?? end;
    const spiked = spikes.some((t) => t > start && t < stop);
    if (!next) {
      if (spiked) search(start, end);
      continue;
    }
    const differs =
      next.score >= options.cutScore ||
      next.mafd >= CANDIDATE_MAFD ||
      histogramDistance(keyframes[i].pixels, next.pixels) >= CANDIDATE_HISTOGRAM_DISTANCE;
    const adjacent = next.time - start < 1.5 * frameTime;
    const offRhythm = next.time - start < interval - 1.5 * frameTime;
    if (adjacent) {
      // Nothing lies between two neighbouring key frames (intra-only video): the key-frame score is the answer.
      if (next.score >= options.cutScore) cuts.push(next.time);
    } else if (differs && offRhythm && !spiked) {
      cuts.push(next.time);
    } else if (differs || spiked) {
      // Half a frame past the next key frame, so that frame is compared with the one before it.
      search(start, next.time + frameTime / 2);
    }
  }
  return { cuts, ranges };
}

/** Times of non-key packets far larger than every other non-key packet near them. */
export function packetSpikes(packets: VideoPacket[]): number[] {
  const keySizes = packets
    .filter((p) => p.key)
    .map((p) => p.bytes)
    .sort((a, b) => a - b);
  const typicalKey = keySizes[Math.floor(keySizes.length / 2)] ?? 0;
  const spikes: number[] = [];
  for (const [i, packet] of packets.entries()) {
    if (packet.key || packet.bytes < SPIKE_MIN_KEY_SHARE * typicalKey) continue;
    let largestNear = 0;
    for (let j = Math.max(0, i - SPIKE_WINDOW); j <= Math.min(packets.length - 1, i + SPIKE_WINDOW); j++) {
      if (j !== i && !packets[j].key) largestNear = Math.max(largestNear, packets[j].bytes);
    }
    if (packet.bytes >= SPIKE_RATIO * largestNear) spikes.push(packet.time);
  }
  return spikes;
}

/** Half the L1 distance of two thumbnails' colour histograms (4 levels per channel): 0 same colours, 1 none shared. */
export function histogramDistance(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (!a || !b || a.length !== b.length || a.length === 0) return 0;
  const bins = new Float64Array(64);
  for (let i = 0; i + 2 < a.length; i += 3) {
    bins[((a[i] >> 6) << 4) | ((a[i + 1] >> 6) << 2) | (a[i + 2] >> 6)] += 1;
    bins[((b[i] >> 6) << 4) | ((b[i + 1] >> 6) << 2) | (b[i + 2] >> 6)] -= 1;
  }
  let sum = 0;
  for (const v of bins) sum += Math.abs(v);
  return sum / 2 / (a.length / 3);
}

/** Moves each frame's printed time (about six significant digits) onto the exact time of the nearest packet. */
function snapFrames(frames: SceneFrame[], packets: VideoPacket[]): SceneFrame[] {
  return frames.map((frame) => ({ ...frame, time: nearestTime(packets, frame.time) }));
}

function nearestTime(packets: VideoPacket[], time: number): number {
  let lo = 0;
  let hi = packets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (packets[mid].time < time) lo = mid + 1;
    else hi = mid;
  }
  const before = packets[Math.max(0, lo - 1)].time;
  const after = packets[lo].time;
  return Math.abs(after - time) <= Math.abs(time - before) ? after : before;
}

function typicalFrameSeconds(packets: VideoPacket[]): number {
  const gaps = packets
    .slice(1)
    .map((p, i) => p.time - packets[i].time)
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] || 1 / 30;
}
