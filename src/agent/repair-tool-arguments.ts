/**
 * @module Reads the JSON arguments of a tool call, repairing the mistakes whose fix is unambiguous: a Markdown fence
 * around the JSON, line breaks and stray backslashes left raw inside a string (code pasted into JSON), unescaped
 * quotes in the one string field of a single-field tool, and the bare value of that field sent without its object.
 * Anything else (cut-off JSON above all) is left for the model to resend, with the exact parse error.
 */

export type ArgumentsReading =
  | {
      ok: true;
      data: unknown;
      /** Set when the text was not valid JSON and was repaired: what was wrong, in words for the model. */
      repair?: string;
    }
  | { ok: false; error: string };

/**
 * @param singleStringField the tool's only field when it has exactly one and it is a string (`code` for run_code):
 * allows the repairs that rely on knowing the object's whole shape.
 */
export function readToolArguments(raw: string, singleStringField?: string): ArgumentsReading {
  const text = raw.trim();
  if (text === '') return { ok: true, data: {} };
  let parseError: string;
  try {
    return { ok: true, data: JSON.parse(text) };
  } catch (error) {
    parseError = (error as Error).message;
  }
  const fence = /^```[a-z]*\s*([\s\S]*?)\s*```$/i.exec(text);
  const body = fence ? fence[1] : text;
  const fenced = fence ? ['a Markdown code fence was around the JSON'] : [];
  const attempts: [string[], () => string | undefined][] = [
    [fenced, () => (fence ? body : undefined)],
    [[...fenced, 'line breaks or backslashes inside a string were not escaped'], () => escapeStrings(body)],
  ];
  if (singleStringField) {
    const field = new RegExp(`^\\{\\s*"${singleStringField}"\\s*:\\s*"([\\s\\S]*)"\\s*\\}$`);
    attempts.push(
      [
        [...fenced, `quotes inside "${singleStringField}" were not escaped`],
        () => {
          const inner = field.exec(body)?.[1];
          return inner === undefined
            ? undefined
            : `{"${singleStringField}": ${escapeStrings(`"${escapeBareQuotes(inner)}"`)}}`;
        },
      ],
      [
        [...fenced, `they were the bare value of "${singleStringField}", not a JSON object`],
        () => (/^[{["]/.test(body) ? undefined : JSON.stringify({ [singleStringField]: body })),
      ],
    );
  }
  for (const [repairs, attempt] of attempts) {
    const candidate = attempt();
    if (candidate === undefined) continue;
    try {
      return { ok: true, data: JSON.parse(candidate), repair: repairs.join('; ') };
    } catch {
      // The next repair may fit.
    }
  }
  return { ok: false, error: parseError };
}

const JSON_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Inside JSON strings: raw control characters become escapes, and a backslash that starts no valid escape is kept as a
 * literal backslash (`\d` in a regular expression stays `\d`, never `d`).
 */
function escapeStrings(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (!inString) {
      if (c === '"') inString = true;
      out += c;
      continue;
    }
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== undefined && JSON_ESCAPES.has(next)) {
        out += c + next;
        i += 1;
      } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += text.slice(i, i + 6);
        i += 5;
      } else {
        out += '\\\\';
      }
      continue;
    }
    if (c === '"') inString = false;
    const code = c.charCodeAt(0);
    if (code < 0x20) {
      out +=
        c === '\n'
          ? '\\n'
          : c === '\r'
            ? '\\r'
            : c === '\t'
              ? '\\t'
              : `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += c;
    }
  }
  return out;
}

/** Escapes every quote not already preceded by an odd number of backslashes. */
function escapeBareQuotes(text: string): string {
  let out = '';
  let backslashes = 0;
  for (const c of text) {
    if (c === '"' && backslashes % 2 === 0) out += '\\"';
    else out += c;
    backslashes = c === '\\' ? backslashes + 1 : 0;
  }
  return out;
}
