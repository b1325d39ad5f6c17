import { expect, it } from 'vitest';
import { sampleTimes } from '../../../src/browser/edit-session.ts';

it('samples at 0, 1, 2 … seconds strictly inside the composition', () => {
  expect(sampleTimes(5, 1)).toEqual([0, 1, 2, 3, 4]);
  expect(sampleTimes(4.5, 1)).toEqual([0, 1, 2, 3, 4]);
  expect(sampleTimes(0.4, 1)).toEqual([0]);
  expect(sampleTimes(1, 2)).toEqual([0, 0.5]);
});
