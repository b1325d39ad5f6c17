/**
 * @module Live probes of an LLM endpoint, as `cutroom doctor` runs them: one tiny tool-call request to the agent
 * model and one one-image request to the vision model, each reported as works / does not work / why, with the time.
 */
import { encode } from 'jpeg-js';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { CutroomError } from '../errors.ts';
import { imageRefusal, toolsRefusal } from './endpoint-capabilities.ts';
import type { LlmClient } from './llm-client.ts';
import { readTextToolCalls } from './text-tool-calls.ts';

export interface ProbeResult {
  /** `works`; `degraded`: cutroom copes but less well (calls written as text, a model that may not see); `fails`. */
  outcome: 'works' | 'degraded' | 'fails';
  model: string;
  /** Round trip of the request, in milliseconds. */
  ms: number;
  /** What happened, in one line. */
  detail: string;
  /** What to change, when it did not simply work. */
  fix?: string;
}

const PROBE_TIMEOUT_MS = 60_000;
const ADD_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'add_numbers',
    description: 'Adds two numbers.',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
      additionalProperties: false,
    },
  },
};
const TOOL_PARSER_FIX =
  'vLLM: start it with --enable-auto-tool-choice --tool-call-parser <the parser for this model, e.g. hermes, llama3_json, mistral>; Ollama and LM Studio: pick a model with tool support';

/** Asks the agent model to call a tool with given numbers: a real call, a call written as text, a refusal, or none. */
export async function probeToolCalls(
  llm: LlmClient,
  options: { signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const model = llm.model;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const { message } = await llm.chat(
      {
        messages: [{ role: 'user', content: 'Use the add_numbers tool to add 2 and 3.' }],
        tools: [ADD_TOOL],
        temperature: 0,
        maxTokens: 200,
      },
      { signal: options.signal, timeoutMs: PROBE_TIMEOUT_MS },
    );
    const call = message.tool_calls?.find((c) => c.type === 'function');
    if (call?.type === 'function') {
      const args = parseObject(call.function.arguments);
      const right = call.function.name === ADD_TOOL.function.name && args?.a === 2 && args?.b === 3;
      return right
        ? { outcome: 'works', model, ms: ms(), detail: `${model} called add_numbers(2, 3)` }
        : {
            outcome: 'degraded',
            model,
            ms: ms(),
            detail: `${model} called ${call.function.name} with ${call.function.arguments.slice(0, 80)} instead of add_numbers(2, 3)`,
          };
    }
    const text = typeof message.content === 'string' ? message.content : '';
    if (readTextToolCalls(text).some((c) => c.from === 'tool_call')) {
      return {
        outcome: 'degraded',
        model,
        ms: ms(),
        detail: `${model} wrote the call as text: the server does not parse tool calls (cutroom reads them from text, less reliably)`,
        fix: TOOL_PARSER_FIX,
      };
    }
    return {
      outcome: 'degraded',
      model,
      ms: ms(),
      detail: `${model} answered without calling the tool ("${oneLine(text)}"): weak tool use; cutroom also runs code it writes in fenced blocks`,
      fix: 'use a model trained for tool calls (and, on vLLM, the right --tool-call-parser)',
    };
  } catch (error) {
    const refusal = toolsRefusal(error);
    if (refusal) {
      return {
        outcome: 'degraded',
        model,
        ms: ms(),
        detail: `the endpoint refuses tool definitions (${refusal}); cutroom falls back to calls written in text`,
        fix: TOOL_PARSER_FIX,
      };
    }
    return failed(model, ms(), error);
  }
}

/** Shows the vision model one solid red image and asks its colour: seen, not seen, or refused. */
export async function probeVision(
  llm: LlmClient,
  options: { signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  const model = llm.visionModel;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const { message } = await llm.chat(
      {
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is the main colour of this image? Answer with one word.' },
              { type: 'image_url', image_url: { url: redImage(), detail: 'low' } },
            ],
          },
        ],
        temperature: 0,
        maxTokens: 20,
      },
      { signal: options.signal, timeoutMs: PROBE_TIMEOUT_MS },
    );
    const answer = typeof message.content === 'string' ? message.content : '';
    if (/\bred\b/i.test(answer)) {
      return { outcome: 'works', model, ms: ms(), detail: `${model} saw the red test image` };
    }
    return {
      outcome: 'degraded',
      model,
      ms: ms(),
      detail: `${model} took the image but answered "${oneLine(answer)}" for a red one: it may not see images`,
      fix: 'set CUTROOM_VISION_MODEL to a model that takes images (a VL / vision variant)',
    };
  } catch (error) {
    const refusal = imageRefusal(error);
    if (refusal) {
      return {
        outcome: 'degraded',
        model,
        ms: ms(),
        detail:
          refusal.maxImages === 0
            ? `${model} does not take images (${refusal.reason}); frames are checked from measurements instead`
            : `${model} refused the image (${refusal.reason})`,
        fix: 'set CUTROOM_VISION_MODEL to a model that takes images (a VL / vision variant)',
      };
    }
    return failed(model, ms(), error);
  }
}

function failed(model: string, ms: number, error: unknown): ProbeResult {
  const message = error instanceof CutroomError ? error.message : String(error);
  const fix =
    error instanceof CutroomError && error.code === 'llm_auth'
      ? 'check OPENAI_API_KEY'
      : error instanceof CutroomError && error.code === 'llm_model_not_found'
        ? 'check CUTROOM_MODEL / CUTROOM_VISION_MODEL against the endpoint’s model list'
        : 'check OPENAI_BASE_URL and that the server is up';
  return { outcome: 'fails', model, ms, detail: message, fix };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

let red: string | undefined;
/** A 64x64 solid red JPEG as a data URL, made once. */
function redImage(): string {
  if (!red) {
    const size = 64;
    const data = Buffer.alloc(size * size * 4);
    for (let i = 0; i < size * size; i++) data.set([220, 20, 20, 255], i * 4);
    red = `data:image/jpeg;base64,${encode({ width: size, height: size, data }, 90).data.toString('base64')}`;
  }
  return red;
}
