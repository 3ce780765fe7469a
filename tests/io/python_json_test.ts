import assert from "node:assert/strict";
import { parsePythonJson } from "../../src/io/python_json.ts";

Deno.test("standard JSON parses as JSON.parse does", () => {
  assert.deepEqual(parsePythonJson('{"a":[1,2.5,"x"],"b":null}'), { a: [1, 2.5, "x"], b: null });
});

Deno.test("bare NaN / Infinity / -Infinity become the numbers they name", () => {
  const value = parsePythonJson('{"price": NaN, "depth": [1.0, -Infinity], "hi": Infinity}') as {
    price: number;
    depth: number[];
    hi: number;
  };
  assert.ok(Number.isNaN(value.price));
  assert.deepEqual(value.depth, [1, -Infinity]);
  assert.equal(value.hi, Infinity);
});

Deno.test("strings containing those words are not corrupted", () => {
  const text =
    '{"note": "NaN and Infinity", "esc": "say \\"NaN\\" -Infinity", "k": NaN, "NaN": "Infinity"}';
  const value = parsePythonJson(text) as Record<string, unknown>;
  assert.equal(value.note, "NaN and Infinity");
  assert.equal(value.esc, 'say "NaN" -Infinity');
  assert.ok(Number.isNaN(value.k));
  assert.equal(value.NaN, "Infinity");
});

Deno.test("a string that looks like the internal marker is left alone", () => {
  const value = parsePythonJson('{"a": "\\u0000qts-non-finite:NaN", "b": NaN}') as Record<
    string,
    unknown
  >;
  assert.equal(value.a, "\u0000qts-non-finite:NaN");
  assert.ok(Number.isNaN(value.b));
});

Deno.test("anything else that is not JSON still throws SyntaxError", () => {
  assert.throws(() => parsePythonJson("not json"), SyntaxError);
  assert.throws(() => parsePythonJson('{"a": NaNa}'), SyntaxError);
  assert.throws(() => parsePythonJson('{"a": NaN,}'), SyntaxError);
});
