/**
 * @module A WritableStream for mediabunny's StreamTarget that POSTs the file's bytes to Node in large batches.
 *
 * The MP4 muxer writes one small piece per sample, in order, then patches a few header bytes at the end. Each
 * POST costs a round trip through request interception, so contiguous writes are batched up to `batchBytes`.
 */

interface WriteChunk {
  type: 'write';
  data: Uint8Array;
  position: number;
}

export function createUploadStream(
  uploadUrl: string,
  batchBytes = 4 * 1024 * 1024,
): WritableStream<WriteChunk> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let pendingStart = 0;

  async function flush(): Promise<void> {
    if (pendingBytes === 0) return;
    const body = new Uint8Array(pendingBytes);
    let offset = 0;
    for (const part of pending) {
      body.set(part, offset);
      offset += part.byteLength;
    }
    const position = pendingStart;
    pending = [];
    pendingBytes = 0;
    const response = await fetch(`${uploadUrl}?position=${position}`, { method: 'POST', body });
    if (!response.ok) throw new Error(`upload of ${body.byteLength} bytes failed: HTTP ${response.status}`);
  }

  return new WritableStream<WriteChunk>({
    async write(chunk) {
      if (pendingBytes > 0 && chunk.position !== pendingStart + pendingBytes) await flush();
      if (pendingBytes === 0) pendingStart = chunk.position;
      // The muxer may reuse its buffer after the write resolves: keep a copy.
      pending.push(chunk.data.slice());
      pendingBytes += chunk.data.byteLength;
      if (pendingBytes >= batchBytes) await flush();
    },
    close: flush,
  });
}
