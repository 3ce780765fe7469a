/**
 * The scripts as a user runs them (their tasks' permission flags) against a NATS server that
 * requires TLS with client certificates and a password: `config check`, `stream create`, and a
 * recording whose `nats` sink follows the log to it; and the wrong password, the wrong CA, a
 * missing secret file and a variable the tasks may not read. No output of any run holds a secret.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../src/nats/connect.ts";
import { readNatsCredentials } from "../../src/nats/credentials.ts";
import { natsServerUnavailable, startNatsServer } from "../helpers/nats.ts";
import { userPasswordBlock } from "../helpers/nats_auth.ts";
import { makeTestCertificates, opensslMissing } from "../helpers/certs.ts";
import { natsServerTlsBlock } from "../helpers/nats_tls.ts";
import { copyProject, parseSummaryLine, runScript, type ScriptRun } from "../helpers/project.ts";
import { removeTempDir } from "../helpers/temp.ts";

const unavailable = natsServerUnavailable();
const noOpenssl = opensslMissing();

const PASSWORD = "pw-Narwhal-5521-secret";
const WRONG_PASSWORD = "pw-Wrong-0077-secret";

Deno.test({
  name: "nats TLS and auth end to end: config check shows names only; stream create and a " +
    "recording's nats sink work over TLS with a client certificate and a password from a " +
    "variable; the wrong password (stream create, a sink) or CA, a missing secret file or a " +
    "variable the task may not read exit 2 saying what and where; no secret in any output",
  ignore: unavailable !== undefined || noOpenssl !== undefined,
  async fn() {
    const root = await copyProject();
    const secrets = join(root, "secrets");
    await Deno.mkdir(secrets);
    const certs = await makeTestCertificates({ dir: secrets });
    const server = await startNatsServer({
      config: natsServerTlsBlock(certs, true) + userPasswordBlock("alice", PASSWORD),
    });
    const runs: ScriptRun[] = [];
    try {
      const url = `tls://127.0.0.1:${server.port}`;
      const auth = { user: "alice", password_env: "QTS_NATS_PASSWORD" };
      // Relative to the configuration file's directory (the project root).
      const tls = {
        ca_file: "secrets/ca.pem",
        cert_file: "secrets/client.pem",
        key_file: "secrets/client.key",
      };
      const writeConfig = async (
        name: string,
        nats: Record<string, unknown>,
        sink: Record<string, unknown> = nats,
      ) => {
        const path = join(root, name);
        await Deno.writeTextFile(
          path,
          JSON.stringify({
            nats: {
              servers: url,
              ...nats,
              stream: { name: "QTS_SECURE", subjects: ["qts.snapshots.>"], storage: "memory" },
            },
            sinks: [
              { type: "jsonl", file: "secure.jsonl" },
              { type: "nats", name: "bus", servers: [url], ...sink },
            ],
          }),
        );
        return path;
      };
      const good = await writeConfig("secure.json", { auth, tls });
      const net = [`127.0.0.1:${server.port}`];
      const run = async (
        task: "observer" | "run",
        args: string[],
        password: string | null = PASSWORD,
      ) => {
        const result = await runScript(root, {
          task,
          script: task === "run" ? "main.ts" : "observer.ts",
          args,
          extraNet: net,
          env: password === null ? {} : { QTS_NATS_PASSWORD: password },
        });
        runs.push(result);
        return result;
      };

      const check = await run("observer", ["config", "check", good]);
      assert.equal(check.code, 0, check.stderr);
      const printed = JSON.parse(check.stdout);
      assert.deepEqual(printed.nats.auth, auth);
      assert.deepEqual(printed.sinks[1].tls, {
        ca_file: join(root, "secrets/ca.pem"),
        cert_file: join(root, "secrets/client.pem"),
        key_file: join(root, "secrets/client.key"),
      });

      const created = await run("observer", ["stream", "create", "--config", good]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^stream QTS_SECURE: created /m);

      const recorded = await run("run", ["--config", good, "--ticks", "5", "--symbols", "005930"]);
      assert.equal(recorded.code, 0, recorded.stderr);
      assert.equal(parseSummaryLine(recorded.stdout).records, "5");
      assert.match(recorded.stdout, /^sink bus: type=nats written=5 /m);
      const credentials = readNatsCredentials(
        {
          auth: { kind: "user_password", user: "alice", password: { env: "P" } },
          tls: {
            caFile: certs.caFile,
            certFile: certs.clientCertFile,
            keyFile: certs.clientKeyFile,
          },
        },
        {
          readEnv: () => PASSWORD,
          readFile: Deno.readFileSync,
          fileMode: (path) => Deno.statSync(path).mode,
        },
        "test",
      );
      assert.ok(!Array.isArray(credentials));
      const nc = await connectNats({ servers: [url], name: "check", timeout: 5000, credentials });
      try {
        const info = await (await jetstreamManager(nc)).streams.info("QTS_SECURE");
        assert.equal(info.state.messages, 5);
      } finally {
        await nc.close();
      }

      const refused = await run("observer", ["stream", "create", "--config", good], WRONG_PASSWORD);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /refused the credentials \(.*Authorization Violation.*\): expected it to accept nats\.auth, user "alice" with the password from the environment variable QTS_NATS_PASSWORD/,
      );

      // A sink the server refuses stops the run at start, as stream create does.
      const refusedSink = await run(
        "run",
        ["--config", good, "--ticks", "2", "--symbols", "005930"],
        WRONG_PASSWORD,
      );
      assert.equal(refusedSink.code, 2, refusedSink.stderr);
      assert.match(
        refusedSink.stderr,
        /sink bus: NATS at tls:\/\/127\.0\.0\.1:\d+ refused the credentials \(.*Authorization Violation.*\): expected it to accept sinks\[1\]\.auth, user "alice"/,
      );

      const wrongCa = await run("observer", [
        "stream",
        "create",
        "--config",
        await writeConfig("wrong_ca.json", {
          auth,
          tls: { ...tls, ca_file: "secrets/wrong-ca.pem" },
        }),
      ]);
      assert.equal(wrongCa.code, 2, wrongCa.stderr);
      assert.match(
        wrongCa.stderr,
        /cannot verify the TLS certificate of NATS at tls:\/\/127\.0\.0\.1:\d+/,
      );
      assert.ok(
        wrongCa.stderr.includes(`nats.tls.ca_file (${join(root, "secrets/wrong-ca.pem")})`),
        wrongCa.stderr,
      );

      const noFile = await run("run", [
        "--config",
        await writeConfig("no_file.json", { auth, tls }, {
          auth: { user: "alice", password_file: "secrets/missing" },
          tls,
        }),
      ]);
      assert.equal(noFile.code, 2, noFile.stderr);
      assert.ok(
        noFile.stderr.includes(
          `sinks[1].auth.password_file: expected a readable file holding a password, but ` +
            `cannot read ${join(root, "secrets/missing")}`,
        ),
        noFile.stderr,
      );

      const notAllowed = await run("observer", [
        "stream",
        "create",
        "--config",
        await writeConfig("not_allowed.json", {
          auth: { user: "alice", password_env: "NATS_PASSWORD" },
          tls,
        }),
      ]);
      assert.equal(notAllowed.code, 2, notAllowed.stderr);
      assert.match(
        notAllowed.stderr,
        /nats\.auth\.password_env: cannot read the environment variable NATS_PASSWORD \(.*QTS_\*.*\): .*run with --allow-env=NATS_PASSWORD/,
      );

      const unset = await run("observer", ["stream", "create", "--config", good], null);
      assert.equal(unset.code, 2, unset.stderr);
      assert.match(
        unset.stderr,
        /nats\.auth\.password_env: expected the environment variable QTS_NATS_PASSWORD to hold a password, got nothing \(unset\)/,
      );

      const keyLines = (await Deno.readTextFile(certs.clientKeyFile)).split("\n").slice(1, -2);
      for (const result of runs) {
        const output = result.stdout + result.stderr;
        for (const secret of [PASSWORD, WRONG_PASSWORD, ...keyLines.filter((l) => l.length > 8)]) {
          assert.ok(!output.includes(secret), `a secret shows in: ${output}`);
        }
      }
    } finally {
      await server.destroy();
      await removeTempDir(root);
    }
  },
});
