//! The one clock of the verification core: whole seconds since 1970, as token claims count.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970, 0 if the system clock is set before it.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
