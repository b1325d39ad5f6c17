// Redis-only suite: /healthz pings a real redis-server, and the dashboard reads real BullMQ queues.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { HttpServer } from '../../../src/http/http-server.ts';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';
import { makeRequest, uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('HttpServer', () => {
  let redis: TestRedis;
  let connection: Redis;
  let queue: EditQueue;
  let server: HttpServer | undefined;

  const startServer = async (dashboardToken?: string, metricsToken?: string) => {
    server = new HttpServer({
      port: 0,
      redis: connection,
      queues: [queue.queue],
      dashboardToken,
      metricsToken,
      healthTimeoutMs: 500,
    });
    const port = await server.start();
    return `http://127.0.0.1:${port}`;
  };

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    queue = new EditQueue({ connection, prefix: uniquePrefix() });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await queue.close();
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('reports healthy with queue depths while Redis answers, and 503 when it is gone', async () => {
    const base = await startServer();
    await queue.enqueue(makeRequest());
    const ok = await fetch(`${base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', redis: 'ok', queues: { edits: 1 } });

    await redis.stop();
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable' });
    await redis.restart();
  });

  it('serves Prometheus metrics, with the tokens of the LLM calls made in this process', async () => {
    const base = await startServer();
    const llm = await OpenAiFakeServer.start();
    try {
      llm.enqueue(textReply('hi', { usage: { prompt_tokens: 42, completion_tokens: 5 } }));
      await new LlmClient({ baseURL: llm.baseURL, model: 'metrics-model', visionModel: 'v' }).chat({
        messages: [{ role: 'user', content: 'hello' }],
      });
    } finally {
      await llm.close();
    }
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('cutroom_llm_tokens_total{model="metrics-model",kind="prompt"} 42');
    expect(body).toContain('# TYPE cutroom_job_duration_seconds histogram');
  });

  it('guards the dashboard with the bearer token and keeps it off without one', async () => {
    const base = await startServer('s3cret-token');
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const page = await fetch(`${base}/admin/queues`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(await api.text()).toContain('edits');
    await server?.close();

    const open = await startServer();
    expect(
      (await fetch(`${open}/admin/queues`, { headers: { authorization: 'Bearer s3cret-token' } })).status,
    ).toBe(404);
  });

  it('answers /healthz and /metrics only to this machine, or to a caller with the metrics token', async () => {
    const base = await startServer();
    // A reverse proxy on this machine forwards the world's requests from loopback: its header gives it away.
    const proxied = { 'x-forwarded-for': '203.0.113.9' };
    expect((await fetch(`${base}/healthz`, { headers: proxied })).status).toBe(403);
    expect((await fetch(`${base}/metrics`, { headers: proxied })).status).toBe(403);
    await server?.close();

    const withToken = await startServer(undefined, 'scrape-token');
    expect((await fetch(`${withToken}/metrics`, { headers: proxied })).status).toBe(403);
    const scraped = await fetch(`${withToken}/metrics`, {
      headers: { ...proxied, authorization: 'Bearer scrape-token' },
    });
    expect(scraped.status).toBe(200);
  });

  it('signs a browser in with a session cookie that holds no token, Secure behind TLS', async () => {
    const base = await startServer('s3cret-token');
    const page = await fetch(`${base}/admin/queues`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/queues/login');
    const form = await fetch(`${base}/admin/queues/login`);
    expect(await form.text()).toContain('name="token"');

    const wrong = await fetch(`${base}/admin/queues/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    const signIn = await fetch(`${base}/admin/queues/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 's3cret-token' }),
      headers: { 'x-forwarded-proto': 'https' },
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).not.toContain('s3cret-token');
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0];
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: session } })).status).toBe(
      200,
    );
    expect(
      (
        await fetch(`${base}/admin/queues/api/queues`, {
          headers: { cookie: 'cutroom_dashboard_session=forged' },
        })
      ).status,
    ).toBe(401);

    const plain = await fetch(`${base}/admin/queues/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 's3cret-token' }),
      redirect: 'manual',
    });
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('refuses the dashboard token in the URL', async () => {
    const base = await startServer('s3cret-token');
    const res = await fetch(`${base}/admin/queues?token=s3cret-token`);
    expect(res.status).toBe(400);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('hands mounted paths to a Node listener with the raw body intact', async () => {
    server = new HttpServer({ port: 0, redis: connection, queues: [] });
    server.mount('/slack/events', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${body}`));
    });
    const port = await server.start();
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'token=x&a=1' });
    expect(await res.text()).toBe('got token=x&a=1');
  });
});
