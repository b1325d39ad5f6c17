import { describe, expect, it } from 'vitest';
import { StatusThrottle } from '../../../src/bots/shared/status-throttle.ts';

describe('StatusThrottle', () => {
  it('applies the first update at once and only the newest of a burst after the interval', async () => {
    const throttle = new StatusThrottle({ intervalMs: 200 });
    const applied: string[] = [];
    const apply = (text: string) => async () => {
      applied.push(text);
    };
    const results = await Promise.all([
      throttle.run('r1', apply('a')),
      throttle.run('r1', apply('b')),
      throttle.run('r1', apply('c')),
    ]);
    expect(applied).toEqual(['a', 'c']);
    expect(results).toEqual([true, false, true]);
  });

  it('never holds back or drops an urgent (final) update', async () => {
    const throttle = new StatusThrottle({ intervalMs: 10_000 });
    const applied: string[] = [];
    await throttle.run('r1', async () => {
      applied.push('editing');
    });
    const final = await throttle.run(
      'r1',
      async () => {
        applied.push('done');
      },
      { urgent: true },
    );
    expect(final).toBe(true);
    expect(applied).toEqual(['editing', 'done']);
  });

  it('keeps keys independent', async () => {
    const throttle = new StatusThrottle({ intervalMs: 10_000 });
    const applied: string[] = [];
    await throttle.run('r1', async () => {
      applied.push('r1');
    });
    await throttle.run('r2', async () => {
      applied.push('r2');
    });
    expect(applied).toEqual(['r1', 'r2']);
  });

  it('passes the update error to its caller and keeps serving the key', async () => {
    const throttle = new StatusThrottle({ intervalMs: 0 });
    await expect(throttle.run('r1', async () => Promise.reject(new Error('slack down')))).rejects.toThrow(
      'slack down',
    );
    await expect(throttle.run('r1', async () => {})).resolves.toBe(true);
  });

  it('stops waiting when the signal aborts', async () => {
    const throttle = new StatusThrottle({ intervalMs: 10_000 });
    await throttle.run('r1', async () => {});
    const controller = new AbortController();
    const waiting = throttle.run('r1', async () => {}, { signal: controller.signal });
    controller.abort(new Error('closing'));
    await expect(waiting).rejects.toThrow('closing');
  });
});
