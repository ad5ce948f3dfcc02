//! The OpenAPI documents of the tests, checked by an independent validator.

use serde_json::Value;

/// Checks `doc` with openapi-spec-validator (from `PyPI`, installed into `target/venv` by
/// `tests/run-all.sh`, or the executable named by `OPENAPI_SPEC_VALIDATOR`), after writing it to
/// `target/openapi/<name>.json`.
///
/// # Panics
///
/// When the validator is missing or rejects the document.
pub fn validate_openapi(name: &str, doc: &Value) {
    use std::path::PathBuf;
    let validator = std::env::var_os("OPENAPI_SPEC_VALIDATOR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/venv/bin/openapi-spec-validator")
        },
        PathBuf::from,
    );
    assert!(
        validator.exists(),
        "{} is missing: run `bash tests/run-all.sh`, which installs openapi-spec-validator into \
         target/venv (or set OPENAPI_SPEC_VALIDATOR to its executable)",
        validator.display()
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/openapi");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let output = std::process::Command::new(&validator)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("OK"),
        "{} rejects {}:\n{stdout}{}",
        validator.display(),
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
