/** @module What the agent's integration tests share: a real browser pool, real media, the OpenAI fake, and ffprobe. */

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AgentLimits } from '../../../src/agent/agent-budget.ts';
import { SUMMARY_SYSTEM_PROMPT } from '../../../src/agent/agent-prompts.ts';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { LoadableAsset } from '../../../src/browser/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import {
  type FakeChatAnswer,
  type OpenAiFakeServer,
  type RecordedChatRequest,
  textReply,
} from '../../fakes/openai-fake-server.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';

const run = promisify(execFile);

/** A code action keeping the first two seconds of the first video. */
export const TRIM_CODE = `const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, 2] }));
console.log('trimmed to', composition.duration);`;

/** A code action adding a centred title for the composition's length. */
export const TITLE_CODE = `const texts = await composition.add(new core.Layer());
await texts.add(new core.TextClip({ text: 'Hello', position: 'center', duration: composition.duration, font: { family: 'DejaVu Sans', size: 48 }, color: '#ffffff' }));`;

export const AGENT_MODEL = 'agent-model';
export const VISION_MODEL = 'vision-model';
export const API_KEY = 'sk-test-agent';

export const GENEROUS_LIMITS: AgentLimits = {
  maxSteps: 24,
  maxLlmCalls: 40,
  maxTokens: 400_000,
  maxWallMs: 120_000,
};

export function createPool(onBlocked?: (url: string) => void): BrowserPool {
  return new BrowserPool({
    provider: new LocalBrowserProvider({ logger: createSilentLogger() }),
    size: 0,
    logger: createSilentLogger(),
    onBlocked,
  });
}

export function createLlm(
  fake: OpenAiFakeServer,
  overrides: { apiKey?: string; maxRetries?: number } = {},
): LlmClient {
  return new LlmClient({
    apiKey: overrides.apiKey ?? API_KEY,
    baseURL: fake.baseURL,
    model: AGENT_MODEL,
    visionModel: VISION_MODEL,
    maxRetries: overrides.maxRetries ?? 2,
    timeoutMs: 10_000,
  });
}

/** Real clips (ffmpeg) an agent test edits: a short 640x360 clip with sound, and a music track and a logo. */
export async function createAgentMedia(): Promise<{
  media: MediaFixtures;
  clip: LoadableAsset;
  music: LoadableAsset;
  logo: LoadableAsset;
}> {
  const media = await MediaFixtures.create();
  const clipPath = await media.clip('clip.mp4', { seconds: 4, width: 640, height: 360, gop: 30 });
  const musicPath = path.join(media.dir, 'music.mp3');
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=220:sample_rate=48000:duration=12',
    '-c:a',
    'libmp3lame',
    musicPath,
  ]);
  const logoPath = path.join(media.dir, 'logo.png');
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=0xff8800:size=160x90',
    '-frames:v',
    '1',
    logoPath,
  ]);
  return {
    media,
    clip: await localAsset(clipPath),
    music: await localAsset(musicPath),
    logo: await localAsset(logoPath),
  };
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ProbedVideo {
  duration: number;
  width: number;
  height: number;
}

export async function probeVideo(file: string): Promise<ProbedVideo> {
  const probe = await ffprobe(file);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  return { duration: probe.duration, width: video?.width ?? 0, height: video?.height ?? 0 };
}

/** Whether a request is the one short call that writes the caption of a new version. */
export function isSummaryRequest(request: RecordedChatRequest): boolean {
  return request.messages[0]?.content === SUMMARY_SYSTEM_PROMPT;
}

/**
 * A fallback for the fake: answers caption requests with `caption`, and anything else the way an empty script does
 * (a 500 saying so), so a mis-scripted test still shows.
 */
export function captionFallback(caption = 'Here is the new version.') {
  return (request: RecordedChatRequest): FakeChatAnswer =>
    isSummaryRequest(request)
      ? textReply(caption)
      : { fault: { status: 500, message: 'openai fake: no scripted answer left', retryAfterMs: null } };
}
