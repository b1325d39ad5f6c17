/**
 * @module Lists a video stream's packets (time, size, key flag) and frame rate with ffprobe: no decoding, so it costs
 * a fraction of a second even for long clips, and it tells where the key frames are and which frames are unusually
 * large (what an encoder spends on a new picture).
 */
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { runFfprobe } from './run-ffmpeg.ts';

export interface VideoPacket {
  /** Presentation time in source seconds. */
  time: number;
  bytes: number;
  key: boolean;
}

export interface VideoPackets {
  /** Average frame rate (frames per second). */
  fps: number;
  /** Every frame's packet, in presentation order. */
  packets: VideoPacket[];
}

/** @throws CutroomError ffmpeg_failed when ffprobe cannot read the file; tool_missing without ffprobe */
export async function readVideoPackets(
  filePath: string,
  options: FfmpegWaitOptions = {},
): Promise<VideoPackets> {
  const output = await runFfprobe(
    [
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=avg_frame_rate,r_frame_rate:packet=pts_time,size,flags',
      '-of',
      'compact=p=1:nk=0',
      filePath,
    ],
    { label: 'read video packets', timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal },
  );
  const packets: VideoPacket[] = [];
  let fps = 0;
  for (const line of output.split('\n')) {
    const fields = new Map(
      line
        .split('|')
        .slice(1)
        .map((pair) => pair.split('=') as [string, string]),
    );
    if (line.startsWith('packet|')) {
      const time = Number(fields.get('pts_time'));
      if (!Number.isFinite(time)) continue;
      packets.push({ time, bytes: Number(fields.get('size')) || 0, key: fields.get('flags')?.[0] === 'K' });
    } else if (line.startsWith('stream|')) {
      fps = rate(fields.get('avg_frame_rate')) || rate(fields.get('r_frame_rate'));
    }
  }
  packets.sort((a, b) => a.time - b.time);
  if (!fps && packets.length > 1) {
    fps = (packets.length - 1) / (packets[packets.length - 1].time - packets[0].time);
  }
  return { fps: fps || 30, packets };
}

function rate(fraction: string | undefined): number {
  const [num, den] = (fraction ?? '').split('/').map(Number);
  return num > 0 && den > 0 ? num / den : 0;
}
