/**
 * @module Removes WebRTC and the other network-capable globals from every document of a context before its own
 * scripts run, frames included: the operator page removes them from itself (operator-ui page-lockdown.ts), but a
 * frame a code action makes gets a fresh window with its own copies.
 */
import type { BrowserContext } from 'playwright-core';

function removeNetworkGlobals(): void {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^(webkit)?RTC|^(SharedWorker|WebTransport|WebTransportError)$/.test(name)) {
      Reflect.deleteProperty(globalThis, name);
    }
  }
  if (typeof navigator !== 'undefined') {
    const prototype = Object.getPrototypeOf(navigator) as object;
    for (const name of ['serviceWorker', 'mediaDevices', 'getUserMedia', 'webkitGetUserMedia']) {
      Reflect.deleteProperty(prototype, name);
    }
  }
}

export async function installFrameGuard(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: `(${removeNetworkGlobals.toString()})();` });
}
