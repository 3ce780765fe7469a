/**
 * JSON as Python's `json.dumps` writes it: standard JSON plus the bare tokens `NaN`,
 * `Infinity` and `-Infinity`, which become the numbers they name so validation can block them.
 *
 * @module
 */

const NON_FINITE: Record<string, number> = {
  "NaN": NaN,
  "Infinity": Infinity,
  "-Infinity": -Infinity,
};

/**
 * Parses one JSON text, accepting Python's bare `NaN` / `Infinity` / `-Infinity` outside
 * strings. Strings that merely contain those words are left untouched. Throws `SyntaxError`
 * for anything else that is not JSON.
 *
 * @example
 * ```ts
 * parsePythonJson('{"price": NaN, "note": "NaN"}'); // => { price: NaN, note: "NaN" }
 * ```
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    const rewritten = replaceNonFiniteTokens(text);
    if (rewritten === undefined) throw error;
    const { json, marker } = rewritten;
    return JSON.parse(json, (_key, value) => {
      if (typeof value === "string" && value.startsWith(marker)) {
        return NON_FINITE[value.slice(marker.length)];
      }
      return value;
    });
  }
}

/**
 * Replaces the bare tokens outside strings with marker strings; undefined when there were none.
 * The marker is chosen so that it occurs nowhere in the input.
 */
function replaceNonFiniteTokens(text: string): { json: string; marker: string } | undefined {
  let marker = "\u0000qts-non-finite:";
  while (text.includes(marker) || text.includes(JSON.stringify(marker).slice(1, -1))) {
    marker = `\u0000${marker}`;
  }
  const escapedMarker = JSON.stringify(marker).slice(1, -1);
  let out = "";
  let last = 0;
  let inString = false;
  let replaced = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    for (const token of ["-Infinity", "Infinity", "NaN"]) {
      if (text.startsWith(token, i) && !isWordChar(text.charCodeAt(i + token.length))) {
        out += text.slice(last, i) + `"${escapedMarker}${token}"`;
        i += token.length - 1;
        last = i + 1;
        replaced = true;
        break;
      }
    }
  }
  if (!replaced) return undefined;
  return { json: out + text.slice(last), marker };
}

function isWordChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}
