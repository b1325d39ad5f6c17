/** @module Slack Block Kit for cutroom's messages: the status line with Cancel, the result with Undo. */
import type { types } from '@slack/bolt';

type KnownBlock = types.KnownBlock;

/** Action ids the bot listens for; the button value carries the request id or version. */
export const SlackActions = {
  Cancel: 'cutroom_cancel',
  Undo: 'cutroom_undo',
} as const;

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** The status message: one line, plus a Cancel button while the job runs. */
export function statusBlocks(text: string, options: { requestId: string; running: boolean }): KnownBlock[] {
  const blocks: KnownBlock[] = [section(text)];
  if (options.running) {
    blocks.push({
      type: 'actions',
      block_id: 'cutroom_status',
      elements: [
        {
          type: 'button',
          action_id: SlackActions.Cancel,
          text: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
          value: options.requestId,
        },
      ],
    });
  }
  return blocks;
}

/** The note under a finished render: its version, with an Undo button when there is an earlier one. */
export function resultBlocks(text: string, options: { version: number }): KnownBlock[] {
  const blocks: KnownBlock[] = [section(text)];
  if (options.version > 1) {
    blocks.push({
      type: 'actions',
      block_id: 'cutroom_result',
      elements: [
        {
          type: 'button',
          action_id: SlackActions.Undo,
          text: { type: 'plain_text', text: `Undo (back to version ${options.version - 1})` },
          value: String(options.version),
        },
      ],
    });
  }
  return blocks;
}
