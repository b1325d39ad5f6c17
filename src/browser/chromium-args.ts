/** @module The Chromium command line cutroom launches with, locally and in `cutroom browser-server`. */

/**
 * Flags for a headless Chromium with no GPU and a closed network: without the background-networking flags Chromium
 * keeps dialling Google's hosts, which a closed network refuses many times a second.
 */
export function chromiumLaunchArgs(options: { gpuFlags?: string[] } = {}): string[] {
  const gpu = options.gpuFlags ?? ['--disable-gpu'];
  return [
    '--no-sandbox',
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
    // WebRTC could reach addresses that request interception never sees.
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  ];
}
