// A real OpenID provider (oidc-provider, OpenID Certified) on 127.0.0.1 for the load script:
// one client (`bench`/`bench-secret`) on the client-credentials grant, and two resource servers
// whose RFC 9068 `at+jwt` access tokens are signed ES256 (`urn:axum-scopes:es256`) and RS256
// (`urn:axum-scopes:rs256`), each granting `items me`. Keys are generated at start.
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
        if (!resource.startsWith('urn:axum-scopes:')) {
          throw new Error(`unknown resource ${resource}`);
        }
        return {
          scope: 'items me',
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
