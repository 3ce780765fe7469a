/**
 * The service's JSON answers: a body of JSON text and a newline, and the `{"error": ...}` shape
 * every refusal takes.
 *
 * @module
 */

/**
 * A JSON answer: `body` as JSON text and a newline, with `headers` beside the content type.
 *
 * @example
 * ```ts
 * import { json } from "./http_answers.ts";
 * const response = json(200, { ok: true });
 * ```
 */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * A refusal: `{"error": message}` with `status` and `headers`.
 *
 * @example
 * ```ts
 * import { problem } from "./http_answers.ts";
 * const response = problem(503, "retry", { "retry-after": "1" });
 * ```
 */
export function problem(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json(status, { error: message }, headers);
}
