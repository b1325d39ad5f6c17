import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { CutroomError } from '../../../src/errors.ts';
import { metrics } from '../../../src/http/metrics.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';

async function counted(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const match = metric.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return match?.value ?? 0;
}

const messages = [{ role: 'user' as const, content: 'hi' }];

async function failure(promise: Promise<unknown>): Promise<CutroomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CutroomError);
  return error as CutroomError;
}

describe('LlmClient against an OpenAI-compatible server', () => {
  let fake: OpenAiFakeServer;
  afterEach(async () => {
    await fake?.close();
  });

  function client(options: Partial<ConstructorParameters<typeof LlmClient>[0]> = {}) {
    return new LlmClient({
      apiKey: 'sk-good',
      baseURL: fake.baseURL,
      model: 'agent',
      visionModel: 'vision',
      maxRetries: 2,
      ...options,
    });
  }

  it('returns the message and the usage the server reports', async () => {
    fake = await OpenAiFakeServer.start({ apiKey: 'sk-good' });
    fake.enqueue(textReply('hello', { usage: { prompt_tokens: 12, completion_tokens: 3 } }));
    const result = await client().chat({ messages });
    expect(result.message.content).toBe('hello');
    expect(result.usage).toEqual({ promptTokens: 12, completionTokens: 3 });
    expect(fake.chatRequests[0].model).toBe('agent');
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    fake = await OpenAiFakeServer.start();
    fake.failNext({ status: 429 }).failNext({ status: 503 }).enqueue(textReply('ok'));
    expect((await client().chat({ messages })).message.content).toBe('ok');
    expect(fake.requests.map((r) => r.status)).toEqual([429, 503, 200]);
  });

  it('gives llm_unavailable, retryable, once the retries are spent', async () => {
    fake = await OpenAiFakeServer.start();
    fake.failNext({ status: 500, times: Number.POSITIVE_INFINITY });
    const error = await failure(client().chat({ messages }));
    expect(error.code).toBe('llm_unavailable');
    expect(error.retryable).toBe(true);
    expect(fake.requests).toHaveLength(3);
  });

  it('gives llm_unavailable when the server times out', async () => {
    fake = await OpenAiFakeServer.start();
    fake.setFallback(textReply('late', { delayMs: 2_000 }));
    const error = await failure(client({ maxRetries: 0, timeoutMs: 200 }).chat({ messages }));
    expect(error.code).toBe('llm_unavailable');
    expect(error.message).toContain('timed out');
  });

  it('gives llm_unavailable when nothing listens at the endpoint', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const llm = new LlmClient({
      baseURL: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      visionModel: 'm',
      maxRetries: 0,
    });
    const error = await failure(llm.chat({ messages }));
    expect(error.code).toBe('llm_unavailable');
    expect(error.userMessage).not.toContain('127.0.0.1');
  });

  it('gives llm_auth for a rejected key, without retrying or leaking it', async () => {
    fake = await OpenAiFakeServer.start({ apiKey: 'sk-good' });
    const error = await failure(client({ apiKey: 'sk-bad-secret' }).chat({ messages }));
    expect(error.code).toBe('llm_auth');
    expect(`${error.message} ${error.userMessage}`).not.toContain('sk-bad-secret');
    expect(fake.requests).toHaveLength(1);
  });

  it('gives llm_model_not_found naming the model', async () => {
    fake = await OpenAiFakeServer.start({ models: ['vision'] });
    const error = await failure(client().chat({ messages }));
    expect(error.code).toBe('llm_model_not_found');
    expect(error.userMessage).toContain('"agent"');
  });

  it('refuses to start with neither a key nor an endpoint', () => {
    expect(() => new LlmClient({ model: 'm', visionModel: 'm' })).toThrow(/OPENAI_API_KEY/);
  });

  it('turns an aborted request into a cancellation', async () => {
    fake = await OpenAiFakeServer.start();
    fake.setFallback(textReply('late', { delayMs: 2_000 }));
    const controller = new AbortController();
    const pending = client().chat({ messages }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).code).toBe('cancelled');
  });

  it('embeds texts in input order', async () => {
    fake = await OpenAiFakeServer.start();
    const vectors = await client({ embeddingModel: 'emb' }).embed(['one', 'two']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it('counts the tokens the server reports in cutroom_llm_tokens_total, by model and kind', async () => {
    fake = await OpenAiFakeServer.start();
    fake.enqueue(textReply('hello', { usage: { prompt_tokens: 40, completion_tokens: 7 } }));
    const model = `metered-${Date.now()}`;
    await client({ model }).chat({ messages });
    expect(await counted('cutroom_llm_tokens_total', { model, kind: 'prompt' })).toBe(40);
    expect(await counted('cutroom_llm_tokens_total', { model, kind: 'completion' })).toBe(7);
    expect(await counted('cutroom_llm_requests_total', { model, outcome: 'ok' })).toBe(1);
  });

  it("reads the context window from vLLM's max_model_len on /v1/models", async () => {
    fake = await OpenAiFakeServer.start({ traits: { agent: { contextTokens: 8192 } } });
    expect(await client().contextWindow()).toEqual({ tokens: 8192, source: '/v1/models max_model_len' });
    await client().contextWindow();
    expect(fake.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
  });

  it("reads Ollama's num_ctx, and assumes Ollama's smallest default when nothing sets it", async () => {
    fake = await OpenAiFakeServer.start({
      traits: {
        agent: { contextTokens: 6144, reportContext: 'ollama' },
        vision: { reportContext: 'ollama' },
      },
    });
    expect(await client().contextWindow('agent')).toMatchObject({
      tokens: 6144,
      source: expect.stringMatching(/num_ctx/),
    });
    expect(await client().contextWindow('vision')).toMatchObject({
      tokens: 4096,
      source: expect.stringMatching(/OLLAMA_CONTEXT_LENGTH/),
    });
  });

  it('says so when the endpoint tells no context window', async () => {
    fake = await OpenAiFakeServer.start({ models: ['agent'] });
    expect(await client().contextWindow()).toEqual({ tokens: null, source: 'not reported by the endpoint' });
  });
});
