//! Assertions for the answers of RFC 6750 (and RFC 9449's `DPoP` challenge): the status, the
//! `WWW-Authenticate` challenges, their `error` and `scope`.

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, StatusCode};

/// An answer whose status and headers can be checked: `http::Response<B>` (what `oneshot`
/// returns), its `Parts`, or `(status, &headers)` for any other client's response (with
/// reqwest: `(response.status(), response.headers())`).
pub trait Answer {
    /// The status.
    fn status(&self) -> StatusCode;
    /// The headers.
    fn headers(&self) -> &HeaderMap;
}

impl<B> Answer for http::Response<B> {
    fn status(&self) -> StatusCode {
        self.status()
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl Answer for http::response::Parts {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl Answer for (StatusCode, &HeaderMap) {
    fn status(&self) -> StatusCode {
        self.0
    }
    fn headers(&self) -> &HeaderMap {
        self.1
    }
}

/// One challenge of a `WWW-Authenticate` header: its scheme and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// The challenges of every `WWW-Authenticate` header of `answer`, in order.
    #[must_use]
    pub fn all(answer: &impl Answer) -> Vec<Self> {
        let mut challenges = Vec::new();
        for value in answer.headers().get_all(WWW_AUTHENTICATE) {
            if let Ok(value) = value.to_str() {
                challenges.extend(Self::parse(value));
            }
        }
        challenges
    }

    /// The challenges of one header value (RFC 9110 §11.6.1: `scheme name="value", ...`,
    /// several challenges separated by commas).
    #[must_use]
    pub fn parse(header: &str) -> Vec<Self> {
        let mut challenges: Vec<Self> = Vec::new();
        let mut rest = header;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return challenges;
            }
            let end = rest.find([' ', '\t', ',', '=']).unwrap_or(rest.len());
            if end == 0 {
                // A stray `=`: nothing names it.
                rest = &rest[1..];
                continue;
            }
            let (token, after) = rest.split_at(end);
            let after_spaces = after.trim_start_matches([' ', '\t']);
            if let (Some(value), Some(challenge)) =
                (after_spaces.strip_prefix('='), challenges.last_mut())
            {
                let (value, remainder) = parameter_value(value.trim_start_matches([' ', '\t']));
                challenge.params.push((token.to_ascii_lowercase(), value));
                rest = remainder;
            } else {
                challenges.push(Self {
                    scheme: token.to_owned(),
                    params: Vec::new(),
                });
                rest = after;
            }
        }
    }

    /// The scheme, as sent (`Bearer`, `DPoP`, ...).
    #[must_use]
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The parameter `name` (case-insensitive), unquoted.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// `error`, such as `invalid_token` or `insufficient_scope`.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// `scope`: the scopes the resource requires, space-separated.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// Every parameter, names in lower case, in order.
    #[must_use]
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// A quoted string (with `\` escapes) or a token, and what follows it.
fn parameter_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find([' ', '\t', ',']).unwrap_or(text.len());
        return (text[..end].to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (value, &quoted[at + 1..]),
            '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
            c => value.push(c),
        }
    }
    (value, "")
}

/// The first challenge of `answer` whose scheme is `Bearer` or `DPoP`, or a panic naming what
/// was there.
#[track_caller]
fn token_challenge(answer: &impl Answer) -> Challenge {
    let challenges = Challenge::all(answer);
    challenges
        .iter()
        .find(|challenge| {
            challenge.scheme.eq_ignore_ascii_case("bearer")
                || challenge.scheme.eq_ignore_ascii_case("dpop")
        })
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "expected a Bearer or DPoP challenge in WWW-Authenticate, found {:?}",
                header_text(answer)
            )
        })
}

fn header_text(answer: &impl Answer) -> Vec<&str> {
    answer
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|value| value.to_str().unwrap_or("<not text>"))
        .collect()
}

#[track_caller]
fn expect_status(answer: &impl Answer, status: StatusCode) {
    assert_eq!(
        answer.status(),
        status,
        "expected {status}; WWW-Authenticate: {:?}",
        header_text(answer)
    );
}

/// Asserts a 401 with a `Bearer` (or `DPoP`) challenge, and returns the challenge: a missing,
/// unreadable or refused token (RFC 6750 §3), or `FastAPI`'s "Not enough permissions", which is
/// a 401 too.
///
/// # Panics
///
/// When the answer is not that, with the status and the challenges found.
#[track_caller]
pub fn assert_unauthorized(answer: &impl Answer) -> Challenge {
    expect_status(answer, StatusCode::UNAUTHORIZED);
    token_challenge(answer)
}

/// Asserts a 401 whose challenge says `error="invalid_token"` (expired, tampered, foreign,
/// another audience, ...), and returns the challenge.
///
/// # Panics
///
/// When the answer is not that.
#[track_caller]
pub fn assert_invalid_token(answer: &impl Answer) -> Challenge {
    let challenge = assert_unauthorized(answer);
    assert_eq!(
        challenge.error(),
        Some("invalid_token"),
        "expected error=\"invalid_token\" in {challenge:?}"
    );
    challenge
}

/// Asserts a 403 whose challenge says `error="insufficient_scope"` and requires exactly
/// `scope` (space-separated, in the answer's order: outer scopes first), and returns the
/// challenge.
///
/// # Panics
///
/// When the answer is not that.
#[track_caller]
pub fn assert_insufficient_scope(answer: &impl Answer, scope: &str) -> Challenge {
    expect_status(answer, StatusCode::FORBIDDEN);
    let challenge = token_challenge(answer);
    assert_eq!(
        challenge.error(),
        Some("insufficient_scope"),
        "expected error=\"insufficient_scope\" in {challenge:?}"
    );
    assert_eq!(
        challenge.scope(),
        Some(scope),
        "expected scope=\"{scope}\" in {challenge:?}"
    );
    challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_challenges_quoted_values_and_escapes() {
        let parsed = Challenge::parse(
            r#"DPoP algs="ES256 PS256", error="invalid_dpop_proof", Bearer error="insufficient_scope", scope="items me", error_description="a \"quoted\" word""#,
        );
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].scheme(), "DPoP");
        assert_eq!(parsed[0].param("ALGS"), Some("ES256 PS256"));
        assert_eq!(parsed[1].scheme(), "Bearer");
        assert_eq!(parsed[1].error(), Some("insufficient_scope"));
        assert_eq!(parsed[1].scope(), Some("items me"));
        assert_eq!(
            parsed[1].param("error_description"),
            Some(r#"a "quoted" word"#)
        );
    }

    #[test]
    fn bare_schemes_tokens_and_truncated_text() {
        let parsed = Challenge::parse("Bearer, Basic realm=api , Bearer scope=\"unterminated");
        assert_eq!(parsed.len(), 3);
        assert!(parsed[0].params().is_empty());
        assert_eq!(parsed[1].param("realm"), Some("api"));
        assert_eq!(parsed[2].scope(), Some("unterminated"));
        assert!(Challenge::parse("").is_empty());
        let nonsense = Challenge::parse("=\"x\" = ,=");
        assert_eq!(
            nonsense.len(),
            1,
            "a stray `=` names no parameter: {nonsense:?}"
        );
    }
}
