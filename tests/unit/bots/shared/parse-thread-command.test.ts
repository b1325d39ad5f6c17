import { describe, expect, it } from 'vitest';
import { parseThreadCommand, stripMentions } from '../../../../src/bots/shared/parse-thread-command.ts';

describe('parseThreadCommand', () => {
  it.each(['undo', 'Undo.', '<@U0CUTROOM> undo', 'undo that', 'go back', 'revert!'])(
    'reads %j as undo',
    (text) => {
      expect(parseThreadCommand(text)).toEqual({ kind: 'undo' });
    },
  );

  it.each(['cancel', '<@123456> stop', 'Cancel it', 'abort the render'])('reads %j as cancel', (text) => {
    expect(parseThreadCommand(text)).toEqual({ kind: 'cancel' });
  });

  it.each([
    ['help', { kind: 'help' }],
    ['<@U0CUTROOM> Help!', { kind: 'help' }],
    ['status', { kind: 'status' }],
    ['versions', { kind: 'versions' }],
    ['redo', { kind: 'redo' }],
    ['go back to version 1', { kind: 'goto', version: 1 }],
    ['use v2', { kind: 'goto', version: 2 }],
    ['back to v 3.', { kind: 'goto', version: 3 }],
    ['show code', { kind: 'show_code' }],
    ['show the code of version 2', { kind: 'show_code', version: 2 }],
  ])('reads %j as a command', (text, command) => {
    expect(parseThreadCommand(text)).toEqual(command);
  });

  it('keeps a prompt that merely starts with a command word as an edit', () => {
    expect(parseThreadCommand('undo the zoom and make it brighter')).toEqual({
      kind: 'edit',
      prompt: 'undo the zoom and make it brighter',
    });
    expect(parseThreadCommand('use v2 but with a title')).toMatchObject({ kind: 'edit' });
    expect(parseThreadCommand('stop the music at 5 s')).toEqual({
      kind: 'edit',
      prompt: 'stop the music at 5 s',
    });
  });

  it('strips Slack and Discord mentions and squeezes whitespace from prompts', () => {
    expect(parseThreadCommand('<@U0CUTROOM|cutroom>   make a 15 s teaser\n with a title')).toEqual({
      kind: 'edit',
      prompt: 'make a 15 s teaser with a title',
    });
    expect(stripMentions('<@!123> <@456> hi')).toBe('hi');
  });

  it('returns an empty prompt for a bare mention', () => {
    expect(parseThreadCommand('<@U0CUTROOM>')).toEqual({ kind: 'edit', prompt: '' });
  });
});
