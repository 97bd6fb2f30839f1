//! A request as the vendor behaviours see it: read in full, headers kept as received.

use bytes::Bytes;
use hyper::header::HeaderMap;

/// A request, read in full.
///
/// Public only so that the sealed vendor trait can name it; it cannot be reached from
/// outside the crate.
pub struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Request {
    /// The first value of a header, when it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// How many values header `name` has.
    pub(crate) fn header_count(&self, name: &str) -> usize {
        self.headers.get_all(name).iter().count()
    }

    /// Query and form-body parameters, decoded.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        form_params(
            self.query.as_deref(),
            self.header("content-type"),
            &self.body,
        )
    }
}

/// Decodes the query string and, when the content type says so, a form body.
pub(crate) fn form_params(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let is_form = content_type.is_some_and(|ct| {
        ct.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if is_form {
        params.extend(url::form_urlencoded::parse(body).into_owned());
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_then_form_body_only_for_form_content() {
        let params = form_params(
            Some("a=1&b=x%20y"),
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"c=3",
        );
        let expected: Vec<(String, String)> = [("a", "1"), ("b", "x y"), ("c", "3")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(params, expected);
        assert_eq!(form_params(None, Some("application/json"), b"c=3"), vec![]);
    }
}
