import { describe, expect, it } from 'vitest';
import { refuseClientMessage } from '../../../src/browser/session-policy.ts';

const message = (method: string, params: unknown = {}) => ({ id: 'a@1', guid: 'x@1', method, params });

describe('browser-server session policy', () => {
  it('lets the calls a worker makes pass', () => {
    for (const [method, params] of [
      ['newContext', { serviceWorkers: 'block', acceptDownloads: 'accept' }],
      ['goto', { url: 'http://cutroom.localhost/', waitUntil: 'load' }],
      ['goto', { url: 'about:blank' }],
      ['evaluateExpression', { expression: '() => 1', arg: { value: { s: 'file:///etc/passwd' } } }],
      ['fulfill', { response: { status: 200, body: 'aGk=', isBase64: true } }],
      ['saveAsStream', {}],
    ] as const) {
      expect(refuseClientMessage(message(method, params)), method).toBeUndefined();
    }
  });

  it('refuses saving an artifact to a path on the server', () => {
    expect(refuseClientMessage(message('saveAs', { path: '/root/.ssh/authorized_keys' }))).toMatch(
      /saveAs is not allowed/,
    );
  });

  it('refuses raw DevTools, tracing, HAR, server-side fetches and launching processes', () => {
    for (const method of [
      'newCDPSession',
      'newBrowserCDPSession',
      'tracingStart',
      'harOpen',
      'zip',
      'fetch',
      'connect',
      'launch',
    ]) {
      expect(refuseClientMessage(message(method)), method).toMatch(/is not allowed/);
    }
  });

  it('refuses options that name server paths or a proxy, however deep', () => {
    expect(refuseClientMessage(message('setInputFiles', { localDirectory: '/etc' }))).toMatch(
      /localDirectory/,
    );
    expect(refuseClientMessage(message('newContext', { recordVideo: { dir: '/tmp' } }))).toMatch(
      /recordVideo/,
    );
    expect(refuseClientMessage(message('newContext', { options: { proxy: { server: 'x' } } }))).toMatch(
      /proxy/,
    );
  });

  it('refuses local and browser-internal schemes in any url', () => {
    for (const url of [
      'file:///etc/hostname',
      'chrome://version',
      'devtools://devtools',
      'view-source:http://a/',
      'about:version',
      'javascript:alert(1)',
    ]) {
      expect(refuseClientMessage(message('goto', { url })), url).toMatch(/URLs are not allowed/);
    }
  });

  it('refuses what is not a protocol message', () => {
    expect(refuseClientMessage('hello')).toBe('not a protocol message');
  });
});
