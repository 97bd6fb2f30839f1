//! CloudSSO's two answer shapes: success `{"RequestId", …fields}` and the error body
//! `{"RequestId","HostId","Code","Message","Recommend"}`, both with an `x-acs-request-id`
//! header.

use serde_json::{Value, json};

use crate::answer::Answer;
use crate::util::upper_uuid;

pub(super) const HOST_ID: &str = "cloudsso.cn-shanghai.aliyuncs.com";

/// HTTP 200 with `fields` and a fresh `RequestId`.
pub(super) fn ok(fields: Value) -> Answer {
    let request_id = upper_uuid();
    let mut body = json!({ "RequestId": request_id });
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    Answer::json(200, &body).header("x-acs-request-id", request_id)
}

/// The error body as CloudSSO sends it.
pub(super) fn error_body(code: &str, message: &str) -> (String, Value) {
    let request_id = upper_uuid();
    let body = json!({
        "RequestId": request_id,
        "HostId": HOST_ID,
        "Code": code,
        "Message": message,
        "Recommend": format!(
            "https://api.aliyun.com/troubleshoot?q={code}&product=cloudsso&requestId={request_id}"
        ),
    });
    (request_id, body)
}

/// An error answer.
pub(super) fn fail(status: u16, code: &str, message: &str) -> Answer {
    let (request_id, body) = error_body(code, message);
    Answer::json(status, &body).header("x-acs-request-id", request_id)
}

/// `MissingParameter.<name>` (or plain `MissingParameter` for common parameters and headers).
pub(super) fn missing(code: &str, name: &str) -> Answer {
    fail(
        400,
        code,
        &format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not \
             supplied."
        ),
    )
}

/// `InvalidParameter.<name>`.
pub(super) fn invalid(name: &str) -> Answer {
    fail(
        400,
        &format!("InvalidParameter.{name}"),
        &format!("The specified parameter \"{name}\" is not valid."),
    )
}

/// `EntityNotExists.<what>` (HTTP 404).
pub(super) fn not_exists(what: &str, message: &str) -> Answer {
    fail(404, &format!("EntityNotExists.{what}"), message)
}

/// `EntityNotExists.User`: the one answer that means "no such user".
pub(super) fn no_user() -> Answer {
    not_exists("User", "The specified user does not exist.")
}
