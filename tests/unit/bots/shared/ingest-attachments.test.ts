import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IncomingFile, ingestAttachments } from '../../../../src/bots/shared/ingest-attachments.ts';
import { CutroomError } from '../../../../src/errors.ts';
import { ArtifactStore } from '../../../../src/queue/artifact-store.ts';

const limits = { maxAssetBytes: 1024, maxAssetSeconds: 60, maxAssets: 2 };

function file(
  name: string,
  fields: Partial<IncomingFile> = {},
  bytes = Buffer.alloc(16),
): IncomingFile & { opened: number } {
  const f = {
    name,
    opened: 0,
    async open() {
      f.opened += 1;
      return Readable.from([bytes]);
    },
    ...fields,
  };
  return f;
}

let root: string;
let store: ArtifactStore;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cutroom-ingest-'));
  store = new ArtifactStore({ root });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

async function failure(files: IncomingFile[]): Promise<CutroomError> {
  const error = await ingestAttachments({
    files,
    store,
    limits,
    thread: { platform: 'slack', channelId: 'C1', threadId: '1.1' },
    requestId: 'slack:Ev1',
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CutroomError);
  return error as CutroomError;
}

describe('ingestAttachments', () => {
  it('refuses a PDF by its declared type before downloading anything', async () => {
    const pdf = file('brief.pdf', { mimeType: 'application/pdf' });
    const error = await failure([pdf]);
    expect(error.code).toBe('asset_unsupported');
    expect(error.userMessage).toMatch(/^"brief\.pdf" is a PDF, not a video, audio or image file/);
    expect(pdf.opened).toBe(0);
  });

  it('refuses too many files and a declared size over the limit before downloading', async () => {
    const many = [file('a.mp4'), file('b.mp4'), file('c.mp4')];
    expect((await failure(many)).userMessage).toMatch(/at most 2 clips/);
    const big = file('big.mp4', { mimeType: 'video/mp4', size: 4096 });
    expect((await failure([big])).code).toBe('asset_too_large');
    expect([...many, big].every((f) => f.opened === 0)).toBe(true);
  });

  it('stops a download that passes the limit and leaves nothing in the store', async () => {
    const liar = file('liar.mp4', { mimeType: 'video/mp4', size: 10 }, Buffer.alloc(4096));
    const error = await failure([liar]);
    expect(error.code).toBe('asset_too_large');
    expect(readdirSync(root, { recursive: true }).filter((p) => String(p).includes('.mp4'))).toEqual([]);
  });

  it('lets an untyped file through to the probe, which rejects bytes that are not media', async () => {
    const error = await failure([
      file('mystery', { mimeType: 'application/octet-stream' }, Buffer.from('hello')),
    ]);
    expect(error.code).toBe('asset_corrupt');
    expect(error.userMessage).toContain('"mystery"');
  });

  it('reports a download failure from open() as is', async () => {
    const broken = file('clip.mp4', {
      mimeType: 'video/mp4',
      open: async () => {
        throw new CutroomError('missing_scope', 'html page', { userMessage: 'add files:read' });
      },
    });
    expect((await failure([broken])).userMessage).toBe('add files:read');
  });
});
