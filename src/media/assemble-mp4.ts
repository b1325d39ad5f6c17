/**
 * @module Puts the browser's video and the render's AAC audio into the final MP4, in-process with mediabunny.
 *
 * Both tracks are copied packet by packet, never re-encoded, and the index is written before the media
 * (`+faststart`) so chat players start playing before the file has fully downloaded. An ffmpeg process for the
 * same mux took 220–280 ms right after a render on the reference machine; this takes 70–175 ms there, 30–50 ms
 * once V8 has compiled it (docs/performance.md). Packets are read and written a few at a time, so memory stays
 * flat for long renders.
 */
import { rm } from 'node:fs/promises';
import {
  ALL_FORMATS,
  EncodedAudioPacketSource,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  FilePathSource,
  FilePathTarget,
  Input,
  type InputAudioTrack,
  type InputVideoTrack,
  Mp4OutputFormat,
  Output,
} from 'mediabunny';
import { CutroomError, ErrorCode } from '../errors.ts';

/** A stretch of a file's AAC audio, in seconds of that file, that becomes the render's audio from time 0. */
export interface AudioCut {
  path: string;
  from: number;
  /** Exclusive; `Infinity` for the rest of the file. */
  to: number;
}

export interface AssembleMp4Options {
  /** The browser's MP4; only its video track is used. */
  videoPath: string;
  audio?: AudioCut;
  outPath: string;
  signal?: AbortSignal;
}

/** @throws CutroomError render_failed when a track cannot be read or written. */
export async function assembleMp4(options: AssembleMp4Options): Promise<void> {
  const inputs: Input[] = [];
  const open = (path: string) => {
    const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
    inputs.push(input);
    return input;
  };
  let output: Output | undefined;
  try {
    const video = await openVideo(open(options.videoPath));
    const audio = options.audio ? await openAudioCut(open(options.audio.path), options.audio) : undefined;
    output = new Output({
      format: new Mp4OutputFormat({ fastStart: 'reserve' }),
      // mediabunny's default 16 MiB write buffer is fresh memory every time, which costs more on a VM than the whole mux.
      target: new FilePathTarget(options.outPath, { chunkSize: 1 << 20 }),
    });
    const videoSource = new EncodedVideoPacketSource(video.codec);
    output.addVideoTrack(videoSource, { maximumPacketCount: video.packetCount });
    const audioSource = audio && new EncodedAudioPacketSource(audio.codec);
    if (audio && audioSource) output.addAudioTrack(audioSource, { maximumPacketCount: audio.packetCount });
    await output.start();

    const videoPackets = video.sink.packets();
    const audioPackets = audio?.sink.packets(audio.first, audio.end ?? undefined);
    const from = audio?.from ?? 0;
    let nextVideo = await videoPackets.next();
    let nextAudio = audioPackets ? await audioPackets.next() : undefined;
    let videoMeta: EncodedVideoChunkMetadata | undefined = { decoderConfig: video.decoderConfig };
    let audioMeta: EncodedAudioChunkMetadata | undefined = audio && { decoderConfig: audio.decoderConfig };
    // Interleaved by time, as a player reads them, and so neither track piles up in memory.
    while (!nextVideo.done || (nextAudio && !nextAudio.done)) {
      options.signal?.throwIfAborted();
      const audioTime = nextAudio && !nextAudio.done ? nextAudio.value.timestamp - from : Infinity;
      if (!nextVideo.done && nextVideo.value.timestamp <= audioTime) {
        await videoSource.add(nextVideo.value, videoMeta);
        videoMeta = undefined;
        nextVideo = await videoPackets.next();
      } else if (nextAudio && !nextAudio.done && audioSource && audioPackets) {
        // A cut starts at 0; the packets before it get negative times, which mediabunny turns into an edit list.
        await audioSource.add(nextAudio.value.clone({ timestamp: audioTime }), audioMeta);
        audioMeta = undefined;
        nextAudio = await audioPackets.next();
      }
    }
    await output.finalize();
  } catch (error) {
    await output?.cancel().catch(() => {});
    await rm(options.outPath, { force: true });
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    throw new CutroomError(ErrorCode.RenderFailed, `finish render: ${(error as Error).message}`, {
      userMessage: 'The video could not be finished. Please try again.',
      retryable: true,
      cause: error,
    });
  } finally {
    for (const input of inputs) input.dispose();
  }
}

async function openVideo(input: Input) {
  const track: InputVideoTrack | null = await input.getPrimaryVideoTrack();
  const codec = await track?.getCodec();
  const decoderConfig = await track?.getDecoderConfig();
  if (!track || !codec || !decoderConfig) throw new Error('the browser render has no readable video track');
  const { packetCount } = await track.computePacketStats(Infinity);
  return { sink: new EncodedPacketSink(track), codec, decoderConfig, packetCount };
}

async function openAudioCut(input: Input, cut: AudioCut) {
  const track: InputAudioTrack | null = await input.getPrimaryAudioTrack();
  const codec = await track?.getCodec();
  const decoderConfig = await track?.getDecoderConfig();
  if (!track || codec !== 'aac' || !decoderConfig)
    throw new Error(`${cut.path} has no AAC audio track to copy`);
  const sink = new EncodedPacketSink(track);
  const containing = (await sink.getPacket(cut.from)) ?? (await sink.getFirstPacket());
  if (!containing) throw new Error(`${cut.path} has no audio packets`);
  // AAC needs the packet before the cut to decode its first samples; the edit list hides it again.
  const first = (await sink.getPacket(containing.timestamp - containing.duration / 2)) ?? containing;
  const last = Number.isFinite(cut.to) ? await sink.getPacket(cut.to) : null;
  const end = last && last.timestamp < cut.to ? await sink.getNextPacket(last) : last;
  let packetCount = 0;
  for await (const _ of sink.packets(first, end ?? undefined, { metadataOnly: true })) packetCount++;
  return { sink, codec, decoderConfig, first, end, packetCount, from: cut.from };
}
