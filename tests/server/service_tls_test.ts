/**
 * The service with TLS: a throwaway certificate made by `openssl` at test time; clients that
 * trust it (Deno.connectTls with caCerts, fetch with an HTTP client of that CA) are answered
 * through the connection guard (which ends TLS), a client speaking plain HTTP to the port is not,
 * and the same-origin check expects `https://`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openPipeline } from "../../src/app/pipeline.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { startObserverServer } from "../../src/server/observer_server.ts";
import { readUntilClosed } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";
import { makeTestCertificates, opensslMissing } from "../helpers/certs.ts";

const noOpenssl = opensslMissing();

Deno.test({
  name:
    "service with TLS: trusted clients are answered (raw TLS and fetch), records are written, a plain-HTTP client gets nothing, and the origin check expects https",
  ignore: noOpenssl !== undefined,
  async fn() {
    const root = await tempDir("tls");
    const certs = await makeTestCertificates({ dir: root });
    const tls = {
      cert: await Deno.readTextFile(certs.serverCertFile),
      key: await Deno.readTextFile(certs.serverKeyFile),
    };
    const ca = await Deno.readTextFile(certs.caFile);
    const pipeline = await openPipeline({ root });
    const server = await startObserverServer({
      pipeline,
      hostname: "127.0.0.1",
      port: 0,
      tls,
      socketPath: join(root, "data", "observer", ".serve.sock"),
      logger: getObserverLogger("server"),
    });
    const port = server.port;
    const client = Deno.createHttpClient({ caCerts: [ca] });
    try {
      // A raw TLS connection that trusts the certificate.
      const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca] });
      await conn.write(
        new TextEncoder().encode(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
      );
      const health = await readUntilClosed(conn, 10_000);
      assert.match(health, /^HTTP\/1\.1 200/);
      assert.match(health, /\{"ok":true\}/);

      // fetch over https: a POST recorded, with the service's own https origin.
      const body = [0, 1, 2].map((i) => snapshotLine(i)).join("\n") + "\n";
      const posted = await fetch(`https://127.0.0.1:${port}/v1/snapshots?ack=durable`, {
        method: "POST",
        body,
        client,
        headers: { origin: `https://127.0.0.1:${port}` },
      });
      assert.equal(posted.status, 200);
      assert.equal((await posted.json()).accepted, 3);
      const file = await Deno.readTextFile(join(root, "data", "observer", "observer.jsonl"));
      assert.equal(file.trimEnd().split("\n").length, 3);

      // The plain-http origin of the same host is another origin.
      const foreign = await fetch(`https://127.0.0.1:${port}/v1/snapshots`, {
        method: "POST",
        body,
        client,
        headers: { origin: `http://127.0.0.1:${port}` },
      });
      assert.equal(foreign.status, 403);
      await foreign.body?.cancel();

      // Plain HTTP to the TLS port: no HTTP answer, the connection just ends.
      const plain = await Deno.connect({ hostname: "127.0.0.1", port });
      await plain.write(
        new TextEncoder().encode(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
      );
      assert.doesNotMatch(await readUntilClosed(plain, 10_000), /HTTP\/1\.1/);
      const again = await fetch(`https://127.0.0.1:${port}/healthz`, { client });
      assert.equal(again.status, 200, "still serving");
      await again.body?.cancel();
    } finally {
      client.close();
      await server.shutdown();
      await pipeline.close();
    }
  },
});
