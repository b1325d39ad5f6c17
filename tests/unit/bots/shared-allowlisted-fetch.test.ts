import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowlistedFetch, refuseDownloadUrl } from '../../../src/bots/shared/allowlisted-fetch.ts';

let server: Server;
let port: number;
const seen: { host: string; path: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ host: req.headers.host ?? '', path: req.url ?? '', headers: req.headers });
    if (req.url === '/to-allowed') return res.writeHead(302, { location: '/file' }).end();
    if (req.url === '/to-other-host')
      return res.writeHead(302, { location: `http://localhost:${port}/file` }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    res.end('bytes');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const options = () => ({
  platform: 'slack',
  allowHost: (host: string) => host === '127.0.0.1',
  httpHosts: ['127.0.0.1'],
  headers: { authorization: 'Bearer xoxb-test-token' },
});

describe('allowlisted downloads', () => {
  it('requires https except on hosts configured for plain http', () => {
    const allowHost = (host: string) => host === 'files.slack.com' || host === '127.0.0.1';
    expect(refuseDownloadUrl('http://files.slack.com/f', { allowHost })).toMatch(/not https/);
    expect(refuseDownloadUrl('https://files.slack.com/f', { allowHost })).toBeUndefined();
    expect(refuseDownloadUrl('ftp://files.slack.com/f', { allowHost })).toMatch(/not https/);
    expect(refuseDownloadUrl('http://127.0.0.1/f', { allowHost, httpHosts: ['127.0.0.1'] })).toBeUndefined();
  });

  it('refuses a host off the list before sending anything', async () => {
    seen.length = 0;
    await expect(allowlistedFetch(`http://localhost:${port}/file`, options())).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringContaining('untrusted host localhost'),
    });
    expect(seen).toEqual([]);
  });

  it('follows a redirect that stays on allowed hosts', async () => {
    const response = await allowlistedFetch(`http://127.0.0.1:${port}/to-allowed`, options());
    expect(await response.text()).toBe('bytes');
  });

  it('refuses a redirect to another host, and the token never reaches it', async () => {
    seen.length = 0;
    await expect(allowlistedFetch(`http://127.0.0.1:${port}/to-other-host`, options())).rejects.toMatchObject(
      {
        code: 'download_failed',
      },
    );
    expect(seen.map((s) => s.host)).toEqual([`127.0.0.1:${port}`]);
  });

  it('gives up on a redirect loop', async () => {
    await expect(allowlistedFetch(`http://127.0.0.1:${port}/loop`, options())).rejects.toThrow(
      /too many redirects/,
    );
  });
});
