import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { ContextWindow, estimateTokens, messageTokens } from '../../../src/agent/context-window.ts';

const SYSTEM = 'You are an editor. '.repeat(20);
const REQUEST = 'Request: trim it';
const LONG = 'a line of a long tool result with many words in it\n'.repeat(60);

/** A chat of the agent's shape: system, request, then `steps` tool calls each answered by a long result. */
function chat(steps: number): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: REQUEST },
  ];
  for (let i = 0; i < steps; i++) {
    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `c${i}`,
            type: 'function',
            function: { name: 'run_code', arguments: JSON.stringify({ code: 'x();\n'.repeat(80) }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: `c${i}`, content: `step ${i}\n${LONG}` },
    );
  }
  return messages;
}

function windowOf(contextTokens: number) {
  return new ContextWindow({
    contextTokens,
    fixedTokens: () => 100,
    current: () => ({ outline: 'Composition: one clip 0-2 s', duration: 2 }),
  });
}

describe('ContextWindow', () => {
  it('counts with a margin over o200k and caches per message object', () => {
    expect(estimateTokens('hello world')).toBeGreaterThanOrEqual(2);
    expect(estimateTokens('<|endoftext|> is plain text here')).toBeGreaterThan(0);
    const message: ChatCompletionMessageParam = { role: 'user', content: LONG };
    expect(messageTokens(message)).toBe(messageTokens(message));
    expect(messageTokens(message)).toBeGreaterThan(LONG.length / 5);
  });

  it('leaves a chat that fits untouched', () => {
    const messages = chat(2);
    const before = structuredClone(messages);
    expect(windowOf(100_000).fit(messages)).toMatchObject({ shortened: 0, dropped: 0 });
    expect(messages).toEqual(before);
  });

  it('shortens the oldest results first, keeping the latest two steps whole and the composition stated', () => {
    const messages = chat(6);
    const window = windowOf(6000);
    const { tokens, shortened, dropped } = window.fit(messages);
    expect(tokens).toBeLessThanOrEqual(6000 - 1500);
    expect(shortened).toBeGreaterThan(0);
    expect(dropped).toBe(0);
    expect(messages[0]).toEqual({ role: 'system', content: SYSTEM });
    expect(messages[1].content).toMatch(/^Request: trim it\n\n\[cutroom: to fit the model's context window/);
    expect(messages[1].content).toContain('Composition: one clip 0-2 s');
    const results = messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
    expect(results.at(-1)).toContain(LONG);
    expect(results.at(-2)).toContain(LONG);
    expect(results[0]).toMatch(/^step 0 … \[older result shortened\]$/);
    const firstCall = messages[2].role === 'assistant' ? messages[2].tool_calls?.[0] : undefined;
    expect(firstCall?.type === 'function' && JSON.parse(firstCall.function.arguments).code).toContain(
      '[shortened',
    );
  });

  it('leaves whole old steps out when shortening is not enough, keeping tool calls paired with their results', () => {
    const messages = chat(12);
    const { dropped } = windowOf(3000).fit(messages);
    expect(dropped).toBeGreaterThan(0);
    expect(messages[1].content).toContain('earlier step(s) left out');
    for (const [i, m] of messages.entries()) {
      if (m.role === 'tool') expect(messages[i - 1].role).toBe('assistant');
    }
    expect(String(messages.at(-1)?.content)).toContain('step 11');
  });

  it('refuses with llm_context_too_small when the instructions and the request alone do not fit', () => {
    expect(() => windowOf(300).fit(chat(1))).toThrow(
      expect.objectContaining({ code: 'llm_context_too_small' }),
    );
  });
});
