/**
 * @module Removes WebRTC and the other network-capable globals from the global object it runs in. Self-contained
 * (no imports, nothing from outside its body): Node also sends its source to every frame as an init script
 * (src/browser/frame-guard.ts).
 */
export function removeNetworkGlobals(): void {
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
