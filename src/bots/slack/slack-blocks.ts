/** @module Slack Block Kit for cutroom's messages: the text, and its buttons (Cancel on a status, Undo on a result). */
import type { types } from '@slack/bolt';
import type { MessageAction, OutgoingMessage } from '../../deliveries/thread-surface.ts';

type KnownBlock = types.KnownBlock;
type Button = types.Button;

/** Action ids the bot listens for; the button value carries the request id or version. */
export const SlackActions = {
  Cancel: 'cutroom_cancel',
  Undo: 'cutroom_undo',
} as const;

function button(action: MessageAction): Button | undefined {
  if (action.kind === 'cancel') {
    return {
      type: 'button',
      action_id: SlackActions.Cancel,
      text: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
      value: action.requestId,
    };
  }
  // Its label names the version it goes back to, so the first version has none.
  if (action.version <= 1) return undefined;
  return {
    type: 'button',
    action_id: SlackActions.Undo,
    text: { type: 'plain_text', text: `Undo (back to version ${action.version - 1})` },
    value: String(action.version),
  };
}

/** One section with the text, then the message's buttons in one actions block. */
export function blocksFor(message: OutgoingMessage): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }];
  const buttons = (message.actions ?? []).flatMap((action) => button(action) ?? []);
  if (buttons.length > 0) {
    const kind = message.actions?.[0]?.kind === 'cancel' ? 'status' : 'result';
    blocks.push({ type: 'actions', block_id: `cutroom_${kind}`, elements: buttons });
  }
  return blocks;
}
