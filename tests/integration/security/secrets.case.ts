/**
 * @module The secret suite, run against a local Chromium and a browser-server: with a known licence key configured,
 * code actions try every way we know to read it (properties, globals, hooks on the functions core's licence check
 * uses, a look-alike composition, callbacks that run during the render) and to carry it out through their result,
 * the log, the model's messages and the rendered frames. None of them may hold the key.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageEditSession } from '../../../src/browser/edit-session.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { LoadableAsset } from '../../../src/browser/types.ts';
import { averageColour, MediaFixtures } from '../../helpers/media-fixtures.ts';
import { type BrowserKind, type BrowserUnderTest, openBrowser } from './browser-under-test.ts';

const run = promisify(execFile);

/** Shaped like a real key (payload.signature); core rejects it, which changes nothing about where it travels. */
export const KNOWN_KEY =
  'eyJzdWIiOiJjdXRyb29tLXNlY3JldC1zdWl0ZSJ9.MEUCIQCutroomSecretSuiteSignatureThatMustNeverLeak';
const KEY_PARTS = KNOWN_KEY.split('.');

/** Reads the key every direct way, and reports what it found. */
const READ_DIRECTLY = `
const found = [];
const look = (where, value) => { try { const text = typeof value === 'string' ? value : JSON.stringify(value); if (text && text.length > 10) found.push(where + '=' + text.slice(0, 200)); } catch {} };
look('composition.licenseKey', composition.licenseKey);
look('new Composition().licenseKey', new core.Composition().licenseKey);
look('original Composition', new (Object.getPrototypeOf(core.Composition))().licenseKey);
look('own properties', Object.getOwnPropertyNames(composition).map((k) => { try { return typeof composition[k] === 'string' ? composition[k] : ''; } catch { return ''; } }).join('|'));
for (const name of Object.getOwnPropertyNames(window)) { try { const v = window[name]; if (typeof v === 'string' && v.includes('.')) look('window.' + name, v); } catch {} }
look('__cutroom', Object.keys(window.__cutroom));
look('localStorage', Object.entries(localStorage));
look('document', document.documentElement.outerHTML.length > 0 ? document.cookie : '');
console.log('found: ' + found.filter((f) => !f.startsWith('__cutroom') && !f.startsWith('own properties=|')).join(' ; '));
`;

/**
 * Hooks everything core's licence check touches and leaves callbacks that run during the render, all writing into
 * a stash a later action reads; a red rectangle in the frame signals that the stash held anything at render time.
 */
const HOOK_EVERYTHING = `
window.stash = [];
const keep = (where, value) => { try { window.stash.push(where + ':' + String(value)); } catch {} };
const attempts = {};
const attempt = (name, fn) => { try { fn(); attempts[name] = 'installed'; } catch (error) { attempts[name] = 'refused'; } };
attempt('String.prototype.split', () => { 'use strict'; const split = String.prototype.split; String.prototype.split = function (...a) { keep('split', this); return split.apply(this, a); }; });
attempt('Symbol.split on Object.prototype', () => { 'use strict'; Object.prototype[Symbol.split] = function (s) { keep('Symbol.split', s); return [s]; }; });
attempt('JSON.parse', () => { 'use strict'; const parse = JSON.parse; JSON.parse = (t) => { keep('JSON.parse', t); return parse(t); }; });
attempt('window.JSON', () => { 'use strict'; window.JSON = { parse: (t) => { keep('window.JSON', t); return {}; }, stringify: () => '' }; if (window.JSON.stringify !== JSON.stringify) throw 0; });
attempt('window.atob', () => { 'use strict'; const a = window.atob; window.atob = (t) => { keep('atob', t); return a(t); }; if (!String(window.atob).includes('keep')) throw 0; });
attempt('TextEncoder.prototype.encode', () => { 'use strict'; const e = TextEncoder.prototype.encode; TextEncoder.prototype.encode = function (t) { keep('encode', t); return e.call(this, t); }; });
attempt('window.TextEncoder', () => { 'use strict'; window.TextEncoder = class { encode(t) { keep('TextEncoder', t); return new Uint8Array(); } }; if (!String(window.TextEncoder).includes('keep')) throw 0; });
attempt('crypto.subtle.verify', () => { 'use strict'; const s = crypto.subtle; const v = s.verify; s.verify = (...a) => { keep('verify', a); return v.apply(s, a); }; if (!String(crypto.subtle.verify).includes('keep')) throw 0; });
attempt('SubtleCrypto.prototype.verify', () => { 'use strict'; SubtleCrypto.prototype.verify = () => keep('verify proto', 1); });
attempt('Array iterator', () => { 'use strict'; const it = Array.prototype[Symbol.iterator]; Array.prototype[Symbol.iterator] = function () { keep('iterator', this.join('.')); return it.call(this); }; });
attempt('Uint8Array', () => { 'use strict'; window.Uint8Array = function (x) { keep('Uint8Array', x); }; if (!String(window.Uint8Array).includes('keep')) throw 0; });
attempt('Encoder.prototype.render', () => { 'use strict'; core.Encoder.prototype.render = function () { keep('render', this.composition.licenseKey); }; });
attempt('licenseKey setter on Object.prototype', () => { 'use strict'; Object.defineProperty(Object.prototype, 'licenseKey', { set(v) { keep('proto setter', v); }, get() { return null; }, configurable: true }); });
attempt('licenseKey accessor on the composition', () => { 'use strict'; Object.defineProperty(composition, 'licenseKey', { get() { keep('own getter', 'read'); return null; }, set(v) { keep('own setter', v); }, configurable: true }); });
console.log(JSON.stringify(attempts));
const layer = await composition.add(new core.Layer());
await layer.add(new core.VideoClip(assets[0].source, { range: [0, 1] }));
const shapes = await composition.add(new core.Layer());
const signal = new core.RectangleClip({ x: 0, y: 0, width: '100%', height: '100%', fill: '#000000', opacity: 0, duration: 1 });
// Runs on every rendered frame: reads the key wherever it could be, and shows red when anything was caught.
const update = signal.update;
signal.update = function (...args) {
  keep('during render', composition.licenseKey);
  keep('during render (layer)', this.layer && this.layer.composition && this.layer.composition.licenseKey);
  if (window.stash.some((s) => s.includes('${KEY_PARTS[1].slice(0, 12)}') || s.includes('${KEY_PARTS[0].slice(0, 12)}'))) { this.fill = '#ff0000'; this.opacity = 1; }
  return update.apply(this, args);
};
await shapes.add(signal);
`;

export function secretSuite(kind: BrowserKind): void {
  describe(`the licence key stays out of reach (${kind})`, () => {
    let browser: BrowserUnderTest;
    let fixtures: MediaFixtures;
    let clip: LoadableAsset;
    let out: string;

    beforeAll(async () => {
      fixtures = await MediaFixtures.create();
      out = await mkdtemp(path.join(tmpdir(), 'cutroom-secrets-'));
      clip = await localAsset(await fixtures.clip('clip.mp4', { seconds: 2, audio: false }));
      browser = await openBrowser(kind, { licenseKey: KNOWN_KEY });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await fixtures?.close();
      await rm(out, { recursive: true, force: true });
    });

    async function session(): Promise<PageEditSession> {
      const s = await browser.pool.acquire();
      await s.loadAssets([clip]);
      return s;
    }

    it('lets no code action read it: not from the composition, core, the globals or the operator', async () => {
      const s = await session();
      try {
        const result = await s.runCode(READ_DIRECTLY);
        expect(result.ok).toBe(true);
        expect(result.logs[0]).toMatch(/^found: /);
        for (const part of KEY_PARTS) expect(JSON.stringify(result)).not.toContain(part);
      } finally {
        await s.release();
      }
    });

    it('keeps it out of reach of hooks and render-time callbacks: nothing caught, nothing in the frames', async () => {
      const s = await session();
      try {
        const hooked = await s.runCode(HOOK_EVERYTHING);
        expect(hooked.error).toBeUndefined();
        const attempts = JSON.parse(hooked.logs[0]) as Record<string, string>;
        // Every hook on the licence check's path is refused: intrinsics, Web APIs and core's Encoder are frozen.
        expect(Object.entries(attempts).filter(([, outcome]) => outcome !== 'refused')).toEqual([
          ['licenseKey accessor on the composition', 'installed'],
        ]);
        const file = path.join(out, `${kind}.mp4`);
        await s.render({ outPath: file });
        const after = await s.runCode('console.log(JSON.stringify(window.stash));');
        // The render-time callback did run on the rendered frames, and caught nothing.
        expect(after.logs[0]).toContain('during render:null');
        const everything = JSON.stringify([hooked, after]);
        for (const part of KEY_PARTS) expect(everything).not.toContain(part);
        const frame = path.join(out, `${kind}.png`);
        await run('ffmpeg', ['-v', 'error', '-y', '-ss', '0.5', '-i', file, '-frames:v', '1', frame]);
        const [red, green, blue] = await averageColour(frame);
        expect(red - Math.max(green, blue), 'the red signal frame').toBeLessThan(100);
      } finally {
        await s.release();
      }
    });

    it('never writes it to a log line, even at the most verbose level', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const logger = pino({ level: 'trace' }, sink);
      const logged = await openBrowser(kind, { licenseKey: KNOWN_KEY, logger });
      try {
        const s = await logged.pool.acquire();
        await s.loadAssets([clip]);
        await s.runCode(
          `const l = await composition.add(new core.Layer()); await l.add(new core.VideoClip(assets[0].source, { range: [0, 1] }));`,
        );
        await s.render({ outPath: path.join(out, `${kind}-logged.mp4`) });
        await s.release();
      } finally {
        await logged.close();
      }
      expect(lines.length).toBeGreaterThan(0);
      for (const part of KEY_PARTS) expect(lines.join('\n')).not.toContain(part);
    });
  });
}
