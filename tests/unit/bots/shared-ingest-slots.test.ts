import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { type IncomingFile, ingestAttachments } from '../../../src/bots/shared/ingest-attachments.ts';
import { IngestSlots } from '../../../src/bots/shared/ingest-slots.ts';
import { ArtifactStore } from '../../../src/queue/artifact-store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'cutroom-slots-'));
afterEach(() => rmSync(root, { recursive: true, force: true }));

it('downloads no more attachments at once across all requests than the process-wide limit', async () => {
  const limits = { maxAssetBytes: 1024, maxAssetSeconds: 60, maxAssets: 2, maxConcurrentIngests: 2 };
  const store = new ArtifactStore({ root });
  let open = 0;
  let most = 0;
  const file = (name: string): IncomingFile => ({
    name,
    mimeType: 'video/mp4',
    async open() {
      open += 1;
      most = Math.max(most, open);
      await sleep(50);
      open -= 1;
      return Readable.from([Buffer.alloc(16)]);
    },
  });
  const requests = Array.from({ length: 5 }, (_, i) =>
    ingestAttachments({ files: [file(`${i}.mp4`)], store, limits, requestId: `r${i}` }).catch(
      () => undefined,
    ),
  );
  await Promise.all(requests);
  expect(most).toBe(2);
});

it('lets a waiting ingest leave the line when its request is cancelled', async () => {
  const slots = new IngestSlots(1);
  let release!: () => void;
  const busy = slots.run(() => new Promise<void>((resolve) => (release = resolve)));
  const controller = new AbortController();
  const waiting = slots.run(async () => 'ran', controller.signal);
  controller.abort(new Error('cancelled'));
  await expect(waiting).rejects.toThrow('cancelled');
  release();
  await busy;
  expect(await slots.run(async () => 'next')).toBe('next');
  expect(slots.inUse).toBe(0);
});
