// Redis-only suite: a request's status is a hash and a pending flag in a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StatusBoard } from '../../../src/deliveries/status-board.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('StatusBoard', () => {
  let redis: TestRedis;
  let connection: Redis;
  let board: StatusBoard;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    board = new StatusBoard({ redis: connection, prefix: uniquePrefix() });
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('asks for one status job while one is pending, and gives the newest to whoever takes it', async () => {
    expect(await board.report('r1', { stage: 'editing', text: 'step 1' })).toEqual({
      seq: 1,
      queueJob: true,
    });
    expect(await board.report('r1', { stage: 'editing', text: 'step 2' })).toEqual({
      seq: 2,
      queueJob: false,
    });
    expect(await board.take('r1')).toEqual({ seq: 2, status: { stage: 'editing', text: 'step 2' } });
    expect((await board.report('r1', { stage: 'rendering', text: '' })).queueJob).toBe(true);
  });

  it('gives nothing to take once the newest status is on screen', async () => {
    await board.report('r1', { stage: 'editing', text: 'step 1' });
    const taken = await board.take('r1');
    await board.shown('r1', taken?.seq ?? 0);
    expect(await board.take('r1')).toBeUndefined();
  });

  it('keeps a worker’s status over the bot’s late “queued”', async () => {
    await board.report('r1', { stage: 'downloading', text: '' });
    await board.report('r1', { stage: 'editing', text: 'step 1' });
    expect(
      await board.report('r1', { stage: 'queued', text: '', queuePosition: 1 }, { onlyBeforeStart: true }),
    ).toEqual({
      seq: 0,
      queueJob: false,
    });
    expect((await board.take('r1'))?.status.stage).toBe('editing');
  });

  it('takes the bot’s position while no worker has started', async () => {
    await board.report('r1', { stage: 'downloading', text: '' });
    await board.report('r1', { stage: 'queued', text: '', queuePosition: 3 }, { onlyBeforeStart: true });
    expect((await board.take('r1'))?.status).toEqual({ stage: 'queued', text: '', queuePosition: 3 });
  });

  it('lets nothing reopen a request once a final status was reported or it ended', async () => {
    await board.report('r1', { stage: 'cancelled', text: 'Cancelled.' });
    expect(await board.isFinal('r1')).toBe(true);
    expect((await board.report('r1', { stage: 'editing', text: 'late' })).seq).toBe(0);
    expect((await board.take('r1'))?.status.stage).toBe('cancelled');

    await board.report('r2', { stage: 'rendering', text: '' });
    await board.end('r2', 'done');
    expect(await board.take('r2')).toBeUndefined();
    expect((await board.report('r2', { stage: 'queued', text: '' })).seq).toBe(0);
    expect(await board.record('r2')).toEqual({ ended: 'done' });
  });

  it('remembers the message that shows a request’s status', async () => {
    expect(await board.record('r1')).toEqual({});
    await board.setMessage('r1', 'M1');
    expect(await board.record('r1')).toEqual({ messageId: 'M1' });
  });
});
