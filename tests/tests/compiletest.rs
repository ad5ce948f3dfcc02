//! Compile-fail cases of the macros: one mistake per file under `tests/ui/`.
//!
//! Its own binary, apart from the behaviour tests of `it/`: trybuild builds every case with
//! cargo, which takes minutes, and is run and blessed alone (`--test compiletest`), so that
//! `cargo test --test it` does not pay for it.
//!
//! The `.stderr` files are blessed against this machine's one toolchain (rustc 1.95), with
//! `TRYBUILD=overwrite cargo test -p axum-scopes-tests --test compiletest`, and reviewed line by
//! line: another compiler version may word its own notes differently.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
