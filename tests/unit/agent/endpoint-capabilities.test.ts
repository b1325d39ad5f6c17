import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { capabilitiesOf, imageRefusal, toolsRefusal } from '../../../src/agent/endpoint-capabilities.ts';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';

function badRequest(message: string): Error {
  return OpenAI.APIError.generate(400, { error: { message } }, undefined, new Headers());
}

const image = { type: 'image_url' as const, image_url: { url: 'data:image/jpeg;base64,AA==' } };

describe('endpoint capabilities', () => {
  let fake: OpenAiFakeServer | undefined;
  afterEach(async () => {
    await fake?.close();
  });

  it('reads the image limits real servers state in their 400s', () => {
    expect(imageRefusal(badRequest('At most 1 image(s) may be provided in one request.'))?.maxImages).toBe(1);
    expect(
      imageRefusal(badRequest('You set image=2 (or defaulted to 1) in `--limit-mm-per-prompt`, but passed 3'))
        ?.maxImages,
    ).toBe(2);
    expect(imageRefusal(badRequest('this model does not support image input'))?.maxImages).toBe(0);
    expect(
      imageRefusal(badRequest('Invalid content type. image_url is only supported by certain models.'))
        ?.maxImages,
    ).toBe(0);
    expect(
      imageRefusal(badRequest('Model does not support images. Please use a model that does.'))?.maxImages,
    ).toBe(0);
    expect(imageRefusal(badRequest('max_tokens is too large'))).toBeUndefined();
    expect(imageRefusal(new Error('At most 1 image(s)'))).toBeUndefined();
  });

  it('reads a refusal of tool definitions from vLLM and Ollama', () => {
    expect(
      toolsRefusal(
        badRequest('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'),
      ),
    ).toContain('--enable-auto-tool-choice');
    expect(
      toolsRefusal(badRequest('registry.ollama.ai/library/gemma2:latest does not support tools')),
    ).toBeDefined();
    expect(toolsRefusal(badRequest('messages must not be empty'))).toBeUndefined();
  });

  it('finds the refusal inside the error the LLM client throws', async () => {
    fake = await OpenAiFakeServer.start({ traits: { vision: { maxImages: 0 }, agent: { tools: false } } });
    const llm = new LlmClient({
      baseURL: fake.baseURL,
      model: 'agent',
      visionModel: 'vision',
      maxRetries: 0,
    });
    const refused = await llm
      .chat({ model: 'vision', messages: [{ role: 'user', content: [image] }] })
      .catch((e: unknown) => e);
    expect(imageRefusal(refused)).toEqual({
      maxImages: 0,
      reason: 'this model does not support image input',
    });
    fake.enqueue(textReply('hello'));
    const tools = await llm
      .chat({
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          { type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } },
        ],
      })
      .catch((e: unknown) => e);
    expect(toolsRefusal(tools)).toMatch(/tool-call-parser/);
  });

  it('keeps one record per endpoint and model for the process', () => {
    const a = capabilitiesOf('http://a/v1', 'm');
    a.images = 'one';
    expect(capabilitiesOf('http://a/v1', 'm').images).toBe('one');
    expect(capabilitiesOf('http://b/v1', 'm').images).toBeUndefined();
    expect(capabilitiesOf('http://a/v1', 'n').images).toBeUndefined();
  });
});
