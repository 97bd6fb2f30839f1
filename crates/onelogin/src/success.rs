//! What counts as done: OneLogin's documented success answers, and nothing else. A 2xx that
//! carries an error envelope goes to `parse_error`; any other 2xx is a protocol error, never
//! a success.

use idp_core::{Api, Error, ErrorKind, Response};
use serde_json::Value;

use crate::body::Said;
use crate::config::ApiVersion;
use crate::user::record_id;

/// A delete: v1 `200` with `{"status": {"error": false, …}}`; v2 `204`.
pub(crate) fn deleted(
    version: ApiVersion,
    response: &Response,
    api: &dyn Api,
) -> Result<(), Error> {
    let said = Said::parse(&response.body);
    let done = match version {
        ApiVersion::V1 => response.status == 200 && said.as_ref().is_some_and(Said::is_v1_success),
        ApiVersion::V2 => response.status == 204,
    };
    if done {
        Ok(())
    } else if said.is_some_and(|said| said.is_error()) {
        Err(api.parse_error(response))
    } else {
        Err(response.unconfirmed_success("the delete"))
    }
}

/// A v1 call without a result (logout): `200` with `{"status": {"error": false, …}}`.
pub(crate) fn v1_done(response: &Response, api: &dyn Api, what: &str) -> Result<(), Error> {
    match Said::parse(&response.body) {
        Some(said) if response.status == 200 && said.is_v1_success() => Ok(()),
        Some(said) if said.is_error() => Err(api.parse_error(response)),
        _ => Err(response.unconfirmed_success(what)),
    }
}

/// The record of user `id`: v1 `{"status": {"error": false}, "data": [record]}` (a `data`
/// object is accepted too: NOT CONFIRMED which one v1 sends for one user), v2 the bare
/// record. Its `id` must be the one asked for.
pub(crate) fn user_record(
    version: ApiVersion,
    id: u64,
    response: &Response,
    api: &dyn Api,
) -> Result<(), Error> {
    let said = Said::parse(&response.body);
    if said.as_ref().is_some_and(Said::is_error) {
        return Err(api.parse_error(response));
    }
    let body = response.json_object().map(Value::Object);
    let record = match (version, &body) {
        (ApiVersion::V1, Some(envelope)) if said.as_ref().is_some_and(Said::is_v1_success) => {
            match envelope.get("data") {
                Some(Value::Array(records)) if records.len() == 1 => records.first(),
                Some(record @ Value::Object(_)) => Some(record),
                _ => None,
            }
        }
        (ApiVersion::V2, Some(record)) if said.is_none() => Some(record),
        _ => None,
    };
    match record.map(record_id) {
        Some(Some(found)) if found == id => Ok(()),
        Some(Some(other)) => Err(response.error(
            ErrorKind::Protocol,
            format!("asked for user {id}, OneLogin answered with user {other}"),
        )),
        _ => Err(response.unconfirmed_success("the user record")),
    }
}
