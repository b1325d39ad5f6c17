import { describe, expect, it } from 'vitest';
import { formatDuration, formatError, formatResult } from '../../../src/deliveries/format-result.ts';
import { formatStatus } from '../../../src/deliveries/format-status.ts';
import { isTerminalStage, type StatusDelivery } from '../../../src/deliveries/types.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';

const thread: ThreadRef = { platform: 'slack', channelId: 'C1', threadId: '1.1' };
const status = (fields: Partial<StatusDelivery>): StatusDelivery => ({
  kind: 'status',
  thread,
  requestId: 'r1',
  stage: 'queued',
  text: '',
  ...fields,
});

describe('formatStatus', () => {
  it('shows the queue position, or "next up" for the first in line', () => {
    expect(formatStatus(status({ queuePosition: 3 }))).toBe('⏳ Queued (position 3)…');
    expect(formatStatus(status({ queuePosition: 1 }))).toBe('⏳ Queued (next up)…');
  });

  it('shows the editing step and the render percent', () => {
    expect(formatStatus(status({ stage: 'editing', text: 'step 3' }))).toBe('✂️ Editing · step 3…');
    expect(formatStatus(status({ stage: 'rendering', percent: 42.7 }))).toBe('🎬 Rendering 42%…');
  });

  it('drops a detail that repeats the label and ends terminal stages without an ellipsis', () => {
    expect(formatStatus(status({ stage: 'cancelled', text: 'Cancelled.' }))).toBe('🛑 Cancelled');
    expect(formatStatus(status({ stage: 'done' }))).toBe('✅ Done');
  });

  it('treats done, failed and cancelled as terminal', () => {
    expect(['done', 'failed', 'cancelled'].every((s) => isTerminalStage(s as never))).toBe(true);
    expect(isTerminalStage('rendering')).toBe(false);
  });
});

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
