/**
 * @module Finds DRM in an MP4/MOV by its boxes: encrypted sample entries (Common Encryption `encv`/`enca`,
 * FairPlay `drmi`/`drms`) or a `pssh` licence box.
 *
 * Neither ffprobe (it reports the codec under the encryption) nor the tail decode (it only sees noise) says why such
 * a file cannot be used, so the user would be told it is damaged. Only the index is read, never the media data.
 */
import { open } from 'node:fs/promises';

type FileHandle = Awaited<ReturnType<typeof open>>;

/** Boxes whose payload is a list of boxes, on the way from `moov` to the sample entries. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
const PROTECTED_ENTRIES = new Set(['encv', 'enca', 'drmi', 'drms']);
/** A `moov` larger than this is not an index a phone or editor writes; reading it is not worth the memory. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** Whether an ISO-BMFF file (MP4, MOV, M4A, 3GP) carries encrypted tracks. Other containers answer false. */
export async function findProtection(filePath: string): Promise<boolean> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const moov = await findTopLevel(handle, size, 'moov');
    if (!moov || moov.size > MAX_INDEX_BYTES) return false;
    const payload = Buffer.alloc(moov.size);
    await handle.read(payload, 0, moov.size, moov.offset);
    return containsProtection(payload, 0, payload.length);
  } finally {
    await handle.close();
  }
}

async function findTopLevel(
  handle: FileHandle,
  fileSize: number,
  type: string,
): Promise<{ offset: number; size: number } | undefined> {
  const header = Buffer.alloc(16);
  let offset = 0;
  while (offset + 8 <= fileSize) {
    await handle.read(header, 0, 16, offset);
    const box = boxAt(header, 0, fileSize - offset);
    if (!box) return undefined;
    if (offset === 0 && !/^[\x20-\x7e]{4}$/.test(box.type)) return undefined;
    if (box.type === type) {
      return {
        offset: offset + box.headerSize,
        size: Math.min(box.size, fileSize - offset) - box.headerSize,
      };
    }
    offset += box.size;
  }
  return undefined;
}

function containsProtection(buffer: Buffer, start: number, end: number): boolean {
  let offset = start;
  while (offset + 8 <= end) {
    const box = boxAt(buffer, offset, end - offset);
    if (!box) return false;
    const bodyStart = offset + box.headerSize;
    const bodyEnd = offset + box.size;
    if (box.type === 'pssh') return true;
    if (CONTAINERS.has(box.type) && containsProtection(buffer, bodyStart, bodyEnd)) return true;
    // stsd: version/flags and an entry count, then one sample entry box per codec configuration.
    if (box.type === 'stsd' && sampleEntriesProtected(buffer, bodyStart + 8, bodyEnd)) return true;
    offset = bodyEnd;
  }
  return false;
}

function sampleEntriesProtected(buffer: Buffer, start: number, end: number): boolean {
  let offset = start;
  while (offset + 8 <= end) {
    const box = boxAt(buffer, offset, end - offset);
    if (!box) return false;
    if (PROTECTED_ENTRIES.has(box.type)) return true;
    offset += box.size;
  }
  return false;
}

/** The box header at `offset`: 32-bit size (1: a 64-bit size follows; 0: to the end) and a four-letter type. */
function boxAt(
  buffer: Buffer,
  offset: number,
  available: number,
): { type: string; size: number; headerSize: number } | undefined {
  if (offset + 8 > buffer.length) return undefined;
  let size = buffer.readUInt32BE(offset);
  const type = buffer.toString('latin1', offset + 4, offset + 8);
  let headerSize = 8;
  if (size === 1) {
    if (offset + 16 > buffer.length) return undefined;
    size = Number(buffer.readBigUInt64BE(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = available;
  }
  if (size < headerSize || size > available) return undefined;
  return { type, size, headerSize };
}
