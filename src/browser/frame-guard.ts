/**
 * @module Removes WebRTC and the other network-capable globals from every document of a context before its own
 * scripts run, frames included: the operator page removes them from itself (operator-ui page-lockdown.ts), but a
 * frame a code action makes gets a fresh window with its own copies.
 */
import type { BrowserContext } from 'playwright-core';
import { removeNetworkGlobals } from '../../operator-ui/src/network-globals.ts';

export async function installFrameGuard(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: `(${removeNetworkGlobals.toString()})();` });
}
