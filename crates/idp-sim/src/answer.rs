//! What a simulator sends back: the vendor's normal answers and the answers faults stand for.

use std::time::Duration;

use bytes::Bytes;

use crate::fault::Fault;

/// What to send back.
///
/// Public only so that the sealed vendor trait can name it; it cannot be reached from
/// outside the crate.
pub struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: AnswerBody,
}

/// How the body goes on the wire.
pub(crate) enum AnswerBody {
    Full(Bytes),
    /// Announced in full, then cut after the first half.
    Truncated(Bytes),
    /// This many bytes, streamed.
    Large(u64),
}

impl Answer {
    pub(crate) fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: AnswerBody::Full(Bytes::new()),
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Answer {
        Answer::new(status)
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    pub(crate) fn text(status: u16, content_type: &str, text: impl Into<String>) -> Answer {
        Answer::new(status)
            .header("content-type", content_type)
            .body(text.into())
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Replaces every value of header `name` (any case) with `value`.
    pub(crate) fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
    }

    pub(crate) fn body(mut self, body: impl Into<Bytes>) -> Answer {
        self.body = AnswerBody::Full(body.into());
        self
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// The wait this answer announces (`Retry-After-Ms` first, then `Retry-After` in
    /// seconds), if any.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let value = |name: &str| {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        };
        value("retry-after-ms")
            .map(Duration::from_millis)
            .or_else(|| value("retry-after").map(Duration::from_secs))
    }

    /// The answer a fault that replaces handling gives; `sample_body` is the vendor's body
    /// for a status (what a [`Fault::Truncated`] cuts).
    pub(crate) fn for_fault(
        fault: Fault,
        sample_body: impl FnOnce(u16) -> (String, &'static str),
    ) -> Answer {
        match fault {
            Fault::Status {
                status,
                headers,
                body,
            } => {
                let mut answer = Answer::new(status).body(body.clone());
                answer.headers = headers;
                if !answer.has_header("content-type") {
                    let trimmed = body.trim_start();
                    let content_type = if trimmed.starts_with('{') || trimmed.starts_with('[') {
                        "application/json"
                    } else {
                        "text/plain; charset=utf-8"
                    };
                    answer = answer.header("content-type", content_type);
                }
                answer
            }
            Fault::Redirect { location } => Answer::text(
                302,
                "text/html",
                format!("<html><body>Moved: <a href=\"{location}\">here</a></body></html>"),
            )
            .header("location", location),
            Fault::Html { status } => Answer::text(status, "text/html", html_page(status)),
            Fault::Truncated { status } => {
                let (body, content_type) = sample_body(status);
                let mut answer = Answer::new(status).header("content-type", content_type);
                answer.body = AnswerBody::Truncated(Bytes::from(body));
                answer
            }
            Fault::LargeBody { status, bytes } => {
                let mut answer = Answer::new(status).header("content-type", "application/json");
                answer.body = AnswerBody::Large(bytes);
                answer
            }
            // Handled before an answer is needed; answer as a server error should it happen.
            Fault::Delay(_) | Fault::Drop | Fault::DropAfterHandling => {
                Answer::text(500, "text/html", html_page(500))
            }
        }
    }
}

/// An error page as a proxy or load balancer in front of the API would send it.
pub(crate) fn html_page(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body>\
         <center><h1>{status} {reason}</h1></center>\n<hr><center>nginx</center>\n\
         </body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_milliseconds_and_set_header_replaces() {
        let mut answer = Answer::new(429)
            .header("Retry-After", "3")
            .header("retry-after-ms", "1500");
        assert_eq!(answer.retry_after(), Some(Duration::from_millis(1500)));
        answer.set_header("retry-after-ms", "x");
        assert_eq!(answer.retry_after(), Some(Duration::from_secs(3)));
        answer.set_header("RETRY-AFTER", "7");
        assert_eq!(answer.headers.len(), 2);
        assert_eq!(answer.retry_after(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn status_faults_guess_their_content_type() {
        let json = Answer::for_fault(Fault::status(500, " {}"), |_| unreachable!());
        assert!(
            json.headers
                .contains(&("content-type".into(), "application/json".into()))
        );
        let text = Answer::for_fault(Fault::status(500, "oops"), |_| unreachable!());
        assert!(
            text.headers
                .iter()
                .any(|(_, v)| v.starts_with("text/plain"))
        );
        assert!(html_page(502).contains("502 Bad Gateway"));
    }
}
