import { describe, expect, it } from 'vitest';
import { planTranscriptionChunks, wordsOf } from '../../../src/media/transcribe-speech.ts';

describe('planTranscriptionChunks', () => {
  it('sends a short clip whole', () => {
    expect(planTranscriptionChunks(30, 600, [])).toEqual([
      { from: 0, to: 30, extractFrom: 0, extractTo: 30 },
    ]);
  });

  it('splits in the middle of the longest pause in the last half of each part', () => {
    const chunks = planTranscriptionChunks(25, 10, [
      [3, 3.4],
      [6, 6.2],
      [7.5, 8.5],
      [15, 15.2],
      [18, 18.6],
    ]);
    expect(chunks.map((c) => [c.from, c.to])).toEqual([
      [0, 8],
      [8, 15.1],
      [15.1, 25],
    ]);
    for (const c of chunks) expect([c.extractFrom, c.extractTo]).toEqual([c.from, c.to]);
  });

  it('overlaps parts where no pause is found, each part still fitting the limit', () => {
    const chunks = planTranscriptionChunks(20, 8, []);
    for (const c of chunks) expect(c.extractTo - c.extractFrom).toBeLessThanOrEqual(8 + 1e-9);
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i].from).toBe(chunks[i - 1].to);
      expect(chunks[i].extractFrom).toBeLessThan(chunks[i].from);
      expect(chunks[i - 1].extractTo).toBeGreaterThan(chunks[i - 1].to);
    }
    expect(chunks.at(-1)?.to).toBe(20);
  });
});

describe('wordsOf', () => {
  const chunk = { from: 10, to: 20, extractFrom: 9, extractTo: 21 };

  it("moves a part's word times onto the source clock and keeps the words whose middle is the part's own", () => {
    const words = wordsOf(
      {
        text: 'a b c d',
        words: [
          { word: 'a', start: 0.2, end: 0.6 },
          { word: 'b', start: 1.5, end: 1.9 },
          { word: 'c', start: 10.7, end: 10.9 },
          { word: 'd', start: 11.2, end: 11.6 },
        ],
      },
      chunk,
    );
    expect(words).toEqual([
      { text: 'b', start: 10.5, end: 10.9 },
      { text: 'c', start: 19.7, end: 19.9 },
    ]);
  });

  it("joins whisper.cpp's word pieces nested in segments into words", () => {
    const words = wordsOf(
      {
        text: " That's one",
        segments: [
          {
            start: 0,
            end: 2,
            text: " That's one",
            words: [
              { word: ' That', start: 1.16, end: 1.31 },
              { word: "'s", start: 1.38, end: 1.49 },
              { word: ' one', start: 1.6, end: 1.9 },
            ],
          },
        ],
      },
      chunk,
    );
    expect(words.map((w) => w.text)).toEqual(["That's", 'one']);
    expect(words[0].start).toBeCloseTo(10.16, 6);
    expect(words[0].end).toBeCloseTo(10.49, 6);
  });

  it('shares a segment out over its words by length when the server gives no word times', () => {
    const words = wordsOf({ text: 'aa bbbb', segments: [{ start: 1.2, end: 2.4, text: ' aa bbbb' }] }, chunk);
    expect(words.map((w) => w.text)).toEqual(['aa', 'bbbb']);
    expect(words[0].start).toBeCloseTo(10.2, 6);
    expect(words[0].end).toBeCloseTo(10.6, 6);
    expect(words[1].end).toBeCloseTo(11.4, 6);
  });
});
