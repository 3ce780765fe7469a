import assert from "node:assert/strict";
import { formatFieldIssues } from "../../src/contract/field_issue.ts";
import { deadLetterEntry, parseDeadLetterEntry } from "../../src/contract/dead_letter_entry.ts";

Deno.test("a dead-letter entry keeps the line exactly, or its raw bytes, or says it was too long", () => {
  const now = Date.UTC(2026, 0, 26);
  const base = {
    kind: "rejected",
    input: "in.jsonl",
    format: "snapshots",
    reasons: ["r"],
    now,
  } as const;
  const plain = deadLetterEntry({
    ...base,
    source: { text: '{"a":1.0}', number: 3, terminated: true },
  });
  assert.deepEqual([plain.line, plain.text, plain.text_base64, plain.line_bytes], [
    3,
    '{"a":1.0}',
    undefined,
    undefined,
  ]);
  const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
  const bad = deadLetterEntry({
    ...base,
    source: { text: "{\ufffd}", number: 4, terminated: true, problem: "bad UTF-8", bytes },
  });
  assert.equal(bad.text_base64, "e/99");
  const long = deadLetterEntry({
    ...base,
    source: {
      text: "",
      number: 5,
      terminated: true,
      problem: "expected a line of at most 10 bytes (--max-line-bytes), got 99 bytes: skipped",
    },
  });
  assert.deepEqual([long.text, long.line_bytes], [null, 99]);
  assert.deepEqual(parseDeadLetterEntry(JSON.parse(JSON.stringify(plain))), {
    ok: true,
    format: "snapshots",
    text: '{"a":1.0}',
  });
});

Deno.test("an entry replay cannot use is refused naming each field", () => {
  const why = (value: unknown) => {
    const parsed = parseDeadLetterEntry(value);
    assert.equal(parsed.ok, false);
    return parsed.ok ? "" : formatFieldIssues(parsed.issues);
  };
  assert.match(why(null), /^dead_letter: expected "qts-dead-letter\/v1", got null/);
  assert.match(
    why({ dead_letter: "v0" }),
    /^dead_letter: expected "qts-dead-letter\/v1", got "v0"/,
  );
  assert.equal(
    why({ dead_letter: "qts-dead-letter/v1", text: null, format: "csv" }),
    "text: expected a string (null: the line was too long to keep, it cannot be replayed), " +
      'got null; format: expected snapshots or records or kis-swing, got "csv" (string)',
  );
});
