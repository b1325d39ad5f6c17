/** @module Reads facts about an MP4 the way a chat player would meet them: ffprobe streams, box order, decoded sound. */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  profile?: string;
  sample_rate?: string;
}

export async function ffprobe(
  file: string,
): Promise<{ duration: number; streams: ProbedStream[]; formatName: string }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  const data = JSON.parse(stdout) as {
    format: { duration: string; format_name: string };
    streams: ProbedStream[];
  };
  return {
    duration: Number(data.format.duration),
    streams: data.streams,
    formatName: data.format.format_name,
  };
}

/** Top-level box types in file order (`ftyp`, `moov`, `mdat`…). `moov` before `mdat` is what `+faststart` means. */
export async function topLevelBoxes(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const boxes: string[] = [];
    let offset = 0;
    const header = Buffer.alloc(16);
    while (offset + 8 <= size) {
      await handle.read(header, 0, 16, offset);
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (boxSize === 1) boxSize = Number(header.readBigUInt64BE(8));
      if (boxSize === 0) boxSize = size - offset;
      if (boxSize < 8) break;
      boxes.push(type);
      offset += boxSize;
    }
    return boxes;
  } finally {
    await handle.close();
  }
}

/** The file's first audio track decoded by ffmpeg to mono float samples, optionally through an audio filter. */
export async function audioSamples(file: string, filter?: string): Promise<Float32Array> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      file,
      '-map',
      '0:a:0',
      ...(filter ? ['-af', filter] : []),
      '-ac',
      '1',
      '-f',
      'f32le',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  const bytes = stdout as unknown as Buffer;
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
