/**
 * The `tls` block of a `nats-server` configuration for the throwaway certificates of
 * {@linkcode makeTestCertificates}.
 *
 * @module
 */

import type { TestCertificates } from "./certs.ts";

/**
 * The `tls` block of a `nats-server` configuration with `certs`: TLS required, and with
 * `verifyClients` every client must show a certificate the CA signed.
 */
export function natsServerTlsBlock(certs: TestCertificates, verifyClients: boolean): string {
  return `tls {
  cert_file: ${JSON.stringify(certs.serverCertFile)}
  key_file: ${JSON.stringify(certs.serverKeyFile)}
  ca_file: ${JSON.stringify(certs.caFile)}
  verify: ${verifyClients}
  timeout: 5
}
`;
}
