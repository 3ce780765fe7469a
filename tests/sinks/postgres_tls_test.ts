import assert from "node:assert/strict";
import { join } from "node:path";
import { PostgresWriter, type PostgresWriterOptions } from "../../src/sinks/postgres_writer.ts";
import { isPostgresSetupError } from "../../src/sinks/postgres_connection.ts";
import { resolveConnectionUrls } from "../../src/config/resolve_config.ts";
import { validateConfig } from "../../src/config/config_schema.ts";
import type { ObserverConfig, PostgresSinkConfig } from "../../src/config/config_types.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import type { LoggedRecord } from "../../src/sinks/sink.ts";
import {
  CERT_USER,
  type PrivateServer,
  SCRAM_PASSWORD,
  SCRAM_USER,
  startPrivateServer,
  startTlsScramServer,
} from "../helpers/postgres.ts";
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../helpers/certs.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

const noOpenssl = opensslMissing();

/** A batch of `count` logged records, run_ids prefixed by `tag`. */
function batch(tag: string, count: number): LoggedRecord[] {
  const out: LoggedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const snapshot = JSON.parse(snapshotLine(i));
    snapshot.meta.run_id = `${tag}-${i}`;
    const record = { snapshot, metadata: { guard: { action: "PASS" } } };
    out.push({ record, line: JSON.stringify(record) } as unknown as LoggedRecord);
  }
  return out;
}

function writer(options: Omit<PostgresWriterOptions, "name" | "logger">): PostgresWriter {
  return new PostgresWriter({ name: "db", logger: getObserverLogger("sink"), ...options });
}

/** Whether the writer's own session (by its user) is encrypted, as the server sees it. */
async function sessionSsl(server: PrivateServer, user: string): Promise<string> {
  return (await server.psql(
    "SELECT string_agg(s.ssl::text, ',') FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) " +
      `WHERE a.usename = '${user}' AND a.application_name = 'qts-observer'`,
  )).trim();
}

async function rowCount(server: PrivateServer, table: string): Promise<number> {
  return Number((await server.psql(`SELECT count(*) FROM ${table}`)).trim());
}

async function startError(w: PostgresWriter): Promise<Error> {
  try {
    await w.checkStart();
  } catch (error) {
    return error as Error;
  } finally {
    await w.close();
  }
  throw new Error("checkStart did not throw");
}

function assertNoSecret(text: string): void {
  assert.ok(!text.includes(SCRAM_PASSWORD), `the password is printed: ${text}`);
}

Deno.test({
  name:
    "postgres TLS: against a private server with ssl = on and SCRAM logins (hostssl lines only), every mode does what it says",
  ignore: noOpenssl !== undefined,
}, async (t) => {
  const certs: TestCertificates = await makeTestCertificates({ clientName: CERT_USER });
  const server = await startTlsScramServer(certs);
  if (typeof server === "string") {
    console.log(`skipped: postgres TLS test: ${server}`);
    await t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  const at = `127.0.0.1:${server.port}`;
  const scramUrl = (query = "", password = SCRAM_PASSWORD) =>
    `postgres://${SCRAM_USER}:${password}@${at}/postgres${query}`;
  const secrets = await tempDir("pgsecrets");
  try {
    await t.step(
      "sslmode=require in the URL (no tls key) encrypts: pg_stat_ssl says so",
      async () => {
        const w = writer({ url: scramUrl("?sslmode=require"), table: "via_require" });
        try {
          assert.equal(w.tls, "require");
          await w.checkStart();
          assert.deepEqual(await w.deliver(batch("require", 5)), { refused: 0 });
          assert.equal(await sessionSsl(server, SCRAM_USER), "true");
        } finally {
          await w.close();
        }
        assert.equal(await rowCount(server, "via_require"), 5);
      },
    );

    await t.step("verify-full with the CA succeeds, by address and by name", async () => {
      for (const host of ["127.0.0.1", "localhost"]) {
        const w = writer({
          url: `postgres://${SCRAM_USER}:${SCRAM_PASSWORD}@${host}:${server.port}/postgres`,
          tls: "verify-full",
          tlsCaFile: certs.caFile,
          table: "via_verify_full",
        });
        try {
          await w.checkStart();
          await w.deliver(batch(`full-${host}`, 3));
          assert.equal(await sessionSsl(server, SCRAM_USER), "true");
        } finally {
          await w.close();
        }
      }
      assert.equal(await rowCount(server, "via_verify_full"), 6);
    });

    await t.step("verify-full or verify-ca with the wrong CA fails clearly at start", async () => {
      for (const mode of ["verify-full", "verify-ca"] as const) {
        const error = await startError(writer({
          url: scramUrl(`?sslmode=${mode}`),
          tlsCaFile: certs.wrongCaFile,
        }));
        assert.match(
          error.message,
          new RegExp(`certificate of PostgreSQL at ${at} is not signed by the CA in tls_ca_file`),
        );
        assert.ok(error.message.includes(certs.wrongCaFile));
        assert.ok(isPostgresSetupError(error));
        assertNoSecret(error.message);
      }
    });

    await t.step(
      "verify-full without a CA file checks against the built-in roots (which do not have our CA)",
      async () => {
        const error = await startError(writer({ url: scramUrl("?sslmode=verify-full") }));
        assert.match(error.message, /not signed by the built-in root CAs \(set tls_ca_file/);
      },
    );

    await t.step(
      "a wrong password fails clearly at start, without printing either password",
      async () => {
        const error = await startError(writer({
          url: scramUrl("?sslmode=require", "not-the-password"),
        }));
        assert.match(error.message, /refused the password of user qts_scram .*28P01/);
        assert.ok(!error.message.includes("not-the-password"));
        assertNoSecret(error.message);
      },
    );

    await t.step(
      "the password from a file (mode 600) works; a group-readable one is refused",
      async () => {
        const file = join(secrets, "password");
        await Deno.writeTextFile(file, SCRAM_PASSWORD + "\n", { mode: 0o600 });
        await Deno.chmod(file, 0o600);
        const w = writer({
          url: `postgres://${SCRAM_USER}@${at}/postgres`,
          tls: "verify-full",
          tlsCaFile: certs.caFile,
          passwordFile: file,
          table: "via_password_file",
        });
        try {
          await w.checkStart();
          await w.deliver(batch("file", 2));
        } finally {
          await w.close();
        }
        assert.equal(await rowCount(server, "via_password_file"), 2);
        await Deno.chmod(file, 0o640);
        assert.throws(
          () => writer({ url: `postgres://${SCRAM_USER}@${at}/postgres`, passwordFile: file }),
          /password_file: cannot read .*readable by other users \(mode 640\); expected 600/,
        );
      },
    );

    await t.step(
      "the password from password_env (read through the caller's reader) works; an unset variable is named",
      async () => {
        const config = validateConfig({
          sinks: [{
            type: "postgres",
            name: "db",
            url: `postgres://${SCRAM_USER}@${at}/postgres?sslmode=verify-full`,
            tls_ca_file: certs.caFile,
            password_env: "QTS_TEST_PG_PASSWORD",
            table: "via_password_env",
          }],
        }) as ObserverConfig;
        assert.ok(!Array.isArray(config), String(config));
        assert.deepEqual(resolveConnectionUrls(config, () => undefined), [
          "sinks[0].password_env: expected the environment variable QTS_TEST_PG_PASSWORD to hold " +
          "the password, got nothing (unset)",
        ]);
        const resolved = resolveConnectionUrls(
          config,
          (name) => name === "QTS_TEST_PG_PASSWORD" ? SCRAM_PASSWORD : undefined,
        ) as ObserverConfig;
        const sink = resolved.sinks[0] as PostgresSinkConfig;
        const w = writer({ ...sink, url: sink.url! });
        try {
          await w.checkStart();
          await w.deliver(batch("env", 4));
        } finally {
          await w.close();
        }
        assert.equal(await rowCount(server, "via_password_env"), 4);
      },
    );

    await t.step(
      "a client certificate logs in by `cert` authentication (no password)",
      async () => {
        const w = writer({
          url: `postgres://${CERT_USER}@${at}/postgres`,
          tls: "verify-full",
          tlsCaFile: certs.caFile,
          tlsCertFile: certs.clientCertFile,
          tlsKeyFile: certs.clientKeyFile,
          table: "via_client_cert",
        });
        try {
          await w.checkStart();
          await w.deliver(batch("cert", 3));
          assert.equal(await sessionSsl(server, CERT_USER), "true");
        } finally {
          await w.close();
        }
        assert.equal(
          (await server.psql(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'via_client_cert'",
          ))
            .trim(),
          CERT_USER,
        );
        const error = await startError(writer({
          url: `postgres://${CERT_USER}@${at}/postgres`,
          tls: "verify-full",
          tlsCaFile: certs.caFile,
        }));
        assert.match(error.message, /refused the login of user qts_cert .*28000/);
      },
    );

    await t.step(
      "plaintext to a hostssl-only server is refused at start (not an outage)",
      async () => {
        const error = await startError(writer({ url: scramUrl("?sslmode=disable") }));
        assert.match(
          error.message,
          /refused the login of user qts_scram \(tls disable; see its pg_hba\.conf\)/,
        );
        assertNoSecret(error.message);
      },
    );

    await t.step(
      "a server that is down is an outage: checkStart lets the follower retry",
      async () => {
        await server.stop();
        try {
          const w = writer({ url: scramUrl("?sslmode=require") });
          try {
            await w.checkStart();
            await assert.rejects(w.deliver(batch("down", 1)), (error: Error) => {
              assert.ok(!isPostgresSetupError(error), error.message);
              assertNoSecret(error.message);
              return true;
            });
          } finally {
            await w.close();
          }
        } finally {
          await server.start();
        }
      },
    );
    assertNoSecret(await server.log());
  } finally {
    await server.destroy();
  }
});

Deno.test({
  name: "postgres TLS: a mode that requires TLS against a server without it fails clearly at start",
  ignore: noOpenssl !== undefined,
}, async (t) => {
  const certs = await makeTestCertificates({ clientName: CERT_USER });
  const server = await startPrivateServer();
  if (typeof server === "string") {
    console.log(`skipped: postgres TLS test: ${server}`);
    await t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  try {
    for (const [tls, caFile] of [["require", undefined], ["verify-full", certs.caFile]] as const) {
      const error = await startError(writer({
        url: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
        tls,
        tlsCaFile: caFile,
      }));
      assert.match(
        error.message,
        new RegExp(
          `PostgreSQL at 127\\.0\\.0\\.1:${server.port} closed the connection during the TLS ` +
            `handshake \\(tls ${tls}\\): the server may not accept TLS`,
        ),
      );
      assert.ok(isPostgresSetupError(error, tls));
    }
  } finally {
    await server.destroy();
  }
});
