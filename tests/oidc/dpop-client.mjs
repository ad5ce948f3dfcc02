// A DPoP client (RFC 9449) for the tests, on panva's `dpop` package: a co-process that the Rust
// tests drive over stdin and stdout, one JSON object a line. It runs from the directory that holds
// node_modules (target/oidc-provider, where tests/run-all.sh copies it beside provider.mjs).
//
//   node dpop-client.mjs ISSUER RESOURCE SCOPE
//
// At start it generates an ES256 key pair (extractable), asks ISSUER/token for a client_credentials
// token as `bench`/`bench-secret` (client_secret_post) for SCOPE and RESOURCE with a DPoP proof
// for POST ISSUER/token (once more with the nonce if the provider answers `use_dpop_nonce`), and
// prints one line:
//
//   {"access_token": "...", "token_type": "DPoP", "jkt": "<RFC 7638 SHA-256 thumbprint of the
//    public key>", "public_jwk": {"kty": "EC", "crv": "P-256", "x": "...", "y": "..."},
//    "private_key_pem": "-----BEGIN PRIVATE KEY-----\n... (PKCS#8)"}
//
// or, when no token could be had, {"error": "..."} and it exits with status 1.
//
// Then, for each line read on stdin:
//
//   {"htm": "GET", "htu": "http://127.0.0.1:PORT/path", "nonce": "...", "ath": true, "token": "..."}
//
// (`nonce` optional; `ath` optional, true by default: the proof carries `ath`, the base64url
// SHA-256 of the access token, or of `token` when given; false: no `ath`), it prints one line
// {"proof": "<compact JWS>"}: a fresh proof (new `jti`, `iat` now) signed with the key above,
// header {"alg": "ES256", "typ": "dpop+jwt", "jwk": <the public key>}. A line it cannot serve
// gets {"error": "..."} and it goes on. Empty lines are skipped. At the end of stdin it exits.
import { KeyObject } from 'node:crypto';
import { createInterface } from 'node:readline';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';

// stdout is a pipe here: Node writes to pipes synchronously on Linux, so each line leaves at once.
function say(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function message(error) {
  return error instanceof Error ? error.message : String(error);
}

const [issuerArg, resource, scope] = process.argv.slice(2);
if (!issuerArg || !resource || scope === undefined) {
  say({ error: 'usage: node dpop-client.mjs ISSUER RESOURCE SCOPE' });
  process.exit(2);
}
const issuer = issuerArg.replace(/\/+$/, '');
const tokenEndpoint = `${issuer}/token`;

const keyPair = await generateKeyPair('ES256', { extractable: true });

async function requestToken(nonce) {
  const proof = await generateProof(keyPair, tokenEndpoint, 'POST', nonce);
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'bench',
      client_secret: 'bench-secret',
      scope,
      resource,
    }),
  });
  const body = await response.json().catch(() => ({}));
  return { response, body };
}

let token;
try {
  let { response, body } = await requestToken(undefined);
  const nonce = response.headers.get('dpop-nonce');
  if (!response.ok && body.error === 'use_dpop_nonce' && nonce) {
    ({ response, body } = await requestToken(nonce));
  }
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new Error(`token request answered ${response.status}: ${JSON.stringify(body)}`);
  }
  token = body;
} catch (error) {
  say({ error: `no token from ${tokenEndpoint}: ${message(error)}` });
  process.exit(1);
}

const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
say({
  access_token: token.access_token,
  token_type: token.token_type,
  jkt: await calculateThumbprint(keyPair.publicKey),
  public_jwk: { kty, crv, x, y },
  private_key_pem: KeyObject.from(keyPair.privateKey).export({ type: 'pkcs8', format: 'pem' }),
});

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  try {
    const request = JSON.parse(line);
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      throw new Error('a request is a JSON object');
    }
    const { htm, htu, nonce, ath = true, token: boundToken } = request;
    if (typeof htm !== 'string' || typeof htu !== 'string') {
      throw new Error('`htm` and `htu` must be strings');
    }
    if (nonce !== undefined && nonce !== null && typeof nonce !== 'string') {
      throw new Error('`nonce` must be a string');
    }
    if (typeof ath !== 'boolean') {
      throw new Error('`ath` must be a boolean');
    }
    if (boundToken !== undefined && boundToken !== null && typeof boundToken !== 'string') {
      throw new Error('`token` must be a string');
    }
    const accessToken = ath ? (boundToken ?? token.access_token) : undefined;
    say({ proof: await generateProof(keyPair, htu, htm, nonce ?? undefined, accessToken) });
  } catch (error) {
    say({ error: message(error) });
  }
}
