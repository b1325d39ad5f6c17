import { describe, expect, it } from 'vitest';
import { assertAssetCount, assertAssetDuration, assertAssetSize } from '../../../src/queue/asset-limits.ts';

const limits = { maxAssetBytes: 500 * 1024 * 1024, maxAssetSeconds: 600, maxAssets: 8 };

describe('asset limits', () => {
  it('rejects a clip over the size limit with asset_too_large and a plain message', () => {
    expect(() => assertAssetSize({ name: 'big.mov', size: 700 * 1024 * 1024 }, limits)).toThrow(
      expect.objectContaining({
        code: 'asset_too_large',
        userMessage: '"big.mov" is 700 MB; the limit is 500 MB per clip.',
      }),
    );
    expect(() => assertAssetSize({ name: 'ok.mov', size: 500 * 1024 * 1024 }, limits)).not.toThrow();
  });

  it('rejects a clip over the duration limit with asset_too_long', () => {
    expect(() => assertAssetDuration({ name: 'talk.mp4', duration: 3600 }, limits)).toThrow(
      expect.objectContaining({
        code: 'asset_too_long',
        userMessage: '"talk.mp4" is 60 minutes long; the limit is 10 minutes per clip.',
      }),
    );
  });

  it('rejects too many clips in one request', () => {
    expect(() => assertAssetCount(9, limits)).toThrow(
      expect.objectContaining({ userMessage: 'Please attach at most 8 clips per request (you sent 9).' }),
    );
  });
});
