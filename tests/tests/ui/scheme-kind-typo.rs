// A misspelt scheme kind: one error at the kind, with the nearest kind.
axum_scopes::security_scheme! {
    /// The scheme.
    pub Keys { apikey: { header: "X-API-Key" } }
}

fn main() {}
