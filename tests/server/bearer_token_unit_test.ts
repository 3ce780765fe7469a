import assert from "node:assert/strict";
import fc from "fast-check";
import { hasBearerToken, isLoopback } from "../../src/server/bearer_token.ts";

function withAuthorization(value: string | undefined): Request {
  const headers = new Headers();
  if (value !== undefined) headers.set("authorization", value);
  return new Request("http://127.0.0.1/v1/snapshots", { headers });
}

/** A token as a header may carry it: visible ASCII, no space. */
const token = fc.stringMatching(/^[!-~]{1,64}$/);

Deno.test("hasBearerToken: the scheme in any case, one or more spaces, trailing white space", async () => {
  for (const header of ["Bearer s3cret", "bearer s3cret", "BEARER   s3cret", "Bearer s3cret \t"]) {
    assert.equal(await hasBearerToken(withAuthorization(header), "s3cret"), true, header);
  }
});

Deno.test("hasBearerToken: no header, another scheme, no token, a token with more after it are refused", async () => {
  const refused = [
    undefined,
    "",
    "Basic czNjcmV0",
    "Bearer",
    "Bearer ",
    "Bearers3cret",
    "Bearer s3cret extra",
    "Token s3cret",
  ];
  for (const header of refused) {
    assert.equal(await hasBearerToken(withAuthorization(header), "s3cret"), false, `${header}`);
  }
});

Deno.test("hasBearerToken: an empty expected token never matches a missing one", async () => {
  // A missing header reads as the empty token; the compare must still refuse it.
  assert.equal(await hasBearerToken(withAuthorization(undefined), ""), false);
  assert.equal(await hasBearerToken(withAuthorization("Bearer "), ""), false);
});

Deno.test("hasBearerToken: true exactly when the given token equals the expected one (property)", async () => {
  await fc.assert(
    fc.asyncProperty(token, token, async (given, expected) => {
      const answer = await hasBearerToken(withAuthorization(`Bearer ${given}`), expected);
      assert.equal(answer, given === expected);
    }),
    { numRuns: 300 },
  );
});

Deno.test("hasBearerToken: a token that differs in one character, or is a prefix or extension, is refused (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      token,
      fc.nat(),
      fc.constantFrom("flip", "prefix", "extend"),
      async (expected, at, how) => {
        const i = at % expected.length;
        const given = how === "prefix"
          ? expected.slice(0, i)
          : how === "extend"
          ? expected + "x"
          : expected.slice(0, i) +
            String.fromCharCode(((expected.charCodeAt(i) - 0x21 + 1) % 94) + 0x21) +
            expected.slice(i + 1);
        assert.notEqual(given, expected);
        assert.equal(await hasBearerToken(withAuthorization(`Bearer ${given}`), expected), false);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("isLoopback: 127.0.0.0/8, ::1 (bare or bracketed) and localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "[::1]", "localhost"]) {
    assert.equal(isLoopback(host), true, host);
  }
  const reachable = [
    "0.0.0.0",
    "::",
    "[::]",
    "10.0.0.1",
    "192.168.1.10",
    "128.0.0.1",
    "1127.0.0.1",
    "127.0.0.1.example.com",
    "127.0.0",
    "localhost.example.com",
    "LOCALHOST.evil",
    "",
  ];
  for (const host of reachable) assert.equal(isLoopback(host), false, host);
});

Deno.test("isLoopback: every dotted quad is loopback exactly when its first part is 127 (property)", () => {
  fc.assert(
    fc.property(fc.ipV4(), (address) => {
      assert.equal(isLoopback(address), address.split(".")[0] === "127");
    }),
    { numRuns: 1000 },
  );
});
