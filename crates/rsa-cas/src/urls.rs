//! The request URLs, built from either form of the base URL.

use idp_core::transport::{encode_path_segment, join_path};
use idp_core::url::Url;

/// The endpoints under `{base}/v1/users`.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    users: Url,
}

impl Urls {
    /// `{base}/v1/users` whether `base` ends in `/AdminInterface/restapi` or in
    /// `/AdminInterface/restapi/v1` (RSA's docs show both forms of `adminRestApiUrl`).
    pub(crate) fn new(base: &Url) -> Urls {
        let ends_in_v1 = base
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .is_some_and(|last| last.eq_ignore_ascii_case("v1"));
        let users = if ends_in_v1 {
            join_path(base, &["users"])
        } else {
            join_path(base, &["v1", "users"])
        };
        Urls { users }
    }

    /// `{base}/v1/users`.
    pub(crate) fn users(&self) -> &Url {
        &self.users
    }

    /// `…/users/{id}`, the id percent-encoded as one path segment (checked ids only).
    pub(crate) fn user(&self, user_id: &str) -> Url {
        join_path(&self.users, &[&encode_path_segment(user_id)])
    }

    /// `…/users/{id}/userStatus`.
    pub(crate) fn user_status(&self, user_id: &str) -> Url {
        join_path(&self.users, &[&encode_path_segment(user_id), "userStatus"])
    }

    /// `…/users/lookup`.
    pub(crate) fn lookup(&self) -> Url {
        join_path(&self.users, &["lookup"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(raw: &str) -> String {
        let base =
            idp_core::transport::parse_base_url(raw, false).unwrap_or_else(|e| panic!("{e}"));
        Urls::new(&base).users().to_string()
    }

    #[test]
    fn both_forms_of_admin_rest_api_url_give_the_same_path() {
        let want = "https://x.access.securid.com/AdminInterface/restapi/v1/users";
        for raw in [
            "https://x.access.securid.com/AdminInterface/restapi",
            "https://x.access.securid.com/AdminInterface/restapi/",
            "https://x.access.securid.com/AdminInterface/restapi/v1",
            "https://x.access.securid.com/AdminInterface/restapi/v1/",
            "https://x.access.securid.com/AdminInterface/restapi/V1",
        ] {
            assert_eq!(users(raw).to_lowercase(), want.to_lowercase(), "{raw}");
        }
        assert_eq!(users("https://h"), "https://h/v1/users");
        assert_eq!(users("https://h/v10"), "https://h/v10/v1/users");
    }

    #[test]
    fn every_endpoint_hangs_off_v1_users() {
        let base = idp_core::transport::parse_base_url("https://h/AdminInterface/restapi", false)
            .unwrap_or_else(|e| panic!("{e}"));
        let urls = Urls::new(&base);
        let users = "https://h/AdminInterface/restapi/v1/users";
        assert_eq!(urls.lookup().as_str(), format!("{users}/lookup"));
        assert_eq!(urls.user("a/b").as_str(), format!("{users}/a%2Fb"));
        assert_eq!(
            urls.user_status("u-1").as_str(),
            format!("{users}/u-1/userStatus")
        );
    }
}
