//! The CloudSSO actions this crate calls, and how one call is built and signed for each attempt.

use idp_core::reqwest::RequestBuilder;
use idp_core::reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use idp_core::transport::sensitive_header;
use idp_core::url::Url;
use idp_core::{Error, Secret};

use crate::config::{Config, RequestStyle, SignatureVersion};
use crate::sign::{self, v2, v3};

/// The CloudSSO API version this client speaks.
pub const API_VERSION: &str = "2021-05-15";

/// Every request is a `POST` to `/` (RPC style).
const METHOD: &str = "POST";

const FORM: &str = "application/x-www-form-urlencoded";

/// One CloudSSO action: its RPC name and the operation name errors and logs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Action {
    pub(crate) name: &'static str,
    pub(crate) operation: &'static str,
}

const fn action(name: &'static str, operation: &'static str) -> Action {
    Action { name, operation }
}

pub(crate) const DELETE_USER: Action = action("DeleteUser", "delete_user");
pub(crate) const GET_USER: Action = action("GetUser", "get_user");
pub(crate) const LIST_USERS: Action = action("ListUsers", "list_users");
pub(crate) const UPDATE_USER_STATUS: Action = action("UpdateUserStatus", "update_user_status");
pub(crate) const LIST_MFA_DEVICES: Action = action("ListMFADevicesForUser", "list_mfa_devices");
pub(crate) const DELETE_MFA_DEVICE: Action = action("DeleteMFADeviceForUser", "delete_mfa_device");
pub(crate) const LIST_JOINED_GROUPS: Action =
    action("ListJoinedGroupsForUser", "list_joined_groups");
pub(crate) const REMOVE_FROM_GROUP: Action =
    action("RemoveUserFromGroup", "remove_user_from_group");
pub(crate) const LIST_ACCESS_ASSIGNMENTS: Action =
    action("ListAccessAssignments", "list_access_assignments");
pub(crate) const DELETE_ACCESS_ASSIGNMENT: Action =
    action("DeleteAccessAssignment", "delete_access_assignment");
pub(crate) const GET_TASK: Action = action("GetTask", "get_task");
pub(crate) const GET_SCIM_STATUS: Action = action(
    "GetSCIMSynchronizationStatus",
    "get_scim_synchronization_status",
);

const ACTIONS: [Action; 12] = [
    DELETE_USER,
    GET_USER,
    LIST_USERS,
    UPDATE_USER_STATUS,
    LIST_MFA_DEVICES,
    DELETE_MFA_DEVICE,
    LIST_JOINED_GROUPS,
    REMOVE_FROM_GROUP,
    LIST_ACCESS_ASSIGNMENTS,
    DELETE_ACCESS_ASSIGNMENT,
    GET_TASK,
    GET_SCIM_STATUS,
];

/// The RPC action of an operation name (`"delete_user"` → `"DeleteUser"`), for messages.
pub(crate) fn action_name(operation: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|a| a.operation == operation)
        .map(|a| a.name)
}

/// Where requests go and how they are signed: what every attempt of every call needs.
pub(crate) struct Signer {
    config: Config,
    endpoint: Url,
    /// The `host` header as sent and signed: the endpoint's host, and its port when it is not
    /// the scheme's default.
    host: String,
}

impl Signer {
    pub(crate) fn new(config: Config, endpoint: Url) -> Signer {
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        Signer {
            config,
            endpoint,
            host,
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// One attempt of `action` with `params` (the directory id is added), signed now: a fresh
    /// nonce and date every time, so a retry never resends an old signature.
    pub(crate) fn request(
        &self,
        http: &idp_core::reqwest::Client,
        action: Action,
        params: &[(&str, &str)],
        date: &str,
    ) -> Result<RequestBuilder, Error> {
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 12);
        all.push(("DirectoryId", self.config.directory_id()));
        all.extend_from_slice(params);
        match self.config.signature_version() {
            SignatureVersion::V3 => self.v3(http, action, &all, date),
            SignatureVersion::V2 => Ok(self.v2(http, action, &all, date)),
        }
    }

    fn v3(
        &self,
        http: &idp_core::reqwest::Client,
        action: Action,
        params: &[(&str, &str)],
        date: &str,
    ) -> Result<RequestBuilder, Error> {
        let config = &self.config;
        let encoded = sign::canonical_query(params);
        let (query, body) = match config.request_style() {
            RequestStyle::Query => (encoded, String::new()),
            RequestStyle::FormBody => (String::new(), encoded),
        };
        let payload_hash = v3::sha256_hex(body.as_bytes());
        let nonce = sign::nonce();
        let token = config.security_token().map(Secret::expose);
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", &self.host),
            ("x-acs-action", action.name),
            ("x-acs-version", API_VERSION),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", &nonce),
            ("x-acs-content-sha256", &payload_hash),
        ];
        if config.request_style() == RequestStyle::FormBody {
            headers.push(("content-type", FORM));
        }
        if let Some(token) = token {
            headers.push(("x-acs-accesskey-id", config.access_key_id()));
            headers.push(("x-acs-security-token", token));
        }
        let authorization = v3::authorization(
            &v3::Signable {
                method: METHOD,
                path: self.endpoint.path(),
                query: &query,
                headers: &headers,
                payload_hash: &payload_hash,
            },
            config.access_key_id(),
            config.access_key_secret().expose(),
        );
        let mut url = self.endpoint.clone();
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        let mut request = http
            .post(url)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, sensitive_header(&authorization)?);
        for (name, value) in headers {
            request = match name {
                "host" => request.header(HOST, value),
                "x-acs-security-token" => request.header(name, sensitive_header(value)?),
                _ => request.header(name, value),
            };
        }
        Ok(if body.is_empty() {
            request
        } else {
            request.body(body)
        })
    }

    fn v2(
        &self,
        http: &idp_core::reqwest::Client,
        action: Action,
        operation_params: &[(&str, &str)],
        date: &str,
    ) -> RequestBuilder {
        let config = &self.config;
        let nonce = sign::nonce();
        let mut params = operation_params.to_vec();
        params.extend_from_slice(&[
            ("Action", action.name),
            ("Version", API_VERSION),
            ("Format", "JSON"),
            ("AccessKeyId", config.access_key_id()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", date),
        ]);
        if let Some(token) = config.security_token() {
            params.push(("SecurityToken", token.expose()));
        }
        // The canonical query is already a correct encoding of every parameter: computed once,
        // signed, then sent with the signature appended.
        let mut encoded = sign::canonical_query(&params);
        let signature = v2::sign_canonical(METHOD, &encoded, config.access_key_secret().expose());
        encoded.push('&');
        encoded.push_str(v2::SIGNATURE);
        encoded.push('=');
        encoded.push_str(&sign::percent_encode(&signature));
        let request = match config.request_style() {
            RequestStyle::Query => {
                let mut url = self.endpoint.clone();
                url.set_query(Some(&encoded));
                http.post(url)
            }
            RequestStyle::FormBody => http
                .post(self.endpoint.clone())
                .header(CONTENT_TYPE, FORM)
                .body(encoded),
        };
        request.header(ACCEPT, "application/json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_names_its_action() {
        for action in ACTIONS {
            assert_eq!(action_name(action.operation), Some(action.name));
        }
        assert_eq!(action_name("token"), None);
    }
}
