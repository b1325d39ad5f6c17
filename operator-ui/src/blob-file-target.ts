/**
 * @module The MP4 core writes, gathered into a Blob in the page and handed to Node as a browser download.
 *
 * Bytes POSTed through request interception cross the DevTools protocol as base64: about 0.5 s per MB on the
 * reference machine, more than encoding the video. A Blob download is written to disk by the browser itself (and
 * streamed by Playwright when the browser is remote), and the Blob's bytes live in the browser's blob storage, not
 * in the page's heap. Muxer writes are sequential apart from a few header patches at the end; both are applied by
 * slicing Blobs, which shares their bytes instead of copying them.
 */

interface WriteChunk {
  type: 'write';
  data: Uint8Array;
  position: number;
}

/** Contiguous writes are gathered in page memory up to this size before they move into the Blob. */
const GATHER_BYTES = 4 * 1024 * 1024;

export class BlobFileTarget {
  readonly writable: WritableStream<WriteChunk>;
  private file = new Blob([]);
  private gathered: Uint8Array<ArrayBuffer>[] = [];
  private gatheredStart = 0;
  private gatheredBytes = 0;

  constructor() {
    this.writable = new WritableStream<WriteChunk>({
      write: (chunk) => this.write(chunk),
      close: () => this.settle(),
    });
  }

  /** Offers the finished file as a download named `fileName`, then waits for Node to confirm it has saved it. */
  async deliver(fileName: string, savedUrl: string): Promise<void> {
    this.settle();
    const url = URL.createObjectURL(new Blob([this.file], { type: 'video/mp4' }));
    try {
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.click();
      const response = await fetch(savedUrl, { method: 'POST' });
      if (!response.ok)
        throw new Error(`the rendered file did not reach the worker: ${await response.text()}`);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  private write(chunk: WriteChunk): void {
    if (this.gatheredBytes > 0 && chunk.position !== this.gatheredStart + this.gatheredBytes) this.settle();
    if (this.gatheredBytes === 0) this.gatheredStart = chunk.position;
    // The muxer may reuse its buffer once the write returns: keep a copy.
    this.gathered.push(chunk.data.slice());
    this.gatheredBytes += chunk.data.byteLength;
    if (this.gatheredBytes >= GATHER_BYTES) this.settle();
  }

  /** Moves the gathered bytes into the file at their position. */
  private settle(): void {
    if (this.gatheredBytes === 0) return;
    const data = new Blob(this.gathered);
    const position = this.gatheredStart;
    const file = this.file;
    const parts: BlobPart[] = [file.slice(0, Math.min(position, file.size))];
    if (position > file.size) parts.push(new Uint8Array(position - file.size));
    parts.push(data);
    if (position + data.size < file.size) parts.push(file.slice(position + data.size));
    this.file = new Blob(parts);
    this.gathered = [];
    this.gatheredBytes = 0;
  }
}
