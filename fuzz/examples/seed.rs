//! Writes the seed corpora: `cargo run --example seed -- <corpus dir>` (see `seed.sh`).
//!
//! Real inputs from the tutorial and the tests: tokens signed with the fixture keys, the
//! tutorial's form, JWKS of the fixture keys, their PEM and DER files. Each file is framed the
//! way its target reads it (first byte: mode and flags).

use std::fs;
use std::path::Path;

use axum_scopes::jsonwebtoken::jwk::Jwk;
use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey};
use axum_scopes_fuzz::{
    AUDIENCE, ES256_HEADER, FAR_FUTURE, HS256_HEADER, HS256_SECRET, ISSUER, TokenInput, b64, forge,
    sign_es256, sign_hs256,
};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/keys");

/// `PyJWT`'s tutorial token (`runtime/src/jwt/keys.rs`).
const PYJWT_TUTORIAL_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqb2huZG9lIiwic2NvcGVzIjpbIm1lIiwiaXRlbXMiXSwiZXhwIjo0MTAyNDQ0ODAwfQ.ocUNIJR9nd2fkH8Dev8yhaAYH8uMh1XhPhfYN6QxJCI";

fn fixture(name: &str) -> Vec<u8> {
    fs::read(format!("{KEYS}/{name}")).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    fs::write(dir.join(name), bytes).expect("seed file");
}

fn framed(first: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend_from_slice(rest);
    out
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus".to_owned());
    let dir = Path::new(&dir);
    axum_scopes::jwt::install_crypto_provider();

    let tutorial = format!(r#"{{"sub":"johndoe","scopes":["me","items"],"exp":{FAR_FUTURE}}}"#);
    let provider = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"alice","scope":"me items","iat":1700000000,"exp":{FAR_FUTURE}}}"#
    );
    let hs256 = forge(HS256_HEADER.as_bytes(), provider.as_bytes(), sign_hs256);
    let es256 = forge(ES256_HEADER.as_bytes(), provider.as_bytes(), sign_es256);

    // authorization_header: place byte, flags byte, then the value.
    let target = "authorization_header";
    let placed = |place: u8, flags: u8, value: &[u8]| {
        let mut out = vec![place, flags];
        out.extend_from_slice(value);
        out
    };
    let bearer = format!("Bearer {hs256}");
    write(
        dir,
        target,
        "bearer-items",
        &placed(0, 0, bearer.as_bytes()),
    );
    write(
        dir,
        target,
        "bearer-maybe-twice",
        &placed(1, 8, bearer.as_bytes()),
    );
    write(
        dir,
        target,
        "bearer-lenient",
        &placed(2, 0, b"bEaReR   a b  "),
    );
    write(dir, target, "basic", &placed(0, 32, b"Basic dXNlcjpwYXNz"));
    write(
        dir,
        target,
        "cookie-post",
        &placed(3, 1 | 2, format!("a=1; session={hs256}").as_bytes()),
    );
    write(
        dir,
        target,
        "cookie-origin-bearer",
        &placed(
            3,
            1 | 4 | 16 | 32,
            format!("session=\"{hs256}\"; session2=x").as_bytes(),
        ),
    );
    write(
        dir,
        target,
        "api-key-cookie",
        &placed(4, 0, b"session=k3y-for-ci-0123456789abcdef"),
    );
    write(
        dir,
        target,
        "api-key-header",
        &placed(5, 16, b"k3y-for-ci-0123456789abcdef"),
    );
    write(
        dir,
        target,
        "api-key-query",
        &placed(6, 1, b"api_key=k3y-for-ci-0123456789abcdef&x=%41+"),
    );
    write(
        dir,
        target,
        "api-key-encoded",
        &placed(7, 0, b"k3y-for-ci-0123456789abcdef"),
    );

    // jwt_hs256: mode byte (TokenInput), then the token or its JSON parts.
    let target = "jwt_hs256";
    write(
        dir,
        target,
        "pyjwt-tutorial",
        &TokenInput::Raw(PYJWT_TUTORIAL_TOKEN.as_bytes()).encode(0),
    );
    write(
        dir,
        target,
        "provider",
        &TokenInput::Raw(hs256.as_bytes()).encode(0),
    );
    write(
        dir,
        target,
        "parts-kid-typ",
        &TokenInput::Parts {
            header: br#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
            payload: provider.as_bytes(),
        }
        .encode(0),
    );
    write(
        dir,
        target,
        "payload-tutorial",
        &TokenInput::Payload(tutorial.as_bytes()).encode(0),
    );
    write(
        dir,
        target,
        "payload-provider",
        &TokenInput::Payload(provider.as_bytes()).encode(0),
    );
    write(
        dir,
        target,
        "payload-odd",
        &TokenInput::Payload(
            format!(r#"{{"iss":["{ISSUER}"],"aud":["x","{AUDIENCE}"],"scope":null,"scopes":["a","a"],"nbf":1,"exp":{FAR_FUTURE}}}"#)
                .as_bytes(),
        )
        .encode(0),
    );

    // jwt_es256: the same shapes, ES256; flags 1 runs every verifier.
    let target = "jwt_es256";
    write(
        dir,
        target,
        "provider",
        &TokenInput::Raw(es256.as_bytes()).encode(1),
    );
    write(
        dir,
        target,
        "parts",
        &TokenInput::Parts {
            header: br#"{"alg":"ES256","kid":"ec","typ":"JWT"}"#,
            payload: provider.as_bytes(),
        }
        .encode(1),
    );
    write(
        dir,
        target,
        "payload-tutorial",
        &TokenInput::Payload(tutorial.as_bytes()).encode(0),
    );
    write(
        dir,
        target,
        "payload-provider",
        &TokenInput::Payload(provider.as_bytes()).encode(1),
    );
    write(
        dir,
        target,
        "hs256-confusion",
        &TokenInput::Raw(hs256.as_bytes()).encode(1),
    );

    // password_form: content-type selector, then the body.
    let target = "password_form";
    write(
        dir,
        target,
        "tutorial",
        &framed(0, b"username=johndoe&password=secret&scope=me items"),
    );
    write(
        dir,
        target,
        "full",
        &framed(
            1,
            b"grant_type=password&username=johndoe&password=secret&scope=me+items%20%20x&client_id=app&client_secret=s3cret",
        ),
    );
    write(
        dir,
        target,
        "repeated-empty",
        &framed(
            2,
            b"username=a&username=&password=p&grant_type=client_credentials&scope=",
        ),
    );
    write(
        dir,
        target,
        "content-type",
        &framed(3, b"application/x-www-form-urlencoded; charset=latin-1\nusername=j%C3%B6hn&password=%ZZ&scope=a%1Fb"),
    );

    // scopes: ScopesClaim selector (% 5), then a payload that is also read as a scope string.
    let target = "scopes";
    write(
        dir,
        target,
        "scope-or-scopes",
        &framed(0, tutorial.as_bytes()),
    );
    write(
        dir,
        target,
        "scope",
        &framed(
            1,
            format!(r#"{{"scope":"me  items items:read !#[]~","exp":{FAR_FUTURE}}}"#).as_bytes(),
        ),
    );
    write(
        dir,
        target,
        "scp-list",
        &framed(
            2,
            format!(r#"{{"scp":["a","b","a"],"exp":{FAR_FUTURE}}}"#).as_bytes(),
        ),
    );
    write(
        dir,
        target,
        "scp-string",
        &framed(
            7,
            format!(r#"{{"scp":"a b","iat":1,"exp":{FAR_FUTURE}}}"#).as_bytes(),
        ),
    );
    write(
        dir,
        target,
        "custom",
        &framed(
            4,
            format!(r#"{{"realm_access":{{"roles":["admin",1]}},"exp":{FAR_FUTURE}}}"#).as_bytes(),
        ),
    );
    write(
        dir,
        target,
        "scope-string",
        &framed(3, b"me items items:read a\"b \\x"),
    );

    // jwks_discovery: mode (% 4) and family (/ 4 % 5), then the key text.
    let target = "jwks_discovery";
    let jwk = |file: &str, alg: Algorithm, kid: &str| {
        let pem = fixture(file);
        let key = match alg {
            Algorithm::RS256 | Algorithm::PS256 => EncodingKey::from_rsa_pem(&pem),
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_ed_pem(&pem),
        }
        .expect("fixture key");
        let mut jwk = Jwk::from_encoding_key(&key, alg).expect("public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        serde_json::to_value(jwk).expect("JWK JSON")
    };
    let oct =
        serde_json::json!({"kty": "oct", "kid": "oct", "alg": "HS256", "k": b64(HS256_SECRET)});
    let jwks = serde_json::json!({"keys": [
        jwk("rsa.key.pem", Algorithm::RS256, "rsa"),
        jwk("ec-p256.key.pem", Algorithm::ES256, "ec"),
        jwk("ec-p384.key.pem", Algorithm::ES384, "ec384"),
        jwk("ed25519.key.pem", Algorithm::EdDSA, "ed"),
        oct,
        {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
    ]});
    write(dir, target, "jwks", &framed(0, jwks.to_string().as_bytes()));
    write(
        dir,
        target,
        "jwk-ec",
        &framed(
            1,
            jwk("ec-p256.key.pem", Algorithm::ES256, "ec")
                .to_string()
                .as_bytes(),
        ),
    );
    write(dir, target, "pem-rsa", &framed(2, &fixture("rsa.pub.pem")));
    write(
        dir,
        target,
        "pem-ec",
        &framed(2 + 4, &fixture("ec-p256.pub.pem")),
    );
    write(
        dir,
        target,
        "der-ed25519",
        &framed(3 + 12, &fixture("ed25519.pub.der")),
    );
    write(dir, target, "der-rsa", &framed(3, &fixture("rsa.pub.der")));
}
