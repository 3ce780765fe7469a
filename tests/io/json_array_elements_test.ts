import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonArrayElements, JsonArrayError } from "../../src/io/json_array_elements.ts";

Deno.test("JSON array elements keep their exact text, strings with brackets and escapes included", () => {
  const text = ' [ {"a": 751000.0, "s": "x],\\"{"} ,\n  [1, [2]], "t", NaN , 1e400 ]\n';
  assert.deepEqual(jsonArrayElements(text).map((e) => [e.number, e.text]), [
    [1, '{"a": 751000.0, "s": "x],\\"{"}'],
    [2, "[1, [2]]"],
    [3, '"t"'],
    [4, "NaN"],
    [5, "1e400"],
  ]);
  assert.deepEqual(jsonArrayElements("[]"), []);
  assert.deepEqual(jsonArrayElements("[ \n ]"), []);
});

Deno.test("a body that is not one JSON array is refused with what was expected and where", () => {
  for (
    const [text, message] of [
      ['{"a": 1}', /expected a JSON array opening with \[, got "\{\\"a\\": 1\}" at offset 0/],
      ["[1, 2", /expected \] to close the array, got the end of the body/],
      ["[1, 2] x", /expected nothing after the array, got "x" at offset 7/],
      ["[1,,2]", /got an empty one/],
      ["[1, 2,]", /got an empty one/],
      ["[1}", /expected \] to close the array at offset 2, got \}/],
      ["", /got the end of the body/],
    ] as const
  ) {
    assert.throws(() => jsonArrayElements(text), (e: unknown) => {
      assert.ok(e instanceof JsonArrayError);
      assert.match(e.message, message);
      return true;
    }, text);
  }
});

Deno.test("property: splitting JSON.stringify of an array gives back each element's own text", () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue()), (values) => {
      const elements = jsonArrayElements(JSON.stringify(values, null, values.length % 3));
      assert.deepEqual(elements.map((e) => JSON.parse(e.text)), JSON.parse(JSON.stringify(values)));
    }),
    { numRuns: 300 },
  );
});
