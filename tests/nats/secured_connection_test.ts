/**
 * NATS connections with TLS and each kind of authentication, against real `nats-server`
 * processes configured for them: the connection works (and publishes to JetStream) with the
 * right material, and fails with a message that says what was expected where, never holding a
 * secret, with the wrong one.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { getObserverLogger } from "../../src/log/logging.ts";
import { connectNats, NatsConnectError } from "../../src/nats/connect.ts";
import { type NatsCredentials, readNatsCredentials } from "../../src/nats/credentials.ts";
import type { NatsSecuritySpec } from "../../src/nats/security_spec.ts";
import { NatsWriter } from "../../src/nats/nats_writer.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import { applyStream } from "../../src/nats/stream_setup.ts";
import { type NatsServer, natsServerUnavailable, startNatsServer } from "../helpers/nats.ts";
import {
  newNkeyUser,
  nkeyBlock,
  operatorMode,
  tokenBlock,
  userPasswordBlock,
} from "../helpers/nats_auth.ts";
import { makeTestCertificates, opensslMissing } from "../helpers/certs.ts";
import { natsServerTlsBlock } from "../helpers/nats_tls.ts";
import { recordLine, syntheticRecord } from "../helpers/snapshot_file.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

const unavailable = natsServerUnavailable();
const noOpenssl = opensslMissing();
const logger = getObserverLogger("test");

const PASSWORD = "pw-Zebra-7731-secret";
/** How a file holding a secret is written: readable by its owner only. */
const SECRET_FILE = { mode: 0o600 };
const TOKEN = "tok-Quokka-4410-secret";

/** Credentials of `spec`, reading files for real and environment variables from `env`. */
function credentialsOf(
  spec: NatsSecuritySpec,
  env: Record<string, string> = {},
): NatsCredentials {
  const credentials = readNatsCredentials(
    spec,
    {
      readEnv: (name) => env[name],
      readFile: Deno.readFileSync,
      fileMode: (path) => Deno.statSync(path).mode,
    },
    "nats",
  );
  if (Array.isArray(credentials)) throw new Error(credentials.join("\n"));
  return credentials;
}

/** The error `connectNats` throws (fails the test when it connects). */
async function connectError(
  server: string,
  credentials: NatsCredentials | undefined,
): Promise<NatsConnectError> {
  try {
    const nc = await connectNats({
      servers: [server],
      name: "qts-test",
      timeout: 2000,
      credentials,
      reconnect: false,
    });
    await nc.close();
  } catch (error) {
    assert.ok(error instanceof NatsConnectError, String(error));
    return error;
  }
  throw new Error("expected the connection to fail, but it worked");
}

/** Fails when any secret shows in `text`. */
function assertNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `a secret shows in: ${text}`);
  }
}

/** Connects, makes a stream and delivers two records through a NatsWriter; checks they landed. */
async function publishThrough(server: string, credentials: NatsCredentials): Promise<void> {
  const nc = await connectNats({ servers: [server], name: "qts-test", timeout: 5000, credentials });
  try {
    const jsm = await jetstreamManager(nc);
    await applyStream(jsm, { ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] });
    await using writer = new NatsWriter({ servers: [server], name: "bus", logger, credentials });
    const delivery = await writer.deliver([0, 1].map((i) => ({
      record: syntheticRecord(i),
      line: recordLine(i),
    })));
    assert.deepEqual(delivery, { refused: 0 });
    assert.equal((await jsm.streams.info(NATS_STREAM_DEFAULTS.name)).state.messages, 2);
  } finally {
    await nc.close();
  }
}

async function withServer(
  config: string,
  fn: (server: NatsServer) => Promise<void>,
): Promise<void> {
  const server = await startNatsServer({ config });
  try {
    await fn(server);
  } finally {
    await server.destroy();
  }
}

Deno.test({
  name: "nats TLS: a tls:// server verifying client certificates, with a password: publishes " +
    "with the CA, the client certificate and the password; the wrong password, the wrong CA, " +
    "no client certificate and one the server's CA did not sign each fail saying so, no secret shown",
  ignore: unavailable !== undefined || noOpenssl !== undefined,
  async fn() {
    const dir = await tempDir("nats-tls");
    try {
      const certs = await makeTestCertificates({ dir: dir });
      const passwordFile = join(dir, "password");
      await Deno.writeTextFile(passwordFile, `${PASSWORD}\n`, SECRET_FILE);
      const keyText = await Deno.readTextFile(certs.clientKeyFile);
      const keyLine = keyText.split("\n")[1];
      const secrets = [PASSWORD, keyLine];
      const config = natsServerTlsBlock(certs, true) + userPasswordBlock("alice", PASSWORD);
      await withServer(config, async (server) => {
        const url = `tls://127.0.0.1:${server.port}`;
        const auth = {
          kind: "user_password",
          user: "alice",
          password: { file: passwordFile },
        } as const;
        const tls = {
          caFile: certs.caFile,
          certFile: certs.clientCertFile,
          keyFile: certs.clientKeyFile,
        };
        const good = credentialsOf({ auth, tls });
        // The credentials object never shows its material.
        for (const shown of [JSON.stringify(good), String(good), Deno.inspect(good)]) {
          assertNoSecret(shown, secrets);
        }
        await publishThrough(url, good);
        // localhost is in the certificate too.
        const viaName = await connectNats({
          servers: [`tls://localhost:${server.port}`],
          name: "qts-test",
          timeout: 5000,
          credentials: good,
        });
        await viaName.close();

        const wrongPassword = await connectError(
          url,
          credentialsOf({
            auth: { kind: "user_password", user: "alice", password: { env: "QTS_PW" } },
            tls,
          }, { QTS_PW: "not-the-password" }),
        );
        assert.equal(wrongPassword.kind, "auth");
        assert.match(wrongPassword.message, /refused the credentials \(.*Authorization Violation/i);
        assert.match(
          wrongPassword.message,
          /nats\.auth, user "alice" with the password from the environment variable QTS_PW/,
        );
        assertNoSecret(wrongPassword.message, [...secrets, "not-the-password"]);

        const wrongCa = await connectError(
          url,
          credentialsOf({ auth, tls: { ...tls, caFile: certs.wrongCaFile } }),
        );
        assert.equal(wrongCa.kind, "tls");
        assert.match(
          wrongCa.message,
          /cannot verify the TLS certificate of NATS at tls:\/\/127\.0\.0\.1:\d+/,
        );
        assert.ok(
          wrongCa.message.includes(`nats.tls.ca_file (${certs.wrongCaFile})`),
          wrongCa.message,
        );
        assertNoSecret(wrongCa.message, secrets);

        const systemCa = await connectError(url, credentialsOf({ auth }));
        assert.equal(systemCa.kind, "tls");
        assert.match(
          systemCa.message,
          /a CA this system trusts \(for a private CA, set nats\.tls\.ca_file\)/,
        );

        const noCertificate = await connectError(
          url,
          credentialsOf({ auth, tls: { caFile: certs.caFile } }),
        );
        assert.equal(noCertificate.kind, "tls");
        assert.match(
          noCertificate.message,
          /requires a client certificate .*expected nats\.tls\.cert_file and nats\.tls\.key_file/,
        );

        const stranger = await connectError(
          url,
          credentialsOf({
            auth,
            tls: {
              caFile: certs.caFile,
              certFile: certs.strangerCertFile,
              keyFile: certs.strangerKeyFile,
            },
          }),
        );
        assert.equal(stranger.kind, "tls");
        assert.ok(
          stranger.message.includes(
            `did not accept the client certificate nats.tls.cert_file (${certs.strangerCertFile})`,
          ),
          stranger.message,
        );
        assertNoSecret(stranger.message, secrets);
      });
    } finally {
      await removeTempDir(dir);
    }
  },
});

Deno.test({
  name: "nats TLS: a tls:// URL to a server without TLS fails saying the server offers none",
  ignore: unavailable !== undefined,
  async fn() {
    const server = await startNatsServer();
    try {
      const error = await connectError(`tls://127.0.0.1:${server.port}`, undefined);
      assert.equal(error.kind, "tls");
      assert.match(error.message, /does not offer TLS .*expected TLS, as the tls:\/\/ URL asks/);
    } finally {
      await server.destroy();
    }
  },
});

Deno.test({
  name: "nats auth: a token from a file or a variable; the wrong one and none are refused, " +
    "saying what was expected, never showing the token",
  ignore: unavailable !== undefined,
  async fn() {
    const dir = await tempDir("nats-token");
    try {
      const tokenFile = join(dir, "token");
      await Deno.writeTextFile(tokenFile, TOKEN, SECRET_FILE);
      await withServer(tokenBlock(TOKEN), async (server) => {
        await publishThrough(
          server.url,
          credentialsOf({ auth: { kind: "token", token: { file: tokenFile } } }),
        );
        const fromEnv = credentialsOf({ auth: { kind: "token", token: { env: "QTS_T" } } }, {
          QTS_T: TOKEN,
        });
        const nc = await connectNats({
          servers: [server.url],
          name: "t",
          timeout: 5000,
          credentials: fromEnv,
        });
        await nc.close();
        const wrong = await connectError(
          server.url,
          credentialsOf({ auth: { kind: "token", token: { env: "QTS_T" } } }, {
            QTS_T: "tok-wrong-123",
          }),
        );
        assert.equal(wrong.kind, "auth");
        assert.match(
          wrong.message,
          /refused the credentials .*token from the environment variable QTS_T/,
        );
        assertNoSecret(wrong.message, [TOKEN, "tok-wrong-123"]);
        const none = await connectError(server.url, undefined);
        assert.equal(none.kind, "auth");
        assert.match(
          none.message,
          /requires credentials .*expected an "auth" object in the configuration/,
        );
      });
    } finally {
      await removeTempDir(dir);
    }
  },
});

Deno.test({
  name: "nats auth: an NKey seed signs the server's nonce; a seed the server does not know is " +
    "refused, the seed never shown",
  ignore: unavailable !== undefined,
  async fn() {
    const dir = await tempDir("nats-nkey");
    try {
      const user = newNkeyUser();
      const seedFile = join(dir, "user.nk");
      await Deno.writeTextFile(seedFile, `${user.seed}\n`, SECRET_FILE);
      await withServer(nkeyBlock(user.publicKey), async (server) => {
        await publishThrough(
          server.url,
          credentialsOf({ auth: { kind: "nkey", seed: { file: seedFile } } }),
        );
        const other = newNkeyUser();
        const wrong = await connectError(
          server.url,
          credentialsOf({ auth: { kind: "nkey", seed: { env: "QTS_SEED" } } }, {
            QTS_SEED: other.seed,
          }),
        );
        assert.equal(wrong.kind, "auth");
        assert.match(wrong.message, /NKey seed from the environment variable QTS_SEED/);
        assertNoSecret(wrong.message, [user.seed, other.seed]);
      });
    } finally {
      await removeTempDir(dir);
    }
  },
});

Deno.test({
  name: "nats auth: a .creds file (operator mode, memory resolver) publishes to JetStream; a " +
    "user of an account the server does not know is refused, the creds never shown",
  ignore: unavailable !== undefined,
  async fn() {
    const dir = await tempDir("nats-creds");
    try {
      const operator = await operatorMode();
      const credsFile = join(dir, "alice.creds");
      const strangerFile = join(dir, "mallory.creds");
      await Deno.writeTextFile(credsFile, operator.creds, SECRET_FILE);
      await Deno.writeTextFile(strangerFile, operator.strangerCreds, SECRET_FILE);
      await withServer(operator.config, async (server) => {
        await publishThrough(
          server.url,
          credentialsOf({ auth: { kind: "creds", file: credsFile } }),
        );
        const wrong = await connectError(
          server.url,
          credentialsOf({ auth: { kind: "creds", file: strangerFile } }),
        );
        assert.equal(wrong.kind, "auth");
        assert.ok(wrong.message.includes(`the credentials file ${strangerFile}`), wrong.message);
        assertNoSecret(wrong.message, [operator.seed, operator.creds.split("\n")[1]]);
      });
    } finally {
      await removeTempDir(dir);
    }
  },
});
