/**
 * @module Locks the operator page down before any code action runs. Generated code is hostile: it may try to reach
 * the network, leave the page, or tamper with the functions the render later uses to check the licence key.
 *
 * - WebRTC, SharedWorker, WebTransport, service workers and media devices are removed from the page's globals (the
 *   browser is also launched so that they could not reach anything: see chromium-args.ts).
 * - Navigations and reloads the page starts are cancelled, and the ways to start one are removed; Node treats any
 *   navigation that still happens as a lost page.
 * - SES `lockdown()` freezes every JavaScript intrinsic (no prototype can be patched), the global names of those
 *   intrinsics and of the Web APIs the licence check uses become read-only, and core's Encoder is frozen, so the
 *   licence check that runs at the start of a render runs only code the page shipped.
 */
import 'ses';
import * as core from '@diffusionstudio/core';
import { removeNetworkGlobals } from './network-globals.ts';

/** Web APIs the licence check in core's Encoder calls by their global names. */
const KEY_PATH_GLOBALS = [
  'crypto',
  'atob',
  'btoa',
  'TextEncoder',
  'TextDecoder',
  'CryptoKey',
  'Crypto',
  'SubtleCrypto',
];
const KEY_PATH_PROTOTYPES = ['Crypto', 'SubtleCrypto', 'TextEncoder', 'TextDecoder', 'CryptoKey'];

export function lockDownPage(): void {
  removeNetworkGlobals();
  guardNavigation();
  lockdown({
    // The page reports code-action errors with their line from the stack; it holds no secret an error could show.
    errorTaming: 'unsafe',
    consoleTaming: 'unsafe',
    // SES's default. 'severe' turns every data property of every prototype into an accessor, which made core's
    // per-frame JavaScript about a fifth slower (warm render 0.52x against 0.43x of ffmpeg medium, bench/engine-bench.ts);
    // the taming only decides which assignments may shadow a frozen property, not what is frozen.
    overrideTaming: 'moderate',
    stackFiltering: 'verbose',
    localeTaming: 'unsafe',
    reporting: 'none',
  });
  harden(core.Encoder);
  freezeGlobals();
}

/**
 * Cancels navigations the page starts (`location = …`, `location.reload()`, form submissions) through the Navigation
 * API, which sees them before they leave; history traversals and `document.open/write` are removed outright.
 */
function guardNavigation(): void {
  // The Navigation API is not in TypeScript's DOM types yet.
  const { navigation, Navigation } = window as unknown as {
    navigation: EventTarget;
    Navigation: { prototype: object };
  };
  navigation.addEventListener('navigate', (event) => {
    // A download is how the render hands its file to Node (and Node drops any other), not a navigation.
    const { cancelable, downloadRequest } = event as Event & { downloadRequest: string | null };
    if (cancelable && downloadRequest === null) event.preventDefault();
  });
  const refuse = (what: string) =>
    function refused(): never {
      throw new Error(`${what} is not allowed in a code action: the editor page must stay loaded`);
    };
  for (const name of ['back', 'forward', 'go', 'pushState', 'replaceState'] as const) {
    Object.defineProperty(History.prototype, name, { value: refuse(`history.${name}()`) });
  }
  for (const name of ['back', 'forward', 'traverseTo', 'navigate', 'reload'] as const) {
    Object.defineProperty(Navigation.prototype, name, { value: refuse(`navigation.${name}()`) });
  }
  for (const name of ['open', 'write', 'writeln'] as const) {
    Object.defineProperty(Document.prototype, name, { value: refuse(`document.${name}()`) });
  }
  Object.defineProperty(window, 'open', {
    value: refuse('window.open()'),
    writable: false,
    configurable: false,
  });
}

/**
 * Makes the global names of the frozen intrinsics and of the licence check's Web APIs read-only: freezing `JSON`
 * does not stop `window.JSON = …`.
 */
function freezeGlobals(): void {
  for (const name of KEY_PATH_PROTOTYPES) {
    const api = (window as unknown as Record<string, { prototype?: object }>)[name];
    if (api?.prototype) Object.freeze(api.prototype);
    if (api) Object.freeze(api);
  }
  for (const name of Object.getOwnPropertyNames(window)) {
    const descriptor = Object.getOwnPropertyDescriptor(window, name);
    if (!descriptor?.configurable) continue;
    const value = 'value' in descriptor ? descriptor.value : undefined;
    const intrinsic =
      (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
      Object.isFrozen(value);
    if (!intrinsic && !KEY_PATH_GLOBALS.includes(name)) continue;
    Object.defineProperty(window, name, {
      value: 'value' in descriptor ? descriptor.value : (window as unknown as Record<string, unknown>)[name],
      writable: false,
      configurable: false,
      enumerable: descriptor.enumerable,
    });
  }
}
