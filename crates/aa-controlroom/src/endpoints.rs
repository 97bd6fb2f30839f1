//! Where each Control Room call goes, for the configured API generation.

use idp_core::transport::join_path;
use idp_core::url::Url;

use crate::config::ApiVersion;

/// The URLs of one Control Room, all under `{controlRoomUrl}/{v1|v2}`.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    base: Url,
    version: ApiVersion,
}

impl Endpoints {
    pub(crate) fn new(base: Url, version: ApiVersion) -> Self {
        Endpoints { base, version }
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    pub(crate) fn version(&self) -> ApiVersion {
        self.version
    }

    fn at(&self, segments: &[&str]) -> Url {
        let mut all = vec![self.version.as_str()];
        all.extend_from_slice(segments);
        join_path(&self.base, &all)
    }

    /// `POST …/authentication`.
    pub(crate) fn login(&self) -> Url {
        self.at(&["authentication"])
    }

    /// `POST …/authentication/logout`.
    pub(crate) fn logout(&self) -> Url {
        self.at(&["authentication", "logout"])
    }

    /// `GET`, `PUT` and `DELETE …/usermanagement/users/{id}` (the id is a checked integer,
    /// so it needs no encoding).
    pub(crate) fn user(&self, id: u64) -> Url {
        self.at(&["usermanagement", "users", &id.to_string()])
    }

    /// `POST …/usermanagement/users/list`.
    pub(crate) fn list(&self) -> Url {
        self.at(&["usermanagement", "users", "list"])
    }
}
