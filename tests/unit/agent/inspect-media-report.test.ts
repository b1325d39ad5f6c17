import { describe, expect, it } from 'vitest';
import { requestWithEarlier } from '../../../src/agent/agent-prompts.ts';
import type { AssetInspection } from '../../../src/agent/inspect-media.ts';
import { formatInspectionReport } from '../../../src/agent/inspect-media-report.ts';

const video = {
  name: 'talk.mp4',
  kind: 'video' as const,
  duration: 62.4,
  width: 1920,
  height: 1080,
  hasAudio: true,
};

function inspection(overrides: Partial<AssetInspection> = {}): AssetInspection {
  return {
    contentHash: 'abc',
    analysis: {
      fps: 30,
      shots: [12.4, 30.033333],
      silences: [
        [1.2, 2.033333],
        [10.5, 11.2],
      ],
      silenceThresholdDb: -44.5,
      loudness: { stepSeconds: 2, db: [-20.4, -35.6] },
    },
    ...overrides,
  };
}

describe('formatInspectionReport', () => {
  it('states the facts, the shot changes and silences, and where code finds them', () => {
    const text = formatInspectionReport({ index: 0, asset: video, inspection: inspection() });
    expect(text).toContain('assets[0] "talk.mp4": video, 1920x1080, 30 fps, 62.4 s, with sound');
    expect(text).toContain('Shot changes (2)');
    expect(text).toContain('12.4, 30.03 s');
    expect(text).toContain('assets[0].shots');
    expect(text).toContain('Silences (2, 1.53 s in all; quieter than -44.5 dBFS');
    expect(text).toContain('1.2–2.03, 10.5–11.2');
    expect(text).toContain('Loudness, dBFS per 2 s: -20 -36');
  });

  it('says plainly that transcription is off and what that means', () => {
    const text = formatInspectionReport({
      index: 2,
      asset: video,
      inspection: inspection({ transcriptMissing: { reason: 'off' } }),
    });
    expect(text).toContain('Transcript: off');
    expect(text).toContain('CUTROOM_TRANSCRIBE_MODEL');
    expect(text).toContain('assets[2].transcript is missing');
  });

  it('reports a failed transcription without hiding the rest', () => {
    const text = formatInspectionReport({
      index: 0,
      asset: video,
      inspection: inspection({ transcriptMissing: { reason: 'failed', detail: 'HTTP 500' } }),
    });
    expect(text).toContain('Transcript: failed (HTTP 500)');
    expect(text).toContain('Shot changes (2)');
  });

  it('shows the transcript as timed lines, broken at sentence ends and pauses', () => {
    const words = [
      { text: 'Hello', start: 0.1, end: 0.5 },
      { text: 'there.', start: 0.6, end: 1 },
      { text: 'Next', start: 3, end: 3.3 },
      { text: 'line', start: 3.4, end: 3.8 },
    ];
    const text = formatInspectionReport({
      index: 0,
      asset: video,
      inspection: inspection({
        transcript: { model: 'whisper-1', language: 'english', text: '', words, wordTimes: 'words' },
      }),
    });
    expect(text).toContain('Transcript (whisper-1, english, 4 words). In code: assets[0].transcript');
    expect(text).toContain('[0.1–1] Hello there.');
    expect(text).toContain('[3–3.8] Next line');
  });

  it('keeps a long transcript within the tool-result budget and says how much is left out', () => {
    const words = Array.from({ length: 3000 }, (_, i) => ({
      text: `word${i}`,
      start: i * 0.3,
      end: i * 0.3 + 0.2,
    }));
    const text = formatInspectionReport({
      index: 0,
      asset: video,
      inspection: inspection({ transcript: { model: 'm', text: '', words, wordTimes: 'words' } }),
    });
    expect(text.length).toBeLessThan(5000);
    expect(text).toMatch(/… \d+ more words in assets\[0\]\.transcript/);
  });

  it('puts the answer to a question first', () => {
    const text = formatInspectionReport({
      index: 0,
      asset: video,
      inspection: inspection(),
      answer: { answer: 'The goalkeeper dives at 7 s.', times: [0, 2, 4, 6, 8] },
    });
    expect(
      text.startsWith('Answer (from 5 frame(s) of the source, 0–8 s): The goalkeeper dives at 7 s.'),
    ).toBe(true);
  });
});

describe('requestWithEarlier', () => {
  it('lists the earlier requests of the thread under the current one', () => {
    expect(requestWithEarlier('make it vertical', [])).toBe('make it vertical');
    const goal = requestWithEarlier('make it vertical', ['keep the first 5 s', 'add the title "Hello"']);
    expect(goal).toBe(
      'make it vertical\nEarlier requests in this thread, still in force unless the one above changes them:\n1. keep the first 5 s\n2. add the title "Hello"',
    );
  });
});
