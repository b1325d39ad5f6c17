/**
 * @module Names what a file is by its first bytes, so a refusal can say "a ZIP archive" or "a HEIC photo" instead of
 * "damaged". Detection is `file-type`'s (a maintained table of several hundred signatures); only the ZIP password
 * flag, which it does not report, is read here.
 */
import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

export interface SniffedContent {
  /** MIME type by signature; undefined when no signature matched (plain text, raw streams …). */
  mime?: string;
  ext?: string;
  /** What to call it in a sentence, for the kinds people upload by mistake: "a PDF", "a ZIP archive" … */
  label?: string;
  /** A ZIP whose entries need a password. */
  passwordProtected: boolean;
}

/** Signatures some media containers share (ASF is WMV and WMA, MXF is video) read as application/…: only these
 * known non-media kinds are refused by signature, everything else is left to ffprobe. */
const LABELS: Record<string, string> = {
  pdf: 'a PDF',
  zip: 'a ZIP archive',
  rar: 'a RAR archive',
  '7z': 'a 7-Zip archive',
  gz: 'a gzip archive',
  tar: 'a tar archive',
  docx: 'a Word document',
  doc: 'a Word document',
  xlsx: 'a spreadsheet',
  xls: 'a spreadsheet',
  pptx: 'a PowerPoint file',
  ppt: 'a PowerPoint file',
  exe: 'a program',
  elf: 'a program',
  heic: 'a HEIC photo',
  heif: 'a HEIF photo',
  psd: 'a Photoshop file',
};

export async function sniffContent(filePath: string): Promise<SniffedContent> {
  const type = await fileTypeFromFile(filePath).catch(() => undefined);
  if (!type) return { passwordProtected: false };
  return {
    mime: type.mime,
    ext: type.ext,
    label: LABELS[type.ext],
    passwordProtected: type.ext === 'zip' && (await zipIsEncrypted(filePath)),
  };
}

/** Bit 0 of the first local header's flags marks an encrypted entry (APPNOTE 4.4.4). */
async function zipIsEncrypted(filePath: string): Promise<boolean> {
  const handle = await open(filePath, 'r');
  try {
    const header = Buffer.alloc(8);
    const { bytesRead } = await handle.read(header, 0, 8, 0);
    return bytesRead === 8 && header.readUInt32LE(0) === 0x04034b50 && (header.readUInt16LE(6) & 1) === 1;
  } finally {
    await handle.close();
  }
}
