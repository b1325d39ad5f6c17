/**
 * @module Which WebCodecs encoders and decoders this browser has: the codec table of `cutroom doctor`, and whether
 * one upload's own decoder configuration decodes here (the ingest's question before it converts anything).
 */
import type { CodecProbe, CodecSupport, DecoderConfigProbe } from './protocol.ts';

export async function codecSupport(probes: CodecProbe[]): Promise<CodecSupport[]> {
  const results: CodecSupport[] = [];
  for (const probe of probes) {
    const own = probe.config && decoderConfig(probe.config);
    if (probe.kind === 'audio') {
      const config = { codec: probe.codec, sampleRate: 48000, numberOfChannels: 2, bitrate: 128_000 };
      results.push({
        ...probe,
        encode: own ? false : await supported(() => AudioEncoder.isConfigSupported(config)),
        decode: await supported(() => AudioDecoder.isConfigSupported({ ...config, ...own })),
      });
    } else {
      const config = { codec: probe.codec, width: 1280, height: 720, bitrate: 5_000_000, framerate: 30 };
      results.push({
        ...probe,
        encode: own ? false : await supported(() => VideoEncoder.isConfigSupported(config)),
        decode: await supported(() => VideoDecoder.isConfigSupported({ codec: probe.codec, ...own })),
      });
    }
  }
  return results;
}

function decoderConfig({ description, ...fields }: DecoderConfigProbe) {
  return description
    ? { ...fields, description: Uint8Array.from(atob(description), (c) => c.charCodeAt(0)) }
    : fields;
}

async function supported(check: () => Promise<{ supported?: boolean }>): Promise<boolean> {
  try {
    return (await check()).supported === true;
  } catch {
    return false;
  }
}
