import { describe, expect, it } from 'vitest';
import { planFit } from '../../../src/media/fit-to-upload-limit.ts';

const MiB = 1024 * 1024;

describe('planFit', () => {
  it('spends the byte budget over the duration, minus the audio', () => {
    const plan = planFit({ limitBytes: 10 * MiB, durationSeconds: 30, sourceHeight: 720, hasAudio: true })!;
    const totalKbps = (10 * MiB * 8 * 0.95) / 30 / 1000;
    expect(plan.audioKbps).toBe(128);
    expect(plan.videoKbps).toBe(Math.floor(totalKbps - 128));
    expect(plan.height).toBe(720);
  });

  it('lowers the resolution as the bitrate drops and never upscales', () => {
    const long = planFit({ limitBytes: 10 * MiB, durationSeconds: 90, sourceHeight: 1080, hasAudio: true })!;
    expect(long.height).toBe(480);
    const longer = planFit({
      limitBytes: 10 * MiB,
      durationSeconds: 300,
      sourceHeight: 1080,
      hasAudio: true,
    })!;
    expect(longer.height).toBe(360);
    const small = planFit({ limitBytes: 10 * MiB, durationSeconds: 10, sourceHeight: 240, hasAudio: false })!;
    expect(small.height).toBe(240);
    expect(small.audioKbps).toBe(0);
  });

  it('gives up below the watchable floor', () => {
    expect(planFit({ limitBytes: 10 * MiB, durationSeconds: 3600, sourceHeight: 720, hasAudio: true })).toBe(
      undefined,
    );
  });
});
