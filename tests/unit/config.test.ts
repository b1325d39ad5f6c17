import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { CutroomError } from '../../src/errors.ts';

function configError(env: Record<string, string>): CutroomError {
  try {
    loadConfig(env, { readDotenv: false });
  } catch (error) {
    return error as CutroomError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({}, { readDotenv: false, cwd: '/srv/app' });
    expect(config.dataDir).toBe('/srv/app/.cutroom');
    expect(config.redisUrl).toBeUndefined();
    expect(config.browser.wsEndpoints).toEqual([]);
    expect(config.http.port).toBe(3000);
    expect(config.slack).toBeUndefined();
    expect(config.discord).toBeUndefined();
  });

  it('times transfers by silence for downloads and by a long bound for uploads, in seconds', () => {
    expect(loadConfig({}, { readDotenv: false }).transfers).toEqual({
      downloadIdleTimeoutMs: 30_000,
      uploadTimeoutMs: 600_000,
    });
    const tuned = loadConfig(
      {
        CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS: '5',
        CUTROOM_UPLOAD_TIMEOUT_SECONDS: '1800',
        CUTROOM_WORKER_LOCK_SECONDS: '2',
      },
      { readDotenv: false },
    );
    expect(tuned.transfers).toEqual({ downloadIdleTimeoutMs: 5000, uploadTimeoutMs: 1_800_000 });
    expect(tuned.worker.lockDurationMs).toBe(2000);
    expect(configError({ CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS: '0' }).message).toContain(
      'CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS must be an integer 1–3600, got "0"',
    );
  });

  it('reads CUTROOM_REDIS_PREFIX for deployments sharing one Redis, refusing a prefix that would split keys', () => {
    expect(loadConfig({}, { readDotenv: false }).redisPrefix).toBeUndefined();
    expect(loadConfig({ CUTROOM_REDIS_PREFIX: 'staging' }, { readDotenv: false }).redisPrefix).toBe(
      'staging',
    );
    expect(configError({ CUTROOM_REDIS_PREFIX: 'a:b' }).message).toContain(
      'CUTROOM_REDIS_PREFIX must be 1–32',
    );
  });

  it('names the variable, the rule and the value received', () => {
    const error = configError({ CUTROOM_PORT: 'abc' });
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('CUTROOM_PORT must be an integer 1–65535, got "abc"');
  });

  it('never repeats a secret in its error message', () => {
    const error = configError({
      OPENAI_API_KEY: 'sk-live-123',
      OPENAI_BASE_URL: 'not a url',
      SLACK_SIGNING_SECRET: 'x',
    });
    expect(error.message).toContain('OPENAI_BASE_URL must be a URL');
    expect(error.message).not.toContain('sk-live-123');
  });

  it('splits comma-separated browser endpoints and allowlists', () => {
    const config = loadConfig(
      {
        BROWSER_WS_ENDPOINT: 'ws://a:9223/, ws://b:9223/',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_ALLOWED_CHANNELS: 'C1,C2',
      },
      { readDotenv: false },
    );
    expect(config.browser.wsEndpoints).toEqual(['ws://a:9223/', 'ws://b:9223/']);
    expect(config.slack?.allowedChannels).toEqual(['C1', 'C2']);
  });

  it('reads the thread admins as a comma-separated list of user and role ids, empty by default', () => {
    expect(loadConfig({}, { readDotenv: false }).threadAdmins).toEqual([]);
    expect(
      loadConfig({ CUTROOM_THREAD_ADMINS: 'U0ADMIN, 500000000000000009' }, { readDotenv: false })
        .threadAdmins,
    ).toEqual(['U0ADMIN', '500000000000000009']);
  });

  it('leaves transcription off until a model is named', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-1' }, { readDotenv: false }).transcribe).toBeUndefined();
  });

  it("sends transcriptions to the LLM's endpoint and key unless told otherwise", () => {
    const llm = { OPENAI_API_KEY: 'sk-llm', OPENAI_BASE_URL: 'http://llm:8000/v1' };
    const same = loadConfig({ ...llm, CUTROOM_TRANSCRIBE_MODEL: 'whisper-1' }, { readDotenv: false });
    expect(same.transcribe).toEqual({
      model: 'whisper-1',
      baseURL: 'http://llm:8000/v1',
      apiKey: 'sk-llm',
      maxUploadBytes: 25 * 1024 * 1024,
    });
    const own = loadConfig(
      {
        ...llm,
        CUTROOM_TRANSCRIBE_MODEL: 'Systran/faster-whisper-small',
        CUTROOM_TRANSCRIBE_BASE_URL: 'http://stt:8000/v1',
        CUTROOM_TRANSCRIBE_API_KEY: 'stt-key',
        CUTROOM_TRANSCRIBE_MAX_UPLOAD_MB: '100',
      },
      { readDotenv: false },
    );
    expect(own.transcribe).toEqual({
      model: 'Systran/faster-whisper-small',
      baseURL: 'http://stt:8000/v1',
      apiKey: 'stt-key',
      maxUploadBytes: 100 * 1024 * 1024,
    });
  });

  it('never repeats the transcription key in its error message', () => {
    const error = configError({
      CUTROOM_TRANSCRIBE_API_KEY: 'stt-secret',
      CUTROOM_TRANSCRIBE_BASE_URL: 'nope',
    });
    expect(error.message).toContain('CUTROOM_TRANSCRIBE_BASE_URL must be a URL');
    expect(error.message).not.toContain('stt-secret');
  });

  it('reads CUTROOM_MAX_ASSET_DIMENSIONS as WIDTHxHEIGHT, 4096x4096 by default', () => {
    expect(loadConfig({}, { readDotenv: false }).limits.maxAssetDimensions).toEqual({
      width: 4096,
      height: 4096,
    });
    const config = loadConfig({ CUTROOM_MAX_ASSET_DIMENSIONS: '3840x2160' }, { readDotenv: false });
    expect(config.limits.maxAssetDimensions).toEqual({ width: 3840, height: 2160 });
    expect(configError({ CUTROOM_MAX_ASSET_DIMENSIONS: '4k' }).message).toContain(
      'CUTROOM_MAX_ASSET_DIMENSIONS must be WIDTHxHEIGHT in pixels, each at least 16 (e.g. 4096x4096), got "4k"',
    );
  });
});
