//! The envelope every Cloudflare API answer comes in.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A Cloudflare API answer: `{"success", "errors", "messages", "result"}`.
///
/// Parsed leniently where Cloudflare is loose in practice (`errors` or `messages` missing or
/// `null` read as empty; a code sent as a string is read as a number), strictly where it
/// matters: `success` must be present and a boolean, or the body is not taken for an envelope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// Whether the call succeeded. A delete succeeded only when this is `true` *and* the HTTP
    /// status is 2xx.
    pub success: bool,
    /// What went wrong, most relevant first.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ApiMessage>,
    /// Informational messages.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub messages: Vec<ApiMessage>,
    /// The result, if any (Cloudflare documents it as "unknown" for a delete).
    pub result: Option<serde_json::Value>,
}

impl Envelope {
    /// The code of the first error, as Cloudflare sent it.
    pub fn first_code(&self) -> Option<i64> {
        self.errors.iter().find_map(|e| e.code)
    }

    /// Every error code, nested `error_chain` codes included.
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors.iter().flat_map(ApiMessage::codes)
    }

    /// All error messages joined into one line, each with its code when there are several.
    pub fn error_summary(&self) -> String {
        let several = self.errors.len() > 1;
        self.errors
            .iter()
            .map(|e| e.summary(several))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One entry of `errors[]` or `messages[]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[non_exhaustive]
pub struct ApiMessage {
    /// Cloudflare's code (documented as a number of at least 1000).
    #[serde(default, deserialize_with = "lenient_code")]
    pub code: Option<i64>,
    /// The human-readable message.
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    /// A link to documentation about this error.
    pub documentation_url: Option<String>,
    /// Which part of the request the message is about.
    pub source: Option<ApiSource>,
    /// Underlying errors, when Cloudflare nests them (seen in the wild, for example under
    /// code 6003 "Invalid request headers"; not in the delete-user documentation).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub error_chain: Vec<ApiMessage>,
}

impl ApiMessage {
    fn codes(&self) -> Box<dyn Iterator<Item = i64> + '_> {
        Box::new(
            self.code
                .into_iter()
                .chain(self.error_chain.iter().flat_map(ApiMessage::codes)),
        )
    }

    fn summary(&self, with_code: bool) -> String {
        let mut text = self.message.trim().to_owned();
        if with_code && let Some(code) = self.code {
            text = format!("{text} (code {code})");
        }
        if !self.error_chain.is_empty() {
            let chain: Vec<String> = self.error_chain.iter().map(|e| e.summary(true)).collect();
            text = format!("{text}: {}", chain.join(", "));
        }
        text
    }
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary(true))
    }
}

/// Where in the request an error points.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct ApiSource {
    /// A JSON pointer into the request.
    pub pointer: Option<String>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A code as a number, or a string holding one; anything else is no code rather than a
/// failure to read the whole answer.
fn lenient_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn documented_example_parses() {
        let body = r#"{"errors":[{"code":1000,"message":"message","documentation_url":"documentation_url","source":{"pointer":"pointer"}}],"messages":[{"code":1000,"message":"message","documentation_url":"documentation_url","source":{"pointer":"pointer"}}],"success":true,"result":{}}"#;
        let env: Envelope = serde_json::from_str(body).unwrap();
        assert!(env.success);
        assert_eq!(env.first_code(), Some(1000));
        assert_eq!(
            env.errors[0].source.as_ref().unwrap().pointer.as_deref(),
            Some("pointer")
        );
        assert_eq!(env.messages.len(), 1);
        assert_eq!(env.result, Some(serde_json::json!({})));
    }

    #[test]
    fn loose_shapes_are_tolerated() {
        let env: Envelope = serde_json::from_str(
            r#"{"success":false,"errors":[{"code":"7003","message":null},{"code":{},"message":"x"}],"messages":null,"result":null}"#,
        )
        .unwrap();
        assert_eq!(env.first_code(), Some(7003));
        assert!(env.messages.is_empty());
        assert_eq!(env.result, None);
    }

    #[test]
    fn success_is_required() {
        assert!(serde_json::from_str::<Envelope>(r#"{"errors":[]}"#).is_err());
        assert!(serde_json::from_str::<Envelope>(r#"{"success":"yes"}"#).is_err());
    }

    #[test]
    fn nested_chain_is_summarised_and_its_codes_seen() {
        let env: Envelope = serde_json::from_str(
            r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}]}"#,
        )
        .unwrap();
        assert_eq!(env.codes().collect::<Vec<_>>(), vec![6003, 6111]);
        assert_eq!(
            env.error_summary(),
            "Invalid request headers: Invalid format for Authorization header (code 6111)"
        );
    }
}
