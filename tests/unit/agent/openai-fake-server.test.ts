import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAiFakeServer, textReply, toolCallReply } from '../../fakes/openai-fake-server.ts';

describe('OpenAiFakeServer with the real openai client', () => {
  let fake: OpenAiFakeServer;
  afterEach(async () => {
    await fake?.close();
  });

  function client(apiKey = 'sk-test', maxRetries = 2): OpenAI {
    return new OpenAI({ apiKey, baseURL: fake.baseURL, maxRetries, timeout: 5000 });
  }

  it('answers with scripted tool calls and lets the next answer read the tool result', async () => {
    fake = await OpenAiFakeServer.start({ apiKey: 'sk-test' });
    fake.enqueue(toolCallReply('run_code', { code: 'x' }), (req) =>
      textReply(`saw: ${req.lastToolResult()}`),
    );
    const first = await client().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'run_code', parameters: { type: 'object' } } }],
    });
    const call = first.choices[0].message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ code: 'x' });
    expect(first.usage?.total_tokens).toBeGreaterThan(0);
    const second = await client().chat.completions.create({
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call?.id ?? '', content: 'boom' },
      ],
    });
    expect(second.choices[0].message.content).toBe('saw: boom');
    expect(fake.chatRequests[0].tools[0].function.name).toBe('run_code');
  });

  it('injects a 429 that the client retries through', async () => {
    fake = await OpenAiFakeServer.start();
    fake.failNext({ status: 429, times: 1 }).enqueue(textReply('ok'));
    const reply = await client().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(reply.choices[0].message.content).toBe('ok');
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('rejects a wrong key with 401 and an unknown model with 404', async () => {
    fake = await OpenAiFakeServer.start({ apiKey: 'sk-right', models: ['known'] });
    await expect(
      client('sk-wrong').chat.completions.create({ model: 'known', messages: [] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client('sk-right').chat.completions.create({ model: 'other', messages: [] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const models = await client('sk-right').models.list();
    expect(models.data.map((m) => m.id)).toEqual(['known']);
  });

  it('returns embeddings where texts sharing words are closer than unrelated ones', async () => {
    fake = await OpenAiFakeServer.start();
    const res = await client().embeddings.create({
      model: 'e',
      input: ['fade the music out', 'fade music out slowly', 'crop to vertical'],
    });
    const [a, b, c] = res.data.map((d) => d.embedding);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
  });

  it('streams a scripted reply as server-sent events', async () => {
    fake = await OpenAiFakeServer.start();
    fake.enqueue(toolCallReply('render', {}));
    const stream = await client().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const names: string[] = [];
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) names.push(call.function?.name ?? '');
    }
    expect(names).toEqual(['render']);
  });

  it('answers 500 naming the request when the script runs dry', async () => {
    fake = await OpenAiFakeServer.start();
    await expect(client('k', 0).chat.completions.create({ model: 'm', messages: [] })).rejects.toThrow(
      /no scripted answer left/,
    );
  });
});
