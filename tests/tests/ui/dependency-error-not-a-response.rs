use axum_scopes::dependency;

#[derive(Debug)]
struct LookupFailed;

#[dependency]
async fn current_user() -> Result<String, LookupFailed> {
    Ok(String::new())
}

fn main() {}
