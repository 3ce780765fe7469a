/**
 * Authorization for private `nats-server` processes in tests: the configuration blocks of a user
 * and password, a token and an NKey user, and operator (JWT) mode with a memory resolver, whose
 * operator, accounts and users are minted here with `@nats-io/jwt` and `@nats-io/nkeys`.
 *
 * @module
 */

import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";

/** `authorization` with one user and password. */
export function userPasswordBlock(user: string, password: string): string {
  return `authorization { users = [ { user: ${JSON.stringify(user)}, password: ${
    JSON.stringify(password)
  } } ] }\n`;
}

/** `authorization` with one token. */
export function tokenBlock(token: string): string {
  return `authorization { token: ${JSON.stringify(token)} }\n`;
}

/** An NKey user: its seed (the secret) and public key (what the server knows). */
export interface NkeyUser {
  /** `SU...`. */
  readonly seed: string;
  /** `U...`. */
  readonly publicKey: string;
}

/** A fresh NKey user. */
export function newNkeyUser(): NkeyUser {
  const user = createUser();
  return { seed: new TextDecoder().decode(user.getSeed()), publicKey: user.getPublicKey() };
}

/** `authorization` with NKey users. */
export function nkeyBlock(...publicKeys: string[]): string {
  return `authorization { users = [ ${
    publicKeys.map((key) => `{ nkey: ${JSON.stringify(key)} }`).join(", ")
  } ] }\n`;
}

/** Operator mode: the server's configuration and creds files of users. */
export interface OperatorMode {
  /** The `operator`, `system_account` and memory `resolver` lines (the operator JWT inline). */
  readonly config: string;
  /** Creds of a user of the account the server knows (JetStream enabled). */
  readonly creds: string;
  /** Creds of a user of an account the server does not know. */
  readonly strangerCreds: string;
  /** The seed inside `creds` (to check it never shows). */
  readonly seed: string;
}

/** No limits on the account (the JWT defaults allow no JetStream). */
const OPEN_LIMITS = {
  subs: -1,
  conn: -1,
  leaf: -1,
  imports: -1,
  exports: -1,
  data: -1,
  payload: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** Mints an operator, its system account, one account with JetStream and users. */
export async function operatorMode(): Promise<OperatorMode> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const stranger = createAccount();
  const operatorJwt = await encodeOperator("qts-test", operator, {
    system_account: system.getPublicKey(),
  });
  const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
  const accountJwt = await encodeAccount(
    "QTS",
    account,
    // deno-lint-ignore no-explicit-any
    { limits: OPEN_LIMITS as any },
    { signer: operator },
  );
  const user = createUser();
  const strangerUser = createUser();
  const creds = fmtCreds(await encodeUser("alice", user, account), user);
  const strangerCreds = fmtCreds(
    await encodeUser("mallory", strangerUser, stranger),
    strangerUser,
  );
  const config = `operator: ${JSON.stringify(operatorJwt)}
system_account: ${system.getPublicKey()}
resolver: MEMORY
resolver_preload: {
  ${system.getPublicKey()}: ${JSON.stringify(systemJwt)}
  ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}
}
`;
  const decoder = new TextDecoder();
  return {
    config,
    creds: decoder.decode(creds),
    strangerCreds: decoder.decode(strangerCreds),
    seed: decoder.decode(user.getSeed()),
  };
}
