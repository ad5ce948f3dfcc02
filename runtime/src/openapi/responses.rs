//! The failure answers an operation documents: those of every dependency below it, each added
//! by the dependency's hook where the operation documents none for that status.

use utoipa::openapi::RefOr;

use crate::dependency::tree::{Param, Responses};
use crate::rejection::HttpError;

/// Adds `responses` to `out`, keeping answers already there.
pub(crate) fn insert_responses(out: &mut Responses, responses: Responses) {
    for (status, response) in responses {
        out.entry(status).or_insert(response);
    }
}

impl utoipa::PartialSchema for HttpError {
    /// `{"detail": "<text>"}`, the body of every `HttpError` with a text detail.
    fn schema() -> RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .property(
                "detail",
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .description(Some("What went wrong.")),
            )
            .required("detail")
            .into()
    }
}

impl utoipa::ToSchema for HttpError {}

/// The failure answers of a `#[dependency(responses(401 = "..", 400 = ".."))]`: each an
/// [`HttpError`](crate::HttpError) body (`{"detail": "..."}`) with its description; 401 and 403
/// also document the `WWW-Authenticate` challenge.
fn http_errors(answers: &[(u16, &str)]) -> Responses {
    use utoipa::PartialSchema as _;
    answers
        .iter()
        .map(|&(status, description)| {
            let mut response = utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(HttpError::schema()))
                        .build(),
                );
            if matches!(status, 401 | 403) {
                response = response.header(
                    "WWW-Authenticate",
                    utoipa::openapi::HeaderBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::Type::String),
                        ))
                        .description(Some(
                            "The challenge, with `scope=\"..\"` naming the required scopes",
                        ))
                        .build(),
                );
            }
            (status.to_string(), RefOr::T(response.build()))
        })
        .collect()
}

/// The documentation hook of a `#[dependency(responses(401 = "..", ..))]`: adds
/// [`HttpError`](crate::HttpError) answers with these descriptions.
pub fn document_http_errors(out: &mut Responses, answers: &[(u16, &str)]) {
    insert_responses(out, http_errors(answers));
}

/// The documentation hook of a dependency whose failure answers are those of `E`.
pub fn document_responses<E: utoipa::IntoResponses>(out: &mut Responses) {
    insert_responses(out, E::responses());
}

/// The failure answers of every dependency below `params`, first documented first.
pub(crate) fn failure_responses(params: &[Param]) -> Responses {
    let mut responses = Responses::new();
    add_responses(params, &mut responses);
    responses
}

fn add_responses(params: &[Param], responses: &mut Responses) {
    for param in params {
        if let Param::Dependency { info, .. } = param {
            if let Some(document) = info.responses {
                document(responses);
            }
            add_responses(info.params, responses);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::tree::DependencyInfo;

    fn not_found(out: &mut Responses) {
        document_http_errors(out, &[(404, "First")]);
    }

    fn unauthorized(out: &mut Responses) {
        document_http_errors(out, &[(401, "Second"), (404, "Second")]);
    }

    const FIRST: DependencyInfo =
        DependencyInfo::new("first", &[], &[]).with_responses(Some(not_found));
    const SECOND: DependencyInfo =
        DependencyInfo::new("second", &[], &[]).with_responses(Some(unauthorized));

    #[test]
    fn every_hook_documents_and_the_first_answer_wins() {
        let edge = |info| Param::Dependency {
            info,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        };
        let responses = failure_responses(&[edge(&FIRST), edge(&SECOND)]);
        let description = |status: &str| match &responses[status] {
            RefOr::T(response) => response.description.clone(),
            RefOr::Ref(_) => unreachable!("the hooks write answers, not references"),
        };
        assert_eq!(description("404"), "First");
        assert_eq!(description("401"), "Second");
    }
}
