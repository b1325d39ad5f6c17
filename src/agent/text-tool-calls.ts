/**
 * @module Tool calls a model wrote as text instead of calling the tool: `<tool_call>` blocks (what Hermes- and
 * Qwen-style templates emit when the server's tool-call parser is off), Mistral's `[TOOL_CALLS]`, a JSON call in a
 * fence, or, failing those, JavaScript in a fenced block, which is run as run_code.
 */
import { readToolArguments } from './repair-tool-arguments.ts';

export interface TextToolCall {
  name: string;
  /** The arguments as JSON text, as a tool call carries them. */
  arguments: string;
  /** How the call was written, for the note that tells the model. */
  from: 'tool_call' | 'code_block';
}

const CODE_LANGUAGES = new Set(['', 'js', 'javascript', 'ts', 'typescript', 'mjs']);

/** The calls in a model's text, in order; empty when there are none. */
export function readTextToolCalls(text: string): TextToolCall[] {
  const written = [...taggedCalls(text), ...fencedJsonCalls(text)];
  if (written.length > 0) return written;
  const whole = callsIn(text.trim());
  if (whole.length > 0) return whole;
  return [...text.matchAll(/```([A-Za-z]*)[^\n]*\n([\s\S]*?)```/g)]
    .filter(([, language, code]) => CODE_LANGUAGES.has(language.toLowerCase()) && code.trim() !== '')
    .filter(([, , code]) => !/^\s*[{[]/.test(code) || callsIn(code).length === 0)
    .map(([, , code]) => ({
      name: 'run_code',
      arguments: JSON.stringify({ code: code.trim() }),
      from: 'code_block',
    }));
}

function taggedCalls(text: string): TextToolCall[] {
  const calls: TextToolCall[] = [];
  for (const match of text.matchAll(/<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/g))
    calls.push(...callsIn(match[1]));
  const mistral = /\[TOOL_CALLS\]\s*([\s\S]*)$/.exec(text);
  if (mistral) calls.push(...callsIn(mistral[1]));
  return calls;
}

function fencedJsonCalls(text: string): TextToolCall[] {
  return [...text.matchAll(/```json\s*([\s\S]*?)```/gi)].flatMap((match) => callsIn(match[1]));
}

/** Calls in a JSON text: one `{ name, arguments | parameters }` object or an array of them. */
function callsIn(json: string): TextToolCall[] {
  const reading = readToolArguments(json);
  if (!reading.ok) return [];
  const items = Array.isArray(reading.data) ? reading.data : [reading.data];
  const calls: TextToolCall[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { name, arguments: args, parameters } = item as Record<string, unknown>;
    const given = args ?? parameters;
    if (typeof name !== 'string' || given === undefined) continue;
    calls.push({
      name,
      arguments: typeof given === 'string' ? given : JSON.stringify(given),
      from: 'tool_call',
    });
  }
  return calls;
}
