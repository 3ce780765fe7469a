/**
 * A JSON-array ingest body (`application/json`): its elements, each keeping its exact text and
 * judged like a line.
 *
 * @module
 */

import { jsonArrayElements, JsonArrayError } from "../../io/json_array_elements.ts";
import type { TextLine } from "../../io/line_reader.ts";
import { RequestRefused } from "../request_body.ts";

/** The limits an array body is held to. */
export interface ArrayBodyLimits {
  /** Most elements (413 beyond). */
  readonly maxLines: number;
  /** Longest element, in bytes (that element is rejected alone). */
  readonly maxLineBytes: number;
}

/**
 * The elements of a JSON array body, each judged like a line (a longer element than a line may
 * be is rejected alone); 400 when the body is not one array or not UTF-8.
 *
 * @example
 * ```ts
 * import { arrayElements } from "./array_body.ts";
 * const elements = arrayElements(new TextEncoder().encode("[{}, {}]"), {
 *   maxLines: 10, maxLineBytes: 1024,
 * });
 * ```
 */
export function arrayElements(body: Uint8Array, limits: ArrayBodyLimits): TextLine[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new RequestRefused(400, "expected a UTF-8 body, got invalid bytes");
  }
  let elements: TextLine[];
  try {
    elements = jsonArrayElements(text);
  } catch (error) {
    if (error instanceof JsonArrayError) throw new RequestRefused(400, error.message);
    throw error;
  }
  if (elements.length > limits.maxLines) {
    throw new RequestRefused(
      413,
      `expected at most ${limits.maxLines} elements in one request, got ${elements.length}`,
    );
  }
  return elements.map((element) =>
    element.text.length > limits.maxLineBytes / 3 &&
      new TextEncoder().encode(element.text).length > limits.maxLineBytes
      ? {
        ...element,
        text: "",
        problem: `expected an element of at most ${limits.maxLineBytes} bytes, got more`,
      }
      : element
  );
}
