import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SerialByKey } from '../../src/serial-by-key.ts';

describe('SerialByKey', () => {
  it('runs the tasks of one key in the order given, even when an earlier one is slower', async () => {
    const lanes = new SerialByKey();
    const order: string[] = [];
    await Promise.all([
      lanes.run('a', async () => {
        await sleep(50);
        order.push('a1');
      }),
      lanes.run('a', async () => {
        order.push('a2');
      }),
    ]);
    expect(order).toEqual(['a1', 'a2']);
  });

  it('does not make one key wait for another', async () => {
    const lanes = new SerialByKey();
    const order: string[] = [];
    const slow = lanes.run('a', async () => {
      await sleep(100);
      order.push('a');
    });
    await lanes.run('b', async () => {
      order.push('b');
    });
    await slow;
    expect(order).toEqual(['b', 'a']);
  });

  it('gives a task’s error to its caller and still runs the next task of the key', async () => {
    const lanes = new SerialByKey();
    const failing = lanes.run('a', async () => {
      throw new Error('post failed');
    });
    const next = lanes.run('a', async () => 'posted');
    await expect(failing).rejects.toThrow('post failed');
    await expect(next).resolves.toBe('posted');
  });
});
