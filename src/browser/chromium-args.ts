/** @module The Chromium command line cutroom launches with, locally and in `cutroom browser-server`. */

/**
 * Every request the browser itself would send goes to this proxy, where nothing listens. Port 9 is privileged, so no
 * unprivileged process on the machine can listen there and pose as the proxy.
 */
export const DEAD_PROXY = 'http://127.0.0.1:9';

export interface ChromiumArgsOptions {
  /** Replaces `--disable-gpu` (see gpu.ts). */
  gpuFlags?: string[];
  /** The page's JavaScript heap limit; beyond it the page's renderer ends (out of memory). */
  jsHeapMb?: number;
}

/**
 * Flags for a headless Chromium with no network path of its own. The page's requests are answered by request
 * interception (page-router.ts) before they reach the network stack; whatever interception cannot see (WebRTC, DNS
 * prefetch, the browser's own services) meets a proxy that does not exist, no exception (not even loopback), a
 * resolver that resolves no name, and WebRTC that may only use the proxy.
 */
export function chromiumLaunchArgs(options: ChromiumArgsOptions = {}): string[] {
  const gpu = options.gpuFlags ?? ['--disable-gpu'];
  return [
    ...gpu,
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--mute-audio',
    '--autoplay-policy=no-user-gesture-required',
    `--proxy-server=${DEAD_PROXY}`,
    // `<-loopback>` removes Chromium's implicit bypass of localhost and 127.0.0.1.
    '--proxy-bypass-list=<-loopback>',
    '--host-resolver-rules=MAP * ~NOTFOUND',
    // WebRTC may only use the proxy: no UDP, no host candidates, and TURN over TCP meets the dead proxy.
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
    ...(options.jsHeapMb ? [`--js-flags=--max-old-space-size=${options.jsHeapMb}`] : []),
  ];
}
