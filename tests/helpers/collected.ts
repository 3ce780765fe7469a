/**
 * The text a child process writes, collected as it comes: a test can wait for a line while the
 * process runs and still read everything once it ends.
 *
 * @module
 */

/** The text of `stream` so far (`now`), and all of it once it ends (`done`). */
export function collected(stream: ReadableStream<Uint8Array>): {
  now: () => string;
  done: Promise<string>;
} {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
    return text;
  })();
  return { now: () => text, done };
}
