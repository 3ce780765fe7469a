import assert from "node:assert/strict";
import { join } from "node:path";
import { type NatsSinkConfig, type ObserverConfig } from "../../src/config/config_types.ts";
import { resolveConnectionUrls, resolveNatsCredentials } from "../../src/config/resolve_config.ts";
import { validateConfig } from "../../src/config/config_schema.ts";
import { effectiveConfig } from "../../src/config/effective_config.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { natsSecurityMaterial } from "../../src/nats/credentials.ts";
import { natsClientOptions } from "../../src/nats/connect.ts";
import { newNkeyUser } from "../helpers/nats_auth.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

const SECRET = "Pa55-Walrus-9902";

function valid(input: unknown): ObserverConfig {
  const config = validateConfig(input);
  assert.ok(!Array.isArray(config), Array.isArray(config) ? config.join("\n") : "");
  return config;
}

function problemsOf(input: unknown): string {
  const problems = validateConfig(input);
  assert.ok(Array.isArray(problems), "expected problems");
  return problems.join("\n");
}

const natsSink = (extra: Record<string, unknown>) => ({
  sinks: [{ type: "nats", servers: "tls://127.0.0.1:4222", ...extra }],
});

Deno.test("nats security config: each auth kind and tls print back by name and path, never a secret, as a valid configuration", () => {
  for (
    const auth of [
      { user: "alice", password_env: "QTS_NATS_PASSWORD" },
      { user: "alice", password_file: "/run/secrets/nats_password" },
      { token_env: "QTS_NATS_TOKEN" },
      { token_file: "/run/secrets/nats_token" },
      { nkey_seed_env: "QTS_NATS_SEED" },
      { nkey_seed_file: "/run/secrets/user.nk" },
      { creds_file: "/run/secrets/alice.creds" },
    ]
  ) {
    const tls = {
      ca_file: "/etc/qts/ca.pem",
      cert_file: "/etc/qts/c.pem",
      key_file: "/etc/qts/c.key",
    };
    const config = valid({
      nats: { servers: "tls://127.0.0.1:4222", auth, tls },
      ...natsSink({ auth, tls: { ca_file: "/etc/qts/ca.pem" } }),
    });
    const printed = effectiveConfig(config);
    assert.deepEqual(printed.nats?.auth, auth);
    assert.deepEqual(printed.nats?.tls, tls);
    assert.deepEqual(printed.sinks[0].auth, auth);
    assert.deepEqual(printed.sinks[0].tls, {
      ca_file: "/etc/qts/ca.pem",
      cert_file: null,
      key_file: null,
    });
    const again = valid(JSON.parse(JSON.stringify(printed)));
    assert.deepEqual(effectiveConfig(again), printed);
  }
  const plain = effectiveConfig(valid({ sinks: [{ type: "nats", servers: "nats://h:4222" }] }));
  assert.equal(plain.sinks[0].auth, null);
  assert.equal(plain.sinks[0].tls, null);
});

Deno.test("nats security config: one way to authenticate, secrets never inline, cert with key, one scheme; problems named by path, values under auth never shown", () => {
  const text = problemsOf({
    nats: {
      servers: ["tls://a:4222", "nats://b:4222"],
      auth: { user: "alice", password: SECRET },
      tls: { cert_file: "c.pem" },
    },
    sinks: [
      {
        type: "nats",
        servers: "nats://h",
        auth: { user: "alice", password_env: "QTS_P", token_env: "QTS_T" },
      },
      { type: "nats", servers: "nats://h", auth: { password_env: "QTS_P" } },
      { type: "nats", servers: "nats://h", auth: { user: "alice" } },
      { type: "nats", servers: "nats://h", auth: { token_env: SECRET } },
      { type: "nats", servers: "nats://h", auth: { token_file: "t", token_env: "QTS_T" } },
      { type: "nats", servers: "nats://h", auth: {} },
      { type: "nats", servers: "nats://h", auth: { nkey_seed: SECRET, token: SECRET } },
      { type: "nats", servers: "nats://h", tls: { ca_file: "", verify: false } },
    ],
  });
  assert.ok(!text.includes(SECRET), text);
  const expect = (pattern: RegExp) => assert.match(text, pattern);
  expect(
    /^nats\.servers: expected every server with the same scheme \(all tls:\/\/ or all nats:\/\/\)/m,
  );
  expect(
    /^nats\.auth\.password: expected no secret in the configuration: name a file \(password_file\) or an environment variable \(password_env\) that holds it, got one written here \(not shown\)$/m,
  );
  expect(/^nats\.tls\.key_file: expected cert_file and key_file together/m);
  expect(
    /^sinks\[0\]\.auth: expected one way to authenticate, got 2 \(user and password, token\): keep one/m,
  );
  expect(
    /^sinks\[1\]\.auth\.user: expected a user name with password_file or password_env, got nothing/m,
  );
  expect(/^sinks\[2\]\.auth: expected password_file or password_env with user, got neither/m);
  expect(
    /^sinks\[3\]\.auth\.token_env: expected the name of an environment variable \(letters, digits, _; the tasks may read QTS_\* and PG\* only\), got a string \(not shown: values under auth are never printed\)$/m,
  );
  expect(/^sinks\[4\]\.auth\.token_env: expected one of token_file and token_env, got both/m);
  expect(
    /^sinks\[5\]\.auth: expected one way to authenticate: user with password_file or password_env, token_file or token_env, nkey_seed_file or nkey_seed_env, or creds_file, got none/m,
  );
  expect(/^sinks\[6\]\.auth\.nkey_seed: expected no secret .*nkey_seed_file.*nkey_seed_env/m);
  expect(/^sinks\[6\]\.auth\.token: expected no secret .*token_file.*token_env/m);
  expect(/^sinks\[7\]\.tls\.ca_file: expected a file path, got "" \(string\)/m);
  expect(/^sinks\[7\]\.tls\.verify: expected no such field/m);
});

Deno.test("nats security config: relative files are relative to the configuration file's directory", async () => {
  const dir = await tempDir("nats-config");
  try {
    const file = join(dir, "nats.jsonc");
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        nats: {
          servers: "tls://127.0.0.1:4222",
          auth: { creds_file: "secrets/alice.creds" },
          tls: { ca_file: "certs/ca.pem", cert_file: "/abs/c.pem", key_file: "certs/c.key" },
        },
        sinks: [{
          type: "nats",
          servers: "tls://127.0.0.1:4222",
          auth: { user: "alice", password_file: "../pw" },
        }],
      }),
    );
    const printed = effectiveConfig(await loadConfig(file));
    assert.deepEqual(printed.nats?.auth, { creds_file: join(dir, "secrets/alice.creds") });
    assert.deepEqual(printed.nats?.tls, {
      ca_file: join(dir, "certs/ca.pem"),
      cert_file: "/abs/c.pem",
      key_file: join(dir, "certs/c.key"),
    });
    assert.deepEqual(printed.sinks[0].auth, { user: "alice", password_file: join(dir, "../pw") });
  } finally {
    await removeTempDir(dir);
  }
});

Deno.test("nats security config: secrets are read when the configuration is resolved; a missing one is named with its path, variable or file, and what was expected", async () => {
  const dir = await tempDir("nats-secrets");
  try {
    const passwordFile = join(dir, "password");
    await Deno.writeTextFile(passwordFile, `${SECRET}\n`, { mode: 0o600 });
    const seed = newNkeyUser().seed;
    const config = valid({
      nats: { servers: "nats://h", auth: { nkey_seed_env: "QTS_SEED" } },
      sinks: [
        { type: "nats", servers: "nats://h", auth: { user: "alice", password_file: passwordFile } },
        { type: "nats", servers: "nats://h", auth: { token_env: "QTS_TOKEN" } },
      ],
    });
    const env: Record<string, string> = { QTS_SEED: seed, QTS_TOKEN: "tok-1" };
    const resolved = resolveConnectionUrls(config, (name) => env[name]);
    assert.ok(!Array.isArray(resolved), String(resolved));
    const sink = resolved.sinks[0] as NatsSinkConfig;
    assert.ok(sink.credentials !== undefined);
    // The trailing line end of the file is not part of the password.
    assert.deepEqual(natsSecurityMaterial(sink.credentials).auth, {
      kind: "user_password",
      user: "alice",
      password: SECRET,
    });
    const options = natsClientOptions({
      servers: ["nats://h:4222"],
      name: "t",
      timeout: 1000,
      credentials: (resolved.sinks[1] as NatsSinkConfig).credentials,
    });
    assert.equal(options.token, "tok-1");
    assert.equal(options.tls, undefined);
    assert.equal(
      typeof natsClientOptions({
        servers: ["nats://h:4222"],
        name: "t",
        timeout: 1000,
        credentials: resolved.nats?.credentials,
      }).authenticator,
      "function",
    );
    // The resolved configuration prints and serializes without the secrets.
    const shown = [
      JSON.stringify(resolved),
      Deno.inspect(resolved, { depth: 10 }),
      JSON.stringify(effectiveConfig(resolved)),
    ].join("\n");
    for (const secret of [SECRET, seed, "tok-1"]) assert.ok(!shown.includes(secret), shown);

    const missing = resolveNatsCredentials(config, (name) => {
      if (name === "QTS_TOKEN") throw new Error("no permission to read it");
      return undefined;
    }, (path) => {
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): readfile '${path}'`);
    }, () => 0o600);
    assert.ok(Array.isArray(missing));
    assert.deepEqual(missing, [
      "nats.auth.nkey_seed_env: expected the environment variable QTS_SEED to hold a user NKey seed (SU...), got nothing (unset)",
      `sinks[0].auth.password_file: expected a readable file holding a password, but cannot read ${passwordFile}: No such file or directory (os error 2): readfile '${passwordFile}'`,
      "sinks[1].auth.token_env: cannot read the environment variable QTS_TOKEN (no permission to read it): the tasks may read only QTS_* and PG* variables; name one of those, or run with --allow-env=QTS_TOKEN",
    ]);
  } finally {
    await removeTempDir(dir);
  }
});

Deno.test("nats security config: the contents of secret and TLS files are checked, never shown", async () => {
  const dir = await tempDir("nats-contents");
  try {
    const write = async (name: string, text: string, mode = 0o600) => {
      const path = join(dir, name);
      await Deno.writeTextFile(path, text, { mode });
      return path;
    };
    const open = await write("open", `${SECRET}\n`, 0o644);
    const empty = await write("empty", "\n");
    const twoLines = await write("two", `${SECRET}\nmore\n`);
    const badSeed = await write("seed", `SA${SECRET}\n`);
    const badCreds = await write("creds", `${SECRET}\n`);
    const notPem = await write("ca", SECRET);
    const encrypted = await write("key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIx\n");
    const config = valid({
      nats: {
        servers: "nats://h",
        auth: { user: "u", password_file: empty },
        tls: { ca_file: notPem, cert_file: notPem, key_file: encrypted },
      },
      sinks: [
        { type: "nats", servers: "nats://h", auth: { token_file: twoLines } },
        { type: "nats", servers: "nats://h", auth: { nkey_seed_file: badSeed } },
        { type: "nats", servers: "nats://h", auth: { creds_file: badCreds } },
        { type: "nats", servers: "nats://h", auth: { token_env: "QTS_EMPTY" } },
        { type: "nats", servers: "nats://h", auth: { token_file: open } },
      ],
    });
    const problems = resolveNatsCredentials(
      config,
      (name) => name === "QTS_EMPTY" ? "" : undefined,
    );
    assert.ok(Array.isArray(problems));
    const text = problems.join("\n");
    assert.ok(!text.includes(SECRET), text);
    assert.match(
      text,
      new RegExp(
        `^sinks\\[0\\]\\.auth\\.token_file: expected ${twoLines} to hold a token on one line, got several lines \\(not shown\\)$`,
        "m",
      ),
    );
    assert.match(
      text,
      /^sinks\[1\]\.auth\.nkey_seed_file: expected a user NKey seed \(58 characters, starting with SU\) from the file .*, got something else \(not shown\)$/m,
    );
    assert.match(text, /^sinks\[2\]\.auth\.creds_file: expected .* to be a NATS credentials file/m);
    assert.match(
      text,
      /^sinks\[3\]\.auth\.token_env: expected the environment variable QTS_EMPTY to hold a token, got nothing \(empty\)$/m,
    );
    assert.match(
      text,
      new RegExp(
        `^nats\\.auth\\.password_file: expected ${empty} to hold a password, got nothing$`,
        "m",
      ),
    );
    assert.ok(
      text.includes(
        `sinks[4].auth.token_file: expected ${open} to be readable by its owner only (mode 600 ` +
          `or less: it holds a token), got mode 644 (chmod 600 ${open})`,
      ),
      text,
    );
    assert.match(
      text,
      /^nats\.tls\.ca_file: expected .* to hold PEM certificates \(-----BEGIN CERTIFICATE-----\), got something else$/m,
    );
    assert.match(text, /^nats\.tls\.cert_file: expected .* to hold PEM certificates/m);
    assert.match(
      text,
      /^nats\.tls\.key_file: expected an unencrypted PEM private key in .*, got an encrypted one \(not supported\)$/m,
    );
  } finally {
    await removeTempDir(dir);
  }
});
