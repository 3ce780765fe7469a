/**
 * Throwaway certificates for the TLS tests (PostgreSQL, NATS, the service), made with `openssl`
 * at test time: a CA, a server certificate for 127.0.0.1 and localhost signed by it, a client
 * certificate signed by it, and a second CA with its own client certificate, which signed
 * nothing the server trusts (the "wrong CA" and the "stranger" client).
 *
 * @module
 */

import { join } from "node:path";
import { tempDir } from "./temp.ts";

/** The files {@linkcode makeTestCertificates} writes (absolute paths, PEM). */
export interface TestCertificates {
  /** The directory holding them all. */
  readonly dir: string;
  /** The CA that signed the server and client certificates. */
  readonly caFile: string;
  /** A CA that signed neither. */
  readonly wrongCaFile: string;
  /** The server's certificate (SAN: IP 127.0.0.1, DNS localhost). */
  readonly serverCertFile: string;
  /** The server's key. */
  readonly serverKeyFile: string;
  /** A client certificate the CA signed (CN: the client name given). */
  readonly clientCertFile: string;
  /** Its key. */
  readonly clientKeyFile: string;
  /** A client certificate signed by the wrong CA. */
  readonly strangerCertFile: string;
  /** Its key. */
  readonly strangerKeyFile: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** Why the TLS tests cannot run here (no `openssl`), or undefined; prints the reason. */
export function opensslMissing(): string | undefined {
  try {
    const output = new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (output.success) return undefined;
  } catch {
    // not installed
  }
  const reason = "skipped: needs openssl to make throwaway certificates";
  console.log(reason);
  return reason;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

async function makeLeaf(
  dir: string,
  ca: string,
  name: string,
  cn: string,
  extensions: string,
): Promise<void> {
  await openssl(dir, [
    "req",
    ...EC_KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
  await Deno.chmod(join(dir, `${name}.key`), 0o600);
}

const SERVER_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
  "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n";

const CLIENT_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
  "extendedKeyUsage=clientAuth\n";

/**
 * Makes the certificates in `dir` (an existing directory the caller removes), or in a fresh
 * temporary directory (removed when the test process ends). `clientName` is the client
 * certificate's CN: for PostgreSQL's `cert` authentication, the role it logs in as.
 */
export async function makeTestCertificates(
  options: { readonly dir?: string; readonly clientName?: string } = {},
): Promise<TestCertificates> {
  const dir = options.dir ?? await tempDir("certs");
  await makeCa(dir, "ca");
  await makeCa(dir, "wrong-ca");
  await makeLeaf(dir, "ca", "server", "localhost", SERVER_EXTENSIONS);
  await makeLeaf(dir, "ca", "client", options.clientName ?? "qts-client", CLIENT_EXTENSIONS);
  await makeLeaf(dir, "wrong-ca", "stranger", "stranger", CLIENT_EXTENSIONS);
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    wrongCaFile: join(dir, "wrong-ca.pem"),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.pem"),
    clientKeyFile: join(dir, "client.key"),
    strangerCertFile: join(dir, "stranger.pem"),
    strangerKeyFile: join(dir, "stranger.key"),
  };
}
