/**
 * `observer.ts serve --tls-cert --tls-key` as a real process with the serve task's flags: a
 * producer on another machine posts over HTTPS with the token; a client that does not trust the
 * certificate, or speaks plain HTTP, gets no answer; only one of the two flags, or a file that is
 * not PEM, exits 2 before anything is opened, without printing the key.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTestCertificates, opensslMissing } from "../helpers/certs.ts";
import { freePort } from "../helpers/net.ts";
import { copyProject, observerDir, runScript, serveNet } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { removeTempDir } from "../helpers/temp.ts";

const noOpenssl = opensslMissing();
const TOKEN = "tls-test-token-0123456789";

Deno.test({
  name:
    "serve with --tls-cert/--tls-key: HTTPS posts with the token are recorded; an untrusted CA or plain HTTP gets nothing",
  ignore: noOpenssl !== undefined,
  async fn() {
    const root = await copyProject();
    const certs = await makeTestCertificates({ dir: await Deno.makeTempDir({ dir: root }) });
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(certs.caFile)] });
    const stranger = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(certs.wrongCaFile)],
    });
    try {
      const service = await startService(
        root,
        [
          "--tls-cert",
          certs.serverCertFile,
          "--tls-key",
          certs.serverKeyFile,
          "--token-env",
          "QTS_TEST_TOKEN",
          "--file",
          "tls.jsonl",
        ],
        { QTS_TEST_TOKEN: TOKEN },
        [],
        client,
      );
      const body = [1, 2, 3].map(snapshotLine).join("\n") + "\n";
      const posted = await fetch(`${service.base}/v1/snapshots`, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${TOKEN}` },
        client,
      });
      const answer = await posted.text();
      assert.equal(posted.status, 200, answer);

      await assert.rejects(
        fetch(`${service.base}/healthz`, { client: stranger }),
        (error: Error) => /certificate|UnknownIssuer|invalid peer/i.test(`${error.cause ?? error}`),
      );
      const plain = await fetch(`http://127.0.0.1:${service.port}/healthz`, {
        signal: AbortSignal.timeout(5_000),
      }).then((r) => r.status, (error: Error) => error.name);
      assert.notEqual(plain, 200, "a plain-HTTP client must not be answered on the TLS port");

      const stopped = await service.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /^summary: written=3 /m);
      const lines = (await Deno.readTextFile(join(observerDir(root), "tls.jsonl")))
        .split("\n").filter((line) => line !== "");
      assert.deepEqual(lines.map((line) => JSON.parse(line).snapshot.meta.run_id), [
        "r1",
        "r2",
        "r3",
      ]);
    } finally {
      client.close();
      stranger.close();
      await removeTempDir(root);
    }
  },
});

Deno.test({
  name:
    "serve: --tls-cert without --tls-key, or a key file that is not PEM, exits 2 naming the flag",
  ignore: noOpenssl !== undefined,
  async fn() {
    const root = await copyProject();
    const certs = await makeTestCertificates({ dir: await Deno.makeTempDir({ dir: root }) });
    try {
      const port = freePort();
      const serve = (args: string[]) =>
        runScript(root, {
          task: "serve",
          script: "observer.ts",
          args: ["serve", "--listen", `127.0.0.1:${port}`, ...args],
          extraNet: serveNet(root, port),
        });
      const alone = await serve(["--tls-cert", certs.serverCertFile]);
      assert.equal(alone.code, 2);
      assert.match(alone.stderr, /--tls-cert and --tls-key: expected both/);

      const key = await Deno.readTextFile(certs.serverKeyFile);
      const swapped = await serve([
        "--tls-cert",
        certs.serverKeyFile,
        "--tls-key",
        certs.serverKeyFile,
      ]);
      assert.equal(swapped.code, 2);
      assert.match(swapped.stderr, /--tls-cert .*server\.key: expected a PEM file/);
      const keyBody = key.split("\n")[1];
      assert.ok(!swapped.stderr.includes(keyBody) && !swapped.stdout.includes(keyBody));
    } finally {
      await removeTempDir(root);
    }
  },
});
