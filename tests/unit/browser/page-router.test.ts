import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/browser/page-router.ts';

describe('parseRange', () => {
  it('reads a closed range', () => expect(parseRange('bytes=0-99', 1000)).toEqual([0, 99]));
  it('reads an open-ended range', () => expect(parseRange('bytes=900-', 1000)).toEqual([900, 999]));
  it('reads a suffix range', () => expect(parseRange('bytes=-100', 1000)).toEqual([900, 999]));
  it('clamps an end past the file', () => expect(parseRange('bytes=990-5000', 1000)).toEqual([990, 999]));
  it('is undefined without a header', () => expect(parseRange(undefined, 1000)).toBeUndefined());
  it('rejects a start past the end of the file', () =>
    expect(parseRange('bytes=1000-', 1000)).toBe('invalid'));
  it('rejects malformed and multi-part ranges', () => {
    expect(parseRange('bytes=a-b', 1000)).toBe('invalid');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBe('invalid');
  });
});
