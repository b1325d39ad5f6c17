/** @module Finds the Chromium binary: CHROMIUM_PATH, else the usual names on PATH. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CutroomError, ErrorCode } from '../errors.ts';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(configured?: string, envPath = process.env.PATH ?? ''): string {
  if (configured) {
    if (isExecutable(configured)) return configured;
    throw new CutroomError(
      ErrorCode.BrowserLaunchFailed,
      `CHROMIUM_PATH is not an executable file, got "${configured}"`,
    );
  }
  for (const name of CANDIDATES) {
    for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new CutroomError(
    ErrorCode.BrowserLaunchFailed,
    `no Chromium found on PATH (looked for ${CANDIDATES.join(', ')}); run \`npm run setup\` or set CHROMIUM_PATH`,
    { userMessage: 'The editing browser is not available on the server.' },
  );
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
