/**
 * @module inspect_media benchmark on a 60 s 1080p clip with six cuts and four pauses: the tool without a question,
 * warm (nothing cached) and cached (same process; and a new process reading the disk cache), against one plain
 * ffmpeg scene-score pass over every frame measured in the same run; and the transcription path's own overhead
 * (extracting, uploading, parsing) with the endpoint's time taken out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaInspector } from '../src/agent/inspect-media.ts';
import { runFfmpeg } from '../src/media/run-ffmpeg.ts';
import { SpeechTranscriber } from '../src/media/transcribe-speech.ts';
import { OpenAiFakeServer } from '../tests/fakes/openai-fake-server.ts';
import { cutsAndGapsClip } from '../tests/helpers/analysis-fixtures.ts';
import { cpuBetween, cpuSnapshot, totalCpu } from './process-cpu.ts';
import { median, printTable, timeIt } from './stats.ts';

const REPEATS = 5;
const CUTS = [8.5, 17, 26.3, 33, 41.7, 50.2];
const GAPS: [number, number][] = [
  [5, 5.8],
  [20, 21.2],
  [38, 38.5],
  [55, 56],
];

export async function runInspectBench(): Promise<Record<string, number | string>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-inspect-bench-'));
  const fake = await OpenAiFakeServer.start();
  try {
    // x264 with a 2 s key-frame interval and scene cuts, as phones and editors export.
    const clip = await cutsAndGapsClip(dir, 'clip-60s-1080p.mp4', {
      seconds: 60,
      width: 1920,
      height: 1080,
      cuts: CUTS,
      gaps: GAPS,
      x264Preset: 'superfast',
      gop: 60,
    });
    const asset = { path: clip.path, name: 'clip.mp4', kind: 'video' as const, duration: 60, hasAudio: true };

    const everyFrame = () =>
      runFfmpeg(['-i', clip.path, '-an', '-vf', 'scale=64:36:flags=area,scdet', '-f', 'null', '-'], {
        label: 'bench: scene score over every frame',
      });
    await everyFrame();
    const everyFrameMs = median(await repeat(3, () => timeIt(everyFrame)));

    const found = await new MediaInspector().inspect(asset);
    const warm = await repeat(REPEATS, async () => {
      const before = cpuSnapshot();
      const ms = await timeIt(() => new MediaInspector().inspect(asset));
      return { ms, cpuMs: totalCpu(cpuBetween(before, cpuSnapshot())) };
    });
    const warmMs = median(warm.map((w) => w.ms));
    const warmCpuMs = median(warm.map((w) => w.cpuMs));

    const shared = new MediaInspector();
    await shared.inspect(asset);
    const cachedMs = median(await repeat(REPEATS, () => timeIt(() => shared.inspect(asset))));

    const cacheDir = path.join(dir, 'cache');
    await new MediaInspector({ cacheDir }).inspect(asset);
    const diskCachedMs = median(
      await repeat(REPEATS, () => timeIt(() => new MediaInspector({ cacheDir }).inspect(asset))),
    );

    // The endpoint answers at once with a fixed transcript: what is left is cutroom's own work.
    fake.setTranscriber({ text: 'one two', words: [{ word: 'one', start: 0.5, end: 0.9 }] });
    const transcribe = async (maxUploadBytes: number) => {
      const before = fake.requests.length;
      const transcriber = new SpeechTranscriber({ model: 'm', baseURL: fake.baseURL, maxUploadBytes });
      const totalMs = await timeIt(() => transcriber.transcribe(asset));
      const requests = fake.requests.slice(before);
      const endpointMs = requests.reduce((sum, r) => sum + (r.answeredAt - r.receivedAt), 0);
      return { overheadMs: totalMs - endpointMs, parts: requests.length };
    };
    await transcribe(25 * 1024 * 1024);
    const whole = await repeat(3, () => transcribe(25 * 1024 * 1024));
    const split = await repeat(3, () => transcribe(1024 * 1024));
    const audioOnly = () =>
      runFfmpeg(['-i', clip.path, '-vn', '-ac', '1', '-ar', '16000', '-f', 'null', '-'], {
        label: 'bench: decode the sound',
      });
    const audioDecodeMs = median(await repeat(3, () => timeIt(audioOnly)));

    const figures = {
      clip: '60 s 1920x1080 30 fps H.264 (x264 superfast, key frame every 2 s), AAC',
      shotsFound: `${found.analysis.shots.length} of ${CUTS.length}`,
      silencesFound: `${found.analysis.silences.length} of ${GAPS.length}`,
      everyFrameSceneScoreMs: Math.round(everyFrameMs),
      inspectWarmMs: Math.round(warmMs),
      inspectWarmVsEveryFrame: round(warmMs / everyFrameMs, 2),
      inspectWarmCpuMs: Math.round(warmCpuMs),
      inspectWarmFloorOnCoresMs: Math.round(warmCpuMs / cpus().length),
      inspectCachedMs: round(cachedMs, 2),
      inspectDiskCachedMs: round(diskCachedMs, 1),
      transcribeOverheadMs: Math.round(median(whole.map((r) => r.overheadMs))),
      transcribeSplitOverheadMs: Math.round(median(split.map((r) => r.overheadMs))),
      transcribeSplitParts: split[0].parts,
      decodeSoundMs: Math.round(audioDecodeMs),
    };
    printTable('inspect_media (60 s 1080p clip, no question)', [
      ['found', `${figures.shotsFound} cuts, ${figures.silencesFound} pauses`],
      ['scene score over every frame (ffmpeg, baseline)', `${figures.everyFrameSceneScoreMs} ms`],
      [
        'inspect, warm, nothing cached (target ≤ 1500 ms)',
        `${figures.inspectWarmMs} ms (${figures.inspectWarmVsEveryFrame}× the baseline)`,
      ],
      [
        'inspect, warm: CPU time, and its floor on this machine’s cores',
        `${figures.inspectWarmCpuMs} ms, ${figures.inspectWarmFloorOnCoresMs} ms`,
      ],
      ['inspect, cached in this process (target ≤ 100 ms)', `${figures.inspectCachedMs} ms`],
      ['inspect, cached on disk, new inspector (hashes the file)', `${figures.inspectDiskCachedMs} ms`],
      ['transcription overhead, endpoint time excluded, 1 part', `${figures.transcribeOverheadMs} ms`],
      [
        `transcription overhead, 1 MB upload limit, ${figures.transcribeSplitParts} parts`,
        `${figures.transcribeSplitOverheadMs} ms`,
      ],
      ['decoding the sound alone (ffmpeg, baseline)', `${figures.decodeSoundMs} ms`],
    ]);
    return figures;
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function repeat<T>(times: number, work: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await work());
  return results;
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runInspectBench();
}
