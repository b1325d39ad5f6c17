/**
 * @module What the operator page will see of a file, read in Node with the page's own demuxer (mediabunny): whether
 * it opens the container at all, and the exact decoder configuration each primary track will be decoded with.
 */
import {
  ALL_FORMATS,
  FilePathSource,
  Input,
  type InputAudioTrack,
  type InputVideoTrack,
  Logging,
  LogLevel,
} from 'mediabunny';
import type { CodecProbe } from '../../operator-ui/src/protocol.ts';

export interface PageView {
  /** mediabunny opens the container (MP4/MOV, WebM/Matroska, MPEG-TS, Ogg, MP3, WAVE, FLAC, ADTS). */
  readable: boolean;
  /** The primary video track's decoder configuration; undefined when there is none or the page knows no codec for it. */
  video?: CodecProbe;
  audio?: CodecProbe;
}

// In Node mediabunny only reads files to judge them: a codec it does not know is an answer here, not a warning for
// the console (it would print one per clip).
Logging.level = LogLevel.Errors;

export async function readPageView(filePath: string): Promise<PageView> {
  const input = new Input({ source: new FilePathSource(filePath), formats: ALL_FORMATS });
  try {
    await input.getFormat();
    const [video, audio] = await Promise.all([input.getPrimaryVideoTrack(), input.getPrimaryAudioTrack()]);
    return {
      readable: true,
      video: video ? await videoProbe(video) : undefined,
      audio: audio ? await audioProbe(audio) : undefined,
    };
  } catch {
    // Unsupported container, or one whose index the page's demuxer rejects: the page could not open it either.
    return { readable: false };
  } finally {
    input.dispose();
  }
}

async function videoProbe(track: InputVideoTrack): Promise<CodecProbe | undefined> {
  const config = await track.getDecoderConfig();
  if (!config) return undefined;
  return {
    name: 'video',
    kind: 'video',
    codec: config.codec,
    config: {
      codedWidth: config.codedWidth,
      codedHeight: config.codedHeight,
      description: base64(config.description),
    },
  };
}

async function audioProbe(track: InputAudioTrack): Promise<CodecProbe | undefined> {
  const config = await track.getDecoderConfig();
  if (!config) return undefined;
  return {
    name: 'audio',
    kind: 'audio',
    codec: config.codec,
    config: {
      sampleRate: config.sampleRate,
      numberOfChannels: config.numberOfChannels,
      description: base64(config.description),
    },
  };
}

function base64(data: AllowSharedBufferSource | undefined): string | undefined {
  if (!data) return undefined;
  const bytes = ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data as ArrayBuffer);
  return bytes.toString('base64');
}
