/** @module The agent tools as OpenAI function definitions, and validation of the arguments a model sends. */
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { readToolArguments } from './repair-tool-arguments.ts';

export const ToolArgumentSchemas = {
  run_code: z.object({ code: z.string().trim().min(1, 'code must not be empty') }),
  search_docs: z.object({ query: z.string().trim().min(1, 'query must not be empty') }),
  visual_feedback: z.object({ goal: z.string().optional() }),
  render: z.object({}),
  inspect_media: z
    .object({
      asset: z.number().int().min(0),
      question: z.string().trim().min(1, 'question must not be empty').optional(),
      from: z.number().min(0).optional(),
      to: z.number().positive().optional(),
    })
    .refine((a) => a.from === undefined || a.to === undefined || a.from < a.to, 'from must be before to'),
} as const;

export type ToolName = keyof typeof ToolArgumentSchemas;
export type ToolArguments<N extends ToolName> = z.infer<(typeof ToolArgumentSchemas)[N]>;

export type ParsedToolCall =
  | { ok: true; name: 'run_code'; args: ToolArguments<'run_code'> }
  | { ok: true; name: 'search_docs'; args: ToolArguments<'search_docs'> }
  | { ok: true; name: 'visual_feedback'; args: ToolArguments<'visual_feedback'> }
  | { ok: true; name: 'render'; args: ToolArguments<'render'> }
  | { ok: true; name: 'inspect_media'; args: ToolArguments<'inspect_media'> }
  | { ok: false; name: string; error: string };

export const AGENT_TOOLS: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'run_code',
      description:
        'Run a code action: the body of an async JavaScript function with `core`, `composition`, `assets` and `console` in scope. State persists between calls; a failing action is rolled back. Returns ok or the error, your console output, the composition outline and its duration.',
      parameters: {
        type: 'object',
        properties: { code: { type: 'string', description: 'JavaScript statements; use await freely.' } },
        required: ['code'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_docs',
      description:
        'Search the code-action documentation (llm.txt) for recipes and API details, e.g. "crop to vertical", "fade out music". Returns the best matching sections.',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string', description: 'What you want to do or know.' } },
        required: ['query'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'visual_feedback',
      description:
        "Sample the current composition at 1 frame per second and have a vision model check the frames against the user's goal. Returns a verdict (approve or revise, with issues). Required before render.",
      parameters: {
        type: 'object',
        properties: {
          goal: {
            type: 'string',
            description: 'What the frames should show, if more specific than the request.',
          },
        },
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'render',
      description:
        'Render the current composition to the final MP4. Only allowed after visual_feedback approved the current state.',
      parameters: { type: 'object', properties: {}, additionalProperties: false },
    },
  },
  {
    type: 'function',
    function: {
      name: 'inspect_media',
      description:
        'Look at and listen to an uploaded clip itself (not your composition): its shot changes, silent stretches, loudness and, when transcription is on, the spoken words with times. Also puts them on assets[asset] as shots, silences and transcript for your code. With a question, a vision model looks at frames of the clip between from and to (at most one a second, at most 30) and answers with times. Cheap and cached: call it before edits that depend on what is in the footage.',
      parameters: {
        type: 'object',
        properties: {
          asset: { type: 'integer', minimum: 0, description: 'Index into assets.' },
          question: {
            type: 'string',
            description: 'What to find out from the picture, e.g. "when does the goalkeeper dive?"',
          },
          from: {
            type: 'number',
            minimum: 0,
            description: 'Source seconds where frames for the question start.',
          },
          to: { type: 'number', minimum: 0, description: 'Source seconds where they end.' },
        },
        required: ['asset'],
        additionalProperties: false,
      },
    },
  },
];

/** A valid call may carry `repair`: its arguments were not valid JSON and were read as this says. */
export type ReadToolCall = ParsedToolCall & { repair?: string };

/**
 * Validates one tool call from the model; an error here goes back to the model as the tool's result. Arguments that
 * are not valid JSON are repaired where the fix is unambiguous (see repair-tool-arguments.ts).
 */
export function parseToolCall(name: string, rawArguments: string | undefined): ReadToolCall {
  if (!(name in ToolArgumentSchemas)) {
    return {
      ok: false,
      name,
      error: `unknown tool "${name}"; the tools are ${Object.keys(ToolArgumentSchemas).join(', ')}`,
    };
  }
  const toolName = name as ToolName;
  const reading = readToolArguments(rawArguments ?? '', singleStringField(toolName));
  if (!reading.ok) {
    return {
      ok: false,
      name,
      error: `arguments for ${name} are not valid JSON (${reading.error}); send a JSON object like ${example(toolName)}`,
    };
  }
  const parsed = ToolArgumentSchemas[toolName].safeParse(reading.data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`)
      .join('; ');
    return {
      ok: false,
      name,
      error: `invalid arguments for ${name}: ${problems}; expected ${example(toolName)}`,
    };
  }
  return { ok: true, name: toolName, args: parsed.data, repair: reading.repair } as ReadToolCall;
}

/** The field of a tool whose only argument is a string (run_code's `code`), which allows more repairs. */
function singleStringField(name: ToolName): string | undefined {
  const entries = Object.entries(ToolArgumentSchemas[name].shape);
  return entries.length === 1 && entries[0][1] instanceof z.ZodString ? entries[0][0] : undefined;
}

function example(name: ToolName): string {
  switch (name) {
    case 'run_code':
      return '{"code": "..."}';
    case 'search_docs':
      return '{"query": "..."}';
    case 'visual_feedback':
      return '{"goal": "..."} (goal optional)';
    case 'render':
      return '{}';
    case 'inspect_media':
      return '{"asset": 0, "question": "...", "from": 0, "to": 10} (question, from, to optional)';
  }
}
