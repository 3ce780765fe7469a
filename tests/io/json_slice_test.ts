import assert from "node:assert/strict";
import fc from "fast-check";
import { memberText } from "../../src/io/json_slice.ts";

Deno.test("memberText: the exact text of a top-level member, numbers and escapes as written; undefined when absent or broken", () => {
  const text =
    '{"a":{"b":"}\\",{[","c":[1,{"d":2}]},"snapshot": {"n": 1.50, "big": 9007199254740993} ,"z":null}';
  assert.equal(memberText(text, "snapshot"), '{"n": 1.50, "big": 9007199254740993}');
  assert.equal(memberText(text, "a"), '{"b":"}\\",{[","c":[1,{"d":2}]}');
  assert.equal(memberText(text, "z"), "null");
  assert.equal(memberText(text, "b"), undefined, "nested keys are not members");
  assert.equal(memberText('{"a":"unterminated', "a"), undefined);
  assert.equal(memberText("[1,2]", "a"), undefined);
});

Deno.test("memberText: for any JSON object, each member's text parses to that member (property)", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
      const text = JSON.stringify(object);
      for (const key of Object.keys(object)) {
        const member = memberText(text, key);
        assert.ok(member !== undefined, `${key} in ${text}`);
        assert.deepEqual(JSON.parse(member), JSON.parse(JSON.stringify(object[key])));
      }
    }),
    { numRuns: 500 },
  );
});
