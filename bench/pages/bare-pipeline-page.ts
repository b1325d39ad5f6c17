/**
 * @module Runs in a plain Chromium page: the benchmark edit as the least work WebCodecs allows, to show what this
 * machine could do at best. Decoded frames stay I420 and go straight to the encoder with the title's pixels
 * blended into their luma; no canvas, no core, no audio, and the encoded packets are only counted.
 */
import { ALL_FORMATS, BlobSource, Input, VideoSampleSink } from 'mediabunny';

interface BareResult {
  frames: number;
  ms: number;
  bytes: number;
}

async function run(clipUrl: string, from: number, to: number, title: string): Promise<BareResult> {
  const input = new Input({
    source: new BlobSource(await (await fetch(clipUrl)).blob()),
    formats: ALL_FORMATS,
  });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new Error('the clip has no video');
    const width = track.codedWidth;
    const height = track.codedHeight;
    const overlay = new OffscreenCanvas(width, height).getContext('2d');
    if (!overlay) throw new Error('no 2d context');
    overlay.fillStyle = '#fff';
    overlay.font = '72px sans-serif';
    overlay.textAlign = 'center';
    overlay.textBaseline = 'middle';
    overlay.fillText(title, width / 2, height / 2);
    const alpha = overlay.getImageData(0, 0, width, height).data;
    const titled: number[] = [];
    for (let i = 0; i < width * height; i++) if (alpha[i * 4 + 3] > 0) titled.push(i);

    const pixels = new Uint8Array((width * height * 3) / 2);
    let bytes = 0;
    let failure: unknown;
    const encoder = new VideoEncoder({
      output: (chunk) => {
        bytes += chunk.byteLength;
      },
      error: (error) => {
        failure = error;
      },
    });
    encoder.configure({ codec: 'avc1.64001f', width, height, bitrate: 5_000_000, latencyMode: 'quality' });
    const started = performance.now();
    let frames = 0;
    for await (const sample of new VideoSampleSink(track).samples(from, to)) {
      const frame = sample.toVideoFrame();
      sample.close();
      await frame.copyTo(pixels);
      frame.close();
      for (const i of titled) pixels[i] += ((235 - pixels[i]) * alpha[i * 4 + 3]) / 255;
      const out = new VideoFrame(pixels, {
        format: 'I420',
        codedWidth: width,
        codedHeight: height,
        timestamp: Math.round((frames * 1e6) / 30),
      });
      encoder.encode(out, { keyFrame: frames % 60 === 0 });
      out.close();
      frames++;
      while (encoder.encodeQueueSize > 3) {
        await new Promise((resolve) => encoder.addEventListener('dequeue', resolve, { once: true }));
      }
    }
    await encoder.flush();
    encoder.close();
    if (failure) throw failure;
    return { frames, ms: performance.now() - started, bytes };
  } finally {
    input.dispose();
  }
}

Object.assign(window, { bareRun: run });
