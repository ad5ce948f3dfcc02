// A real OpenID provider (oidc-provider, OpenID Certified) on 127.0.0.1, for the tests (the
// modules mcp, oidc_client_credentials, oidc_rotation and oidc_browser of tests/tests/it/), the
// examples and the load script (benchmarks/load.sh).
//
// Clients:
// - `bench`/`bench-secret` on the client-credentials grant;
// - `docs`, a public client (no secret, PKCE) on the authorization-code grant, for Swagger UI:
//   its redirect URIs are OIDC_DOCS_REDIRECT_URIS (comma-separated), by default
//   `http://127.0.0.1:8080/docs/oauth2-redirect` (the auth_code_docs example). Its login and
//   consent pages are oidc-provider's development ones: any login and password sign in;
// - `rs`/`rs-secret`, a resource server: it gets no token, it only introspects (HTTP Basic or
//   client_id and client_secret in the form).
//
// A token's audience is the resource it was asked for (RFC 8707 `resource`):
// `urn:axum-scopes:es256` and `urn:axum-scopes:rs256` give RFC 9068 `at+jwt` tokens signed ES256
// and RS256; any other `urn:axum-scopes:..` or `http://127.0.0.1:<port>..` resource (a server of
// the tests) gets tokens signed with the first key's algorithm. Each may be granted `items me tools`
// and `reports:read reports:write` (the client_credentials_service example).
// `urn:axum-scopes:opaque` gives opaque tokens instead, living OIDC_OPAQUE_TTL seconds (600 by
// default; the others live an hour): `rs` (or the token's own client) introspects them at
// /token/introspection (RFC 7662) and their client revokes them at /token/revocation (RFC 7009),
// both listed by the discovery document.
//
// DPoP (RFC 9449): a token request that carries a `DPoP` proof header gets `token_type: DPoP` and
// an access token bound to the proof's key: `cnf.jkt` (its RFC 7638 thumbprint) in a JWT access
// token and in the introspection answer of an opaque one. Requests without the header get Bearer
// tokens as before. No nonce is demanded (and none accepted: no nonce secret); a proof's `iat` must
// be within 5 minutes of the provider's clock, and its `jti` is not accepted twice. dpop-client.mjs
// beside this file is a DPoP client for the tests.
//
// Keys are generated at start: by default `ES256:bench-es256,RS256:bench-rs256`; OIDC_PROVIDER_KEYS
// gives another list of `ALG:kid` (ES256 or RS256), so a restart can rotate to new keys.
//
//   node provider.mjs PORT            # 0: a free port, named on stdout's first line
//   OIDC_PROVIDER_KEYS=RS256:rotated node provider.mjs PORT
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

// Port 0: the system picks a free one, and the first line on stdout names it. (A port found
// free beforehand can be taken before node binds it, by any outgoing connection's ephemeral
// port: the tests let the provider choose.)
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.argv[2] ?? 4000), '127.0.0.1', resolve);
});
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

function signingKey(alg, kid) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), alg, kid, use: 'sig' };
}

const keySpec = process.env.OIDC_PROVIDER_KEYS ?? 'ES256:bench-es256,RS256:bench-rs256';
const keys = keySpec.split(',').map((entry) => {
  const [alg, kid] = entry.split(':');
  if (!['ES256', 'RS256'].includes(alg) || !kid) {
    throw new Error(`OIDC_PROVIDER_KEYS: \`${entry}\` is not ES256:kid or RS256:kid`);
  }
  return signingKey(alg, kid);
});
const firstAlg = keys[0].alg;
// oidc-provider's default for ID tokens is RS256, which a key set without an RSA key cannot sign.
const idTokenAlg = keys.some((key) => key.alg === 'RS256') ? 'RS256' : firstAlg;

const opaqueTTL = Number(process.env.OIDC_OPAQUE_TTL ?? 600);

const docsRedirects = (process.env.OIDC_DOCS_REDIRECT_URIS ?? 'http://127.0.0.1:8080/docs/oauth2-redirect')
  .split(',');

function signingAlg(resource) {
  if (resource === 'urn:axum-scopes:es256') return 'ES256';
  if (resource === 'urn:axum-scopes:rs256') return 'RS256';
  return firstAlg;
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: idTokenAlg,
    },
    {
      client_id: 'docs',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: docsRedirects,
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: idTokenAlg,
    },
    {
      client_id: 'rs',
      client_secret: 'rs-secret',
      grant_types: [],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys },
  // Every login names an account: the development login page accepts any login and password.
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: true },
    // On by default in oidc-provider 9, stated here as the tests rely on it. requireNonce stays
    // false and no nonceSecret is set: the provider never answers `use_dpop_nonce`.
    dPoP: { enabled: true, requireNonce: () => false },
    introspection: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => client.clientId === 'rs' || client.clientId === token.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => client.clientId === token.clientId,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:axum-scopes:es256',
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (!resource.startsWith('urn:axum-scopes:') && !resource.startsWith('http://127.0.0.1:')) {
          throw new Error(`unknown resource ${resource}`);
        }
        const scope = 'items me tools reports:read reports:write';
        if (resource === 'urn:axum-scopes:opaque') {
          return { scope, audience: resource, accessTokenTTL: opaqueTTL, accessTokenFormat: 'opaque' };
        }
        return {
          scope,
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signingAlg(resource) } },
        };
      },
    },
  },
});
server.on('request', provider.callback());
console.log(`oidc-provider on ${issuer}`);
