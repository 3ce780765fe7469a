import assert from "node:assert/strict";
import { isRawJsonNumber } from "../../src/contract/json_value.ts";
import {
  InputJsonError,
  MAX_NESTING_DEPTH,
  parseInputJson,
} from "../../src/contract/input_json.ts";

const roundTrip = (text: string) => JSON.stringify(parseInputJson(text));

Deno.test("standard JSON parses as JSON.parse does", () => {
  assert.deepEqual(parseInputJson('{"a":[1,2.5,"x"],"b":null}'), { a: [1, 2.5, "x"], b: null });
});

Deno.test("bare NaN / Infinity / -Infinity become the numbers they name; 1e400 is Infinity", () => {
  const value = parseInputJson(
    '{"price": NaN, "depth": [2, -Infinity], "hi": Infinity, "big": 1e400}',
  ) as Record<string, unknown>;
  assert.ok(Number.isNaN(value.price));
  assert.deepEqual(value.depth, [2, -Infinity]);
  assert.equal(value.hi, Infinity);
  assert.equal(value.big, Infinity);
});

Deno.test("every number is written back exactly as it came", () => {
  for (
    const text of [
      "9007199254740993",
      "12345678901234567890",
      "-0",
      "-0.0",
      "751000.0",
      "1.50",
      "1e5",
      "1E+05",
      "2.5e-7",
      "0.0000001",
      "123456789.123456789",
      "0.30000000000000004",
      "5e-324",
      "1e-400",
    ]
  ) {
    assert.equal(roundTrip(`{"v":${text}}`), `{"v":${text}}`, text);
    assert.equal(roundTrip(`{"v": [${text}], "n": NaN}`), `{"v":[${text}],"n":null}`, text);
  }
  const plain = parseInputJson('{"a": 71000, "b": 0.5, "c": -3}') as Record<string, unknown>;
  assert.deepEqual(plain, { a: 71000, b: 0.5, c: -3 }, "ordinary numbers stay numbers");
  const kept = parseInputJson('{"a": 751000.0}') as Record<string, unknown>;
  assert.ok(isRawJsonNumber(kept.a));
});

Deno.test("strings containing those words or number-like text are not altered", () => {
  const text = '{"note": "NaN and Infinity", "esc": "say \\"NaN\\" -Infinity", "k": NaN, ' +
    '"NaN": "Infinity", "t": "x:1.0,", "u": "\\u0000qts-non-finite:NaN"}';
  const value = parseInputJson(text) as Record<string, unknown>;
  assert.equal(value.note, "NaN and Infinity");
  assert.equal(value.esc, 'say "NaN" -Infinity');
  assert.ok(Number.isNaN(value.k));
  assert.equal(value.NaN, "Infinity");
  assert.equal(value.t, "x:1.0,");
  assert.equal(value.u, "\u0000qts-non-finite:NaN");
});

Deno.test("a NaN or Infinity token as a key is refused, never turned into an invented key", () => {
  for (const text of ["{NaN: 1}", '{"a": 1, Infinity: 2}', '{"a": {NaN: NaN}}']) {
    assert.throws(
      () => parseInputJson(text),
      /expected a string key at column \d+, got "(NaN|Inf)/,
    );
  }
});

Deno.test("a duplicate key is refused, naming the key and where", () => {
  assert.throws(
    () => parseInputJson('{"meta": {"a": 1}, "meta": {"b": 2}}'),
    (e) =>
      e instanceof InputJsonError && e.message === 'duplicate key "meta" at (root): ' +
          "expected each key once in an object",
  );
  assert.throws(
    () => parseInputJson('{"observation": {"inputs": {"p": 1, "p" : 2}}}'),
    /duplicate key "p" at observation\.inputs/,
  );
  assert.throws(() => parseInputJson('{"a": NaN, "a": 1}'), /duplicate key "a"/);
  // A key-like text inside a string is no key.
  assert.deepEqual(parseInputJson('{"a": "\\"a\\": 1"}'), { a: '"a": 1' });
  const proto = parseInputJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, "__proto__ is data, as in JSON");
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
});

Deno.test("nesting up to the limit parses; deeper is refused with where, without a stack overflow", () => {
  const nested = (depth: number, leaf = "1") =>
    '{"observation":'.repeat(1) + '{"a":'.repeat(depth - 1) + leaf + "}".repeat(depth);
  assert.ok(parseInputJson(nested(MAX_NESTING_DEPTH)));
  for (const depth of [MAX_NESTING_DEPTH + 1, 20_000, 200_000]) {
    assert.throws(
      () => parseInputJson(nested(depth)),
      /expected nesting of at most 512 levels, got deeper at observation(\.a)+/,
    );
    assert.throws(() => parseInputJson(nested(depth, "NaN")), /at most 512 levels/);
    assert.throws(() => parseInputJson("[".repeat(depth) + "]".repeat(depth)), /at most 512/);
  }
});

Deno.test("anything else that is not JSON throws InputJsonError saying what and where, printably", () => {
  assert.throws(
    () => parseInputJson("not json"),
    /expected a JSON value at column 1, got "not json"/,
  );
  assert.throws(() => parseInputJson('{"a": NaNa}'), /expected ',' or '}' at column 10/);
  assert.throws(() => parseInputJson('{"a": NaN,}'), /expected a string key at column 11/);
  assert.throws(() => parseInputJson('{"a": 1} x'), /expected the end of the text at column 10/);
  assert.throws(() => parseInputJson('{"a": "x'), /expected a closing quote/);
  assert.throws(() => parseInputJson('{"a": "\\q"}'), /valid escapes/);
  assert.throws(() => parseInputJson(""), /got the end of the text/);
  assert.throws(
    () => parseInputJson('{"a": \u001b[31m}'),
    (e) =>
      e instanceof SyntaxError && e.message.includes("\\u001b") && !e.message.includes("\u001b"),
  );
});
