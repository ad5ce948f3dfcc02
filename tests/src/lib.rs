//! Tests of axum-scopes live in `tests/`.
