//! The OAuth 2.0 password flow: the token endpoint's form ([`OAuth2PasswordRequestForm`],
//! `FastAPI`'s, with its 422 answer) and bounded bcrypt password verification.
//!
//! bcrypt is deliberately slow and CPU-bound, so a flood of `POST /token` requests could
//! otherwise occupy every core and starve unrelated routes. [`PasswordVerifier`] runs each
//! verification on tokio's blocking pool, caps how many run at once, and sheds load with a
//! `503 Service Unavailable` instead of queueing without bound.

mod form;
mod rejection;
mod schema;

pub use self::form::{OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict};
pub use self::rejection::{OAuth2FormRejection, RequestValidationError, ValidationIssue};

use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tokio::sync::Semaphore;

use crate::rejection::HttpError;

/// How long [`PasswordVerifier::verify`] waits for a free verification slot before it gives up
/// with [`PasswordError::Overloaded`], unless changed with [`PasswordVerifier::max_wait`].
///
/// A cost-12 bcrypt verification takes roughly a quarter of a second on one core, so 100 ms
/// absorbs a short burst (a slot that is about to free up) while keeping the worst added
/// latency of a rejected login small; anything longer is effectively an unbounded queue under
/// a sustained flood.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(100);

/// Seconds sent in the `Retry-After` header of an [`PasswordError::Overloaded`] response.
const RETRY_AFTER_SECS: &str = "1";

/// bcrypt only keys on the first 72 bytes of a password; anything beyond is silently ignored by
/// the algorithm itself.
const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// Verified against when the user does not exist, so that an unknown username costs the same
/// bcrypt work as a wrong password and response time does not reveal which usernames exist.
/// Generated once with `bcrypt::hash(_, 12)`; its cost must track the cost of real hashes.
/// The plaintext is irrelevant: an unknown user is rejected whatever this verification says.
const DUMMY_HASH: &str = "$2b$12$79ounkcNgTS.dxr1iWXq9etilCE1RZ5VvgyKHDK43d6DagktUYEqm";

/// Verifies passwords against bcrypt hashes without letting login traffic monopolise the CPU.
///
/// Each verification runs on tokio's blocking thread pool (never on the async executor) and
/// needs a slot from a shared semaphore:
///
/// - **Concurrency bound**: at most [`max_concurrent`](Self::max_concurrent) verifications run
///   at once; the default is [`std::thread::available_parallelism`] minus one (at least 1),
///   leaving a core for the rest of the server.
/// - **Load shedding**: a call that cannot get a slot within [`max_wait`](Self::max_wait)
///   (default [`DEFAULT_MAX_WAIT`], 100 ms) fails with [`PasswordError::Overloaded`], which
///   renders as `503 Service Unavailable` with `Retry-After: 1`.
/// - **Cancellation safety**: the slot is owned by the blocking task, so if the request future
///   is dropped (client disconnect) the slot is released only when the bcrypt work actually
///   finishes. Capacity neither leaks nor is over-committed.
///
/// Cloning is cheap and clones share the same slots, so put one verifier in axum state.
/// Configure it *before* cloning: the setters replace the semaphore, and clones made earlier keep
/// the old one.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use axum_scopes::PasswordVerifier;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), axum_scopes::password::PasswordError> {
/// let verifier = PasswordVerifier::new()
///     .max_concurrent(2)
///     .max_wait(Duration::from_millis(50));
///
/// // Cost 4 keeps the example fast; store cost-12 hashes in real deployments.
/// let stored = "$2b$04$CKqIfQoVnN3w2RJwwutbfO.TKfZ6fHXju7PY9cjgIhkaZH36BQKBC";
/// assert!(verifier.verify("secret", Some(stored)).await?);
/// assert!(!verifier.verify("wrong", Some(stored)).await?);
/// // Unknown user: same bcrypt cost as a real check, always rejected.
/// assert!(!verifier.verify("secret", None).await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct PasswordVerifier {
    slots: Arc<Semaphore>,
    max_wait: Duration,
}

impl Default for PasswordVerifier {
    /// Same as [`PasswordVerifier::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordVerifier {
    /// Creates a verifier allowing [`std::thread::available_parallelism`] minus one concurrent
    /// verifications (at least 1; 1 if the parallelism cannot be determined) and waiting at most
    /// [`DEFAULT_MAX_WAIT`] (100 ms) for a slot.
    #[must_use]
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self {
            slots: Arc::new(Semaphore::new(Self::clamp_slots(cores.saturating_sub(1)))),
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// Sets how many verifications may run at once.
    ///
    /// `0` is treated as `1`, because a verifier with no slots would reject every login; values
    /// above tokio's semaphore limit are capped to it. This creates a fresh set of slots, so call
    /// it before the verifier is cloned or shared.
    #[must_use]
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.slots = Arc::new(Semaphore::new(Self::clamp_slots(n)));
        self
    }

    /// Sets how long a verification waits for a free slot before failing with
    /// [`PasswordError::Overloaded`]. The default is [`DEFAULT_MAX_WAIT`] (100 ms).
    ///
    /// [`Duration::ZERO`] means "only if a slot is free right now".
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    fn clamp_slots(n: usize) -> usize {
        n.clamp(1, Semaphore::MAX_PERMITS)
    }

    /// Checks `password` against the stored bcrypt `hash`; `Ok(true)` only on a match.
    ///
    /// - `hash: None` means the user does not exist: a fixed cost-12 dummy hash is verified
    ///   instead, so the response takes as long as a wrong password, then `Ok(false)` is
    ///   returned.
    /// - A password longer than bcrypt's 72-byte limit is rejected with `Ok(false)` rather than
    ///   being truncated (which would accept any suffix after a correct 72-byte prefix). The
    ///   stored hash is still verified against the first 72 bytes and the outcome discarded, so
    ///   timing does not reveal the length rule.
    /// - An empty password is always `Ok(false)`, after the same amount of work.
    /// - Passwords are bytes, so non-UTF-8 input is simply a (failed) login, never an error.
    ///
    /// # Errors
    ///
    /// - [`PasswordError::Overloaded`] if no slot frees up within the configured `max_wait`.
    /// - [`PasswordError::InvalidHash`] if the stored hash is not a valid bcrypt hash.
    /// - [`PasswordError::TaskFailed`] if the blocking task panicked or was cancelled.
    pub async fn verify(
        &self,
        password: impl AsRef<[u8]>,
        hash: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let password = password.as_ref();
        // Only 73 bytes are ever needed (72 for bcrypt plus "is it longer?"), so an attacker's
        // megabyte-long password is neither copied nor kept around.
        let too_long = password.len() > BCRYPT_MAX_PASSWORD_BYTES;
        let mut key = [0u8; BCRYPT_MAX_PASSWORD_BYTES];
        let key_len = password.len().min(BCRYPT_MAX_PASSWORD_BYTES);
        key[..key_len].copy_from_slice(&password[..key_len]);
        let hash = hash.map(str::to_owned);

        let permit = match tokio::time::timeout(
            self.max_wait,
            Arc::clone(&self.slots).acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => {
                // Nothing closes the semaphore; reaching this is a bug, not overload.
                tracing::error!("password verification semaphore was closed");
                return Err(PasswordError::TaskFailed);
            }
            Err(_elapsed) => {
                tracing::debug!(
                    max_wait_ms = self.max_wait.as_millis(),
                    "password verification shed: no free slot"
                );
                return Err(PasswordError::Overloaded);
            }
        };

        let task = tokio::task::spawn_blocking(move || {
            // Owned by the blocking task, not the request future: dropping the request must not
            // free the slot while bcrypt is still burning a core.
            let _permit = permit;
            verify_blocking(&key[..key_len], too_long, hash.as_deref())
        });
        match task.await {
            Ok(result) => result,
            Err(err) => {
                tracing::error!(
                    panicked = err.is_panic(),
                    "password verification task failed"
                );
                Err(PasswordError::TaskFailed)
            }
        }
    }
}

/// The CPU-bound part of [`PasswordVerifier::verify`]; `key` holds at most 72 bytes.
fn verify_blocking(key: &[u8], too_long: bool, hash: Option<&str>) -> Result<bool, PasswordError> {
    let Some(hash) = hash else {
        // The dummy hash is well-formed, so the result carries no information worth keeping.
        let _ = bcrypt::verify(key, DUMMY_HASH);
        return Ok(false);
    };
    // `bcrypt::non_truncating_verify` is not used: it also rejects passwords of exactly 72
    // bytes, which bcrypt hashes in full and which other implementations (passlib, PHP,
    // OpenBSD) accept, so it would lock those users out. With `key` capped at 72 bytes and
    // longer input rejected here, the plain `verify` never truncates anything.
    match bcrypt::verify(key, hash) {
        Ok(matches) => Ok(matches && !too_long && !key.is_empty()),
        Err(err) => {
            // The hash itself is a credential, so only the parser's reason is logged.
            tracing::error!(reason = %err, "stored password hash is not a valid bcrypt hash");
            Err(PasswordError::InvalidHash)
        }
    }
}

/// Why a password could not be checked. A wrong password is not an error: it is `Ok(false)`.
///
/// Renders as a response through [`IntoResponse`] without exposing any internal detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// No verification slot became free within the verifier's `max_wait`; the caller should
    /// retry later. Renders as `503 Service Unavailable` with `Retry-After: 1`.
    #[error("too many password verifications in progress")]
    Overloaded,
    /// The stored hash is not a valid bcrypt hash (a data or configuration problem, not a bad
    /// login). Renders as `500 Internal Server Error`.
    #[error("stored password hash is not a valid bcrypt hash")]
    InvalidHash,
    /// The blocking verification task panicked or was cancelled (for example during runtime
    /// shutdown). Renders as `500 Internal Server Error`.
    #[error("password verification task failed")]
    TaskFailed,
}

impl From<PasswordError> for Response {
    fn from(error: PasswordError) -> Self {
        error.into_response()
    }
}

impl IntoResponse for PasswordError {
    /// `Overloaded` becomes `503` with `Retry-After: 1` and
    /// `{"detail":"Too many login attempts in progress, retry shortly"}`; every other variant
    /// becomes `500` with `{"detail":"Internal Server Error"}`. Causes were already logged where
    /// they occurred, so nothing is logged again here.
    fn into_response(self) -> Response {
        match self {
            Self::Overloaded => HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many login attempts in progress, retry shortly",
            )
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            ),
            Self::InvalidHash | Self::TaskFailed => {
                HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheapest bcrypt cost, for tests that are about logic rather than timing.
    const FAST: u32 = 4;

    fn fast_hash(password: impl AsRef<[u8]>) -> String {
        bcrypt::hash(password, FAST).expect("bcrypt hash")
    }

    async fn body_json(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("read body");
        serde_json::from_slice(&bytes).expect("JSON body")
    }

    /// Waits until `n` slots are taken, so a test knows a verification is really in flight.
    async fn wait_for_taken(verifier: &PasswordVerifier, total: usize, n: usize) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while total - verifier.slots.available_permits() < n {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("verification never took its slot");
    }

    #[tokio::test]
    async fn correct_password_is_accepted() {
        let stored = fast_hash("hunter2");
        let verifier = PasswordVerifier::new();
        assert_eq!(verifier.verify("hunter2", Some(&stored)).await, Ok(true));
        assert_eq!(verifier.verify(b"hunter2", Some(&stored)).await, Ok(true));
    }

    #[tokio::test]
    async fn wrong_password_is_rejected() {
        let stored = fast_hash("hunter2");
        let verifier = PasswordVerifier::new();
        assert_eq!(verifier.verify("hunter3", Some(&stored)).await, Ok(false));
        assert_eq!(verifier.verify("", Some(&stored)).await, Ok(false));
        assert_eq!(
            verifier.verify([0xff, 0xfe], Some(&stored)).await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn unknown_user_is_rejected_even_with_the_dummy_password() {
        let verifier = PasswordVerifier::new();
        assert_eq!(verifier.verify("hunter2", None).await, Ok(false));
        assert_eq!(
            verifier
                .verify("axum-scopes dummy password, never a real credential", None)
                .await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn empty_password_is_rejected_even_if_it_matches() {
        let stored = fast_hash("");
        let verifier = PasswordVerifier::new();
        assert_eq!(verifier.verify("", Some(&stored)).await, Ok(false));
    }

    #[tokio::test]
    async fn password_over_72_bytes_is_not_truncated() {
        let prefix = "p".repeat(BCRYPT_MAX_PASSWORD_BYTES);
        let stored = fast_hash(&prefix);
        let verifier = PasswordVerifier::new();
        // Plain bcrypt would say "true" here: that is exactly the truncation being guarded.
        assert_eq!(
            bcrypt::verify(format!("{prefix}x"), &stored).ok(),
            Some(true)
        );

        assert_eq!(
            verifier.verify(format!("{prefix}x"), Some(&stored)).await,
            Ok(false)
        );
        assert_eq!(
            verifier
                .verify(format!("{prefix}{}", "y".repeat(10_000)), Some(&stored))
                .await,
            Ok(false)
        );
        // Exactly 72 bytes is hashed in full by bcrypt and must keep working.
        assert_eq!(verifier.verify(&prefix, Some(&stored)).await, Ok(true));
    }

    #[tokio::test]
    async fn rejections_cost_as_much_as_a_wrong_password() {
        async fn timed(
            verifier: &PasswordVerifier,
            password: &str,
            hash: Option<&str>,
        ) -> Duration {
            let start = std::time::Instant::now();
            assert_eq!(verifier.verify(password, hash).await, Ok(false));
            start.elapsed()
        }
        let verifier = PasswordVerifier::new();
        let stored = bcrypt::hash("hunter2", bcrypt::DEFAULT_COST).expect("bcrypt hash");
        let too_long = "p".repeat(BCRYPT_MAX_PASSWORD_BYTES + 1);

        let wrong = timed(&verifier, "hunter3", Some(&stored)).await;
        // Only a gross gap is asserted (a skipped bcrypt run is thousands of times faster), so
        // scheduler noise cannot make this flaky.
        for (what, elapsed) in [
            ("unknown user", timed(&verifier, "hunter2", None).await),
            ("too long", timed(&verifier, &too_long, Some(&stored)).await),
            ("empty", timed(&verifier, "", Some(&stored)).await),
        ] {
            assert!(
                elapsed * 10 >= wrong,
                "{what}: {elapsed:?} vs wrong password {wrong:?}"
            );
        }
    }

    #[tokio::test]
    async fn malformed_hash_is_an_error_not_a_failed_login() {
        let verifier = PasswordVerifier::new();
        for bad in ["", "not a hash", "$2b$04$short", &"é".repeat(30)] {
            assert_eq!(
                verifier.verify("hunter2", Some(bad)).await,
                Err(PasswordError::InvalidHash),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dummy_hash_is_valid_and_as_expensive_as_real_hashes() {
        let parts: bcrypt::HashParts = DUMMY_HASH.parse().expect("dummy hash parses");
        assert_eq!(parts.get_cost(), bcrypt::DEFAULT_COST);
    }

    #[test]
    fn defaults() {
        let verifier = PasswordVerifier::new();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(verifier.slots.available_permits(), (cores - 1).max(1));
        assert_eq!(verifier.max_wait, DEFAULT_MAX_WAIT);
        assert_eq!(
            PasswordVerifier::new()
                .max_concurrent(0)
                .slots
                .available_permits(),
            1
        );
        assert_eq!(
            PasswordVerifier::new()
                .max_concurrent(usize::MAX)
                .slots
                .available_permits(),
            Semaphore::MAX_PERMITS
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sheds_load_when_all_slots_are_busy() {
        let verifier = PasswordVerifier::new()
            .max_concurrent(1)
            .max_wait(Duration::from_millis(10));
        let stored = fast_hash("hunter2");

        // Cost 12 (the dummy hash) keeps the only slot busy for hundreds of milliseconds.
        let slow = tokio::spawn({
            let verifier = verifier.clone();
            async move { verifier.verify("hunter2", None).await }
        });
        wait_for_taken(&verifier, 1, 1).await;

        assert_eq!(
            verifier.verify("hunter2", Some(&stored)).await,
            Err(PasswordError::Overloaded)
        );
        assert_eq!(slow.await.expect("slow task"), Ok(false));
        assert_eq!(verifier.verify("hunter2", Some(&stored)).await, Ok(true));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropped_request_keeps_its_slot_until_bcrypt_finishes_then_frees_it() {
        let verifier = PasswordVerifier::new()
            .max_concurrent(1)
            .max_wait(Duration::from_millis(10));
        let stored = fast_hash("hunter2");

        // Simulates a client disconnect: the request future is dropped mid-hash.
        let abandoned = tokio::time::timeout(
            Duration::from_millis(30),
            verifier.verify("hunter2", Some(DUMMY_HASH)),
        )
        .await;
        assert!(
            abandoned.is_err(),
            "cost-12 verification finished suspiciously fast"
        );

        // The abandoned hash is still running, so its slot must still be taken.
        assert_eq!(verifier.slots.available_permits(), 0);
        assert_eq!(
            verifier.verify("hunter2", Some(&stored)).await,
            Err(PasswordError::Overloaded)
        );

        tokio::time::timeout(Duration::from_secs(10), async {
            while verifier.slots.available_permits() == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("slot of the abandoned verification was never released");
        assert_eq!(verifier.verify("hunter2", Some(&stored)).await, Ok(true));
        assert_eq!(verifier.slots.available_permits(), 1);
    }

    #[tokio::test]
    async fn overloaded_renders_503_with_retry_after() {
        let response = PasswordError::Overloaded.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("1"))
        );
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("application/json"))
        );
        let body = body_json(response).await;
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }

    #[tokio::test]
    async fn internal_errors_render_opaque_500() {
        for err in [PasswordError::InvalidHash, PasswordError::TaskFailed] {
            let response = err.into_response();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(response.headers().get(header::RETRY_AFTER).is_none());
            assert_eq!(
                body_json(response).await,
                serde_json::json!({ "detail": "Internal Server Error" })
            );
        }
    }
}
