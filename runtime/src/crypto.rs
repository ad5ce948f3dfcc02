//! `jsonwebtoken`'s crypto provider, installed once for the backend the cargo features chose:
//! what every signature check and HMAC of the crate runs on.

use std::sync::Once;

use jsonwebtoken::crypto::CryptoProvider;

/// Installs `jsonwebtoken`'s process-wide crypto provider for the backend this crate was
/// built with: `aws-lc-rs` when its feature is on (the default), else `rust-crypto`. Every
/// `JwtKeys` constructor and `Authenticator` build calls it; call it
/// yourself before using `jsonwebtoken` directly. A provider installed earlier is kept.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = CryptoProvider::install_default(provider());
    });
}

/// The provider of the backend chosen by the cargo features.
#[cfg(feature = "aws-lc-rs")]
fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
}

/// The provider of the backend chosen by the cargo features.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
}
