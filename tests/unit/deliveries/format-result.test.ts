import { describe, expect, it } from 'vitest';
import { formatDuration, formatError, formatResult } from '../../../src/deliveries/format-result.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';

const thread: ThreadRef = { platform: 'slack', channelId: 'C1', threadId: '1.1' };

describe('formatResult', () => {
  const result = {
    kind: 'result' as const,
    thread,
    requestId: 'r1',
    file: { key: 'k', name: 'v.mp4', mimeType: 'video/mp4', size: 1 },
  };

  it('leads with version and duration, then the summary and how to continue', () => {
    const text = formatResult({
      ...result,
      text: 'Cut to 15 s, added a title.',
      version: 2,
      durationSeconds: 15,
    });
    expect(text.split('\n')).toEqual([
      '*Version 2* · 15 s',
      'Cut to 15 s, added a title.',
      'Reply in this thread to change it, or say `undo` to go back.',
    ]);
  });

  it('offers no undo on the first version and uses the platform bold markup', () => {
    const text = formatResult(
      { ...result, text: '', version: 1, durationSeconds: 65 },
      { strong: (s) => `**${s}**` },
    );
    expect(text).toBe('**Version 1** · 1:05\nReply in this thread to change it.');
  });

  it('says under the summary when the render was re-encoded to fit the upload limit', () => {
    const note =
      'The render was 23 MB, over this server’s 10 MB upload limit, so I re-encoded it at 480p (9.6 MB).';
    const text = formatResult({ ...result, text: 'Trimmed.', version: 1, durationSeconds: 5, note });
    expect(text.split('\n').slice(1, 3)).toEqual(['Trimmed.', note]);
  });

  it('formats durations for a chat line', () => {
    expect(formatDuration(12.46)).toBe('12.5 s');
    expect(formatDuration(125)).toBe('2:05');
  });
});

describe('formatError', () => {
  const error = { kind: 'error' as const, thread, requestId: 'r1' };

  it('marks failures and passes the user message through', () => {
    expect(formatError({ ...error, code: 'render_failed', text: 'The render failed.' })).toBe(
      '⚠️ The render failed.',
    );
  });

  it('does not dress up a cancel as a failure', () => {
    expect(formatError({ ...error, code: 'cancelled', text: 'Cancelled.' })).toBe('Cancelled.');
  });
});
