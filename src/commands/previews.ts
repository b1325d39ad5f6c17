/** @module Writes sampled preview frames and their contact sheet to a directory, for the CLI commands. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SampleResult } from '../browser/types.ts';

/** Writes `frame-<n>-<time>.jpg` files and `sheet.jpg`; returns the sheet's path. */
export async function writePreviews(dir: string, sample: SampleResult, prefix = ''): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [i, frame] of sample.frames.entries()) {
    const name = `${prefix}frame-${String(i + 1).padStart(3, '0')}-${frame.time.toFixed(2)}s.jpg`;
    await writeFile(path.join(dir, name), frame.jpeg);
  }
  const sheet = path.join(dir, `${prefix}sheet.jpg`);
  await writeFile(sheet, sample.sheet);
  return sheet;
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(2)} s`;
}
