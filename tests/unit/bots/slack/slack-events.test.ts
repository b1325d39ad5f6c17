import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { toIncomingRequest } from '../../../../src/bots/slack/slack-events.ts';

// No file in these events is opened or looked up, so the client never makes a call.
const files = {
  client: new webApi.WebClient('xoxb-unused', { slackApiUrl: 'http://127.0.0.1:9/api/' }),
  botToken: 'xoxb-unused',
};
const context = { eventId: 'Ev1', teamId: 'T1', botUserId: 'UBOT' };
const base = { channel: 'C1', user: 'UALICE', ts: '200.000002' };

describe('toIncomingRequest', () => {
  it('turns a mention into an addressed request keyed by the event id, in the mention’s own thread', async () => {
    const request = await toIncomingRequest(
      { ...base, type: 'app_mention', text: '<@UBOT> trim it' },
      context,
      files,
    );
    expect(request).toMatchObject({
      id: 'slack:Ev1',
      thread: { platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '200.000002' },
      user: { id: 'UALICE' },
      text: '<@UBOT> trim it',
      addressed: true,
      messageId: '200.000002',
      files: [],
    });
    expect(request?.earlierFiles).toBeUndefined();
  });

  it('uses the thread root for a mention inside a thread and can look for earlier clips there', async () => {
    const request = await toIncomingRequest(
      { ...base, type: 'app_mention', text: '<@UBOT> go', thread_ts: '100.000001' },
      context,
      files,
    );
    expect(request?.thread.threadId).toBe('100.000001');
    expect(request?.earlierFiles).toBeTypeOf('function');
  });

  it('takes plain thread replies and uploads as unaddressed requests', async () => {
    for (const subtype of [undefined, 'file_share']) {
      const request = await toIncomingRequest(
        { ...base, type: 'message', subtype, text: 'shorter', thread_ts: '100.000001' },
        context,
        files,
      );
      expect(request).toMatchObject({ addressed: false, thread: { threadId: '100.000001' } });
    }
  });

  it.each([
    ['its own message', { user: 'UBOT', thread_ts: '100.000001' }],
    ['another bot', { bot_id: 'B2', thread_ts: '100.000001' }],
    ['an edit', { subtype: 'message_changed', thread_ts: '100.000001' }],
    ['a top-level message without a mention', {}],
    [
      'a thread reply that mentions the bot (app_mention handles it)',
      { text: '<@UBOT> undo', thread_ts: '100.000001' },
    ],
    ['a message without a user', { user: undefined, thread_ts: '100.000001' }],
  ])('ignores %s', async (_name, fields) => {
    expect(
      await toIncomingRequest({ ...base, type: 'message', text: 'hi', ...fields }, context, files),
    ).toBeUndefined();
  });
});
