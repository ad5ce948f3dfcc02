// A real OpenID provider (oidc-provider, OpenID Certified) on 127.0.0.1, for the tests
// (tests/tests/mcp.rs) and the load script (benchmarks/load.sh): one client
// (`bench`/`bench-secret`) on the client-credentials grant. A token's audience is the resource
// it was asked for (RFC 8707 `resource`): `urn:axum-scopes:es256` and `urn:axum-scopes:rs256`
// give RFC 9068 `at+jwt` tokens signed ES256 and RS256; any `http://127.0.0.1:<port>/..`
// resource (a server of the tests) gets ES256 ones. Each may be granted `items me tools`.
// Keys are generated at start.
//
//   node provider.mjs PORT
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 4000);
const issuer = `http://127.0.0.1:${port}`;

function signingKey(type, options, alg, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, kid, use: 'sig' };
}

const keys = [
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256', 'bench-es256'),
  signingKey('rsa', { modulusLength: 2048 }, 'RS256', 'bench-rs256'),
];

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys },
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:axum-scopes:es256',
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (!resource.startsWith('urn:axum-scopes:') && !resource.startsWith('http://127.0.0.1:')) {
          throw new Error(`unknown resource ${resource}`);
        }
        return {
          scope: 'items me tools',
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: resource.endsWith('rs256') ? 'RS256' : 'ES256' } },
        };
      },
    },
  },
});
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider on ${issuer}`);
});
