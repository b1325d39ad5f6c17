import { describe, expect, it } from 'vitest';
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
