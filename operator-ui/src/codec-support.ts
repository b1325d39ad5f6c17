/** @module Which WebCodecs encoders and decoders this browser has, for `cutroom doctor`. */
import type { CodecProbe, CodecSupport } from './protocol.ts';

export async function codecSupport(probes: CodecProbe[]): Promise<CodecSupport[]> {
  const results: CodecSupport[] = [];
  for (const probe of probes) {
    if (probe.kind === 'audio') {
      const config = { codec: probe.codec, sampleRate: 48000, numberOfChannels: 2, bitrate: 128_000 };
      results.push({
        ...probe,
        encode: await supported(() => AudioEncoder.isConfigSupported(config)),
        decode: await supported(() => AudioDecoder.isConfigSupported(config)),
      });
    } else {
      const config = { codec: probe.codec, width: 1280, height: 720, bitrate: 5_000_000, framerate: 30 };
      results.push({
        ...probe,
        encode: await supported(() => VideoEncoder.isConfigSupported(config)),
        decode: await supported(() => VideoDecoder.isConfigSupported({ codec: probe.codec })),
      });
    }
  }
  return results;
}

async function supported(check: () => Promise<{ supported?: boolean }>): Promise<boolean> {
  try {
    return (await check()).supported === true;
  } catch {
    return false;
  }
}
