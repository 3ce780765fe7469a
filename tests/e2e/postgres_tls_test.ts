import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, parseFieldsLine, runScript, type ScriptRun } from "../helpers/project.ts";
import {
  CERT_USER,
  type PrivateServer,
  SCRAM_PASSWORD,
  SCRAM_USER,
  startTlsScramServer,
} from "../helpers/postgres.ts";
import { makeTestCertificates, opensslMissing, type TestCertificates } from "../helpers/certs.ts";
import { snapshotLine, writeSnapshotFile } from "../helpers/snapshot_file.ts";
import { startService } from "../helpers/service.ts";
import { waitFor } from "../helpers/wait.ts";

const noOpenssl = opensslMissing();

const WRONG_PASSWORD = "Wrong-pw-77c1d0e4f3";

/** Fails when any of the texts holds a password. */
function assertNoPassword(what: string, ...texts: string[]): void {
  for (const text of texts) {
    for (const secret of [SCRAM_PASSWORD, WRONG_PASSWORD]) {
      assert.ok(!text.includes(secret), `${what} prints a password: ${text}`);
    }
  }
}

/**
 * A project copy holding the CA (`pg/ca.crt`, or the wrong one), a password file
 * (`pg/password`, mode 600) and `pg.jsonc`, whose postgres sink names them relative to itself.
 */
async function project(
  server: PrivateServer,
  certs: TestCertificates,
  sink: Record<string, unknown>,
  options: { password?: string; wrongCa?: boolean } = {},
) {
  const root = await copyProject();
  await Deno.mkdir(join(root, "pg"));
  await Deno.copyFile(options.wrongCa ? certs.wrongCaFile : certs.caFile, join(root, "pg/ca.crt"));
  await Deno.writeTextFile(join(root, "pg/password"), (options.password ?? SCRAM_PASSWORD) + "\n", {
    mode: 0o600,
  });
  await Deno.chmod(join(root, "pg/password"), 0o600);
  const config = join(root, "pg.jsonc");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      sinks: [
        { type: "jsonl", name: "log", file: "tls_log.jsonl" },
        { type: "postgres", name: "db", table: "tls_records", ...sink },
      ],
    }),
  );
  const input = join(root, "in.jsonl");
  await writeSnapshotFile(input, 40);
  return { root, config, input, extraNet: [`127.0.0.1:${server.port}`] };
}

async function count(server: PrivateServer, table: string): Promise<number> {
  return Number((await server.psql(`SELECT count(*) FROM ${table}`)).trim());
}

Deno.test({
  name:
    "postgres TLS end to end: observer.ts records to a TLS + SCRAM server (verify-full, password file, then password_env and serve); no output, log or status shows the password; bad credentials exit 2",
  ignore: noOpenssl !== undefined,
}, async (t) => {
  const certs = await makeTestCertificates({ clientName: CERT_USER });
  const server = await startTlsScramServer(certs);
  if (typeof server === "string") {
    console.log(`skipped: postgres TLS e2e: ${server}`);
    await t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  const url = `postgres://${SCRAM_USER}@127.0.0.1:${server.port}/postgres`;
  try {
    await t.step(
      "verify-full with tls_ca_file and password_file (both relative to the configuration): every record in, exit 0",
      async () => {
        const p = await project(server, certs, {
          url: `${url}?sslmode=verify-full`,
          tls_ca_file: "pg/ca.crt",
          password_file: "pg/password",
        });
        const check = await runScript(p.root, {
          task: "observer",
          script: "observer.ts",
          args: ["config", "check", p.config],
        });
        assert.equal(check.code, 0, check.stderr);
        const printed = JSON.parse(check.stdout).sinks[1];
        assert.equal(printed.tls, "verify-full");
        assert.equal(printed.tls_ca_file, join(p.root, "pg/ca.crt"));
        assert.equal(printed.password_file, join(p.root, "pg/password"));
        const run = await runScript(p.root, {
          task: "observer",
          script: "observer.ts",
          args: ["--config", p.config, "--input", p.input, "--log-level", "debug"],
          extraNet: p.extraNet,
        });
        assert.equal(run.code, 0, run.stderr);
        const db = parseFieldsLine(run.stdout, "sink db");
        assert.deepEqual([db.written, db.state, db.behind], ["40", "finished", "0"]);
        assert.equal(await count(server, "tls_records"), 40);
        assertNoPassword(
          "config check and the run",
          check.stdout,
          check.stderr,
          run.stdout,
          run.stderr,
        );
        // The server saw a TLS session of the SCRAM user (log_connections).
        assert.match(
          await server.log(),
          new RegExp(`connection authorized: user=${SCRAM_USER} database=postgres .*SSL enabled`),
        );
      },
    );

    await t.step(
      "password_env and sslmode=require in the URL: observer.ts serve delivers; /v1/status, /metrics and the stop's summary show no password",
      async () => {
        const p = await project(server, certs, {
          url: `${url}?sslmode=require`,
          password_env: "QTS_TEST_PG_PASSWORD",
          table: "tls_served",
        });
        const service = await startService(
          p.root,
          ["--config", p.config],
          { QTS_TEST_PG_PASSWORD: SCRAM_PASSWORD },
          p.extraNet,
        );
        let stopped: ScriptRun | undefined;
        try {
          let body = "";
          for (let i = 0; i < 25; i++) body += snapshotLine(i) + "\n";
          const posted = await fetch(`${service.base}/v1/snapshots?ack=durable`, {
            method: "POST",
            body,
          });
          assert.equal(posted.status, 200, await posted.text());
          await waitFor("the follower to deliver", async () => {
            const status = await (await fetch(`${service.base}/v1/status`)).json();
            return status.followers[0].delivered === 25;
          });
          const status = await (await fetch(`${service.base}/v1/status`)).text();
          const metrics = await (await fetch(`${service.base}/metrics`)).text();
          assertNoPassword("/v1/status and /metrics", status, metrics);
        } finally {
          stopped = await service.stop();
        }
        assert.equal(stopped.code, 0, stopped.stderr);
        assertNoPassword("serve", stopped.stdout, stopped.stderr);
        assert.equal(await count(server, "tls_served"), 25);
      },
    );

    await t.step(
      "a wrong password, a wrong CA, or TLS modes that disagree: exit 2 at start with a clear message, no password printed",
      async () => {
        const cases: [
          string,
          Record<string, unknown>,
          { password?: string; wrongCa?: boolean },
          RegExp,
        ][] = [
          [
            "wrong password",
            {
              url: `${url}?sslmode=verify-full`,
              tls_ca_file: "pg/ca.crt",
              password_file: "pg/password",
            },
            { password: WRONG_PASSWORD },
            /error: sink db: PostgreSQL at 127\.0\.0\.1:\d+ refused the password of user qts_scram .*28P01/,
          ],
          [
            "wrong CA",
            { url, tls: "verify-full", tls_ca_file: "pg/ca.crt", password_file: "pg/password" },
            { wrongCa: true },
            /error: sink db: the certificate of PostgreSQL at 127\.0\.0\.1:\d+ is not signed by the CA in tls_ca_file/,
          ],
          [
            "sslmode and tls disagree",
            { url: `${url}?sslmode=require`, tls: "disable", password_file: "pg/password" },
            {},
            /sinks\[1\]\.tls: expected one TLS mode .*got sslmode=require in the URL \(url\) and "tls": "disable"/,
          ],
        ];
        for (const [what, sink, options, expected] of cases) {
          const p = await project(server, certs, sink, options);
          const run = await runScript(p.root, {
            task: "observer",
            script: "observer.ts",
            args: ["--config", p.config, "--input", p.input],
            extraNet: p.extraNet,
          });
          assert.equal(run.code, 2, `${what}: ${run.stderr}`);
          assert.match(run.stderr, expected, what);
          assertNoPassword(what, run.stdout, run.stderr);
        }
      },
    );
    assertNoPassword("the server log", await server.log());
  } finally {
    await server.destroy();
  }
});
