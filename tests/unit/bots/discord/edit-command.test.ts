import { describe, expect, it } from 'vitest';
import { ButtonIds } from '../../../../src/bots/discord/edit-command.ts';

describe('ButtonIds', () => {
  it('round-trips the request or thread a button acts on, even with colons in it', () => {
    expect(ButtonIds.parse(ButtonIds.cancel('discord:123'))).toEqual({
      action: 'cancel',
      target: 'discord:123',
    });
    expect(ButtonIds.parse(ButtonIds.undo('456', 3))).toEqual({ action: 'undo', target: '456', version: 3 });
  });

  it('reads an Undo button posted before buttons carried their version', () => {
    expect(ButtonIds.parse('cutroom:undo:456')).toEqual({ action: 'undo', target: '456' });
  });

  it('ignores buttons that are not cutroom’s', () => {
    expect(ButtonIds.parse('other:undo:1')).toBeUndefined();
    expect(ButtonIds.parse('cutroom:delete:1')).toBeUndefined();
  });

  it('stays within Discord’s 100-character custom id limit for request ids', () => {
    expect(ButtonIds.cancel(`discord:${'9'.repeat(20)}`).length).toBeLessThanOrEqual(100);
  });
});
