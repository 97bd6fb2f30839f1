//! What every benchmark shares: user ids, fake credentials, the configuration each vendor
//! client gets, and the vendors' success and error bodies (shaped as their docs show them).

use std::path::Path;

use idp::Vendor;

/// The Cloudflare account of the benchmark (32 hex characters, like a real one).
pub const CF_ACCOUNT_ID: &str = "0123456789abcdef0123456789abcdef";
/// A Cloudflare API token of realistic length.
pub const CF_API_TOKEN: &str = "bench-4Xk9mQ2pL7vR1sT8wY3zA6bC0dE5fG-H";
/// The OneLogin OAuth client id.
pub const ONELOGIN_CLIENT_ID: &str =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4";
/// The OneLogin OAuth client secret.
pub const ONELOGIN_CLIENT_SECRET: &str =
    "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
/// The access token the fast server hands out for OneLogin.
pub const ONELOGIN_TOKEN: &str =
    "bench7d1f3c5e9a2b4d6f8a0c2e4f6a8c0e2f4a6c8e0f2a4c6e8a0c2e4f6a8c0e2";
/// The Control Room user.
pub const AA_USERNAME: &str = "bench.admin";
/// The Control Room API key.
pub const AA_API_KEY: &str = "bench-aa-api-key-5e1f0c2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e";
/// The Control Room token the fast server hands out (Control Room tokens are long JWTs).
pub const AA_TOKEN: &str = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiIxNSIsImNsaWVudFR5cGUiOiJXRUIiLCJ0ZW5hbnRVdWlkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIiwibXVsdGlwbGVMb2dpbiI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAxMjAwLCJpc3MiOiJBdXRvbWF0aW9uQW55d2hlcmUiLCJuYW5vVGltZSI6MTIzNDU2Nzg5MDEyMzR9.c2lnbmF0dXJlLWJ5dGVzLWZvci10aGUtYmVuY2htYXJrLW9ubHktbm90LWEtcmVhbC1zaWduYXR1cmUtYXQtYWxsLWp1c3QtcGFkZGluZy10by1yZWFsaXN0aWMtbGVuZ3Ro";
/// The Alibaba Cloud AccessKey id.
pub const ALIBABA_ACCESS_KEY_ID: &str = "LTAI5tBenchmarkAccessKey";
/// The Alibaba Cloud AccessKey secret.
pub const ALIBABA_ACCESS_KEY_SECRET: &str = "BenchmarkAccessKeySecret0123456";
/// An STS security token of the length Alibaba's STS returns (several hundred characters),
/// so the signature covers every parameter a client can send.
pub const ALIBABA_SECURITY_TOKEN: &str = "CAIS8QF1q6Ft5B2yfSjIr5bGEoz7i7xP0JaSdV3QsHUkb/t3v6Tki4xOcW1DPt9wWmbsX8q7hjf+Mn7oUu1ZaEBBp0mY3xPWGMRCNRG2wUzMO1n5MKr/5rL1SIJ4BN70xmTOnAFxjAJp3H/mJP2VZ2L0bU/q/+/rSt1PWW3FKEbyRP5zC4BXvGT1pyDCPkkRQENF6G0TBOqRUfKxF1kk3kp9Mnx4kl3cjDfhRgEGfKvHvuxZLVSPsSlPxvI/AsStDAE17vdCtGKPTeSpl6ASeKFDoNnJ4Ms7i+Q4rX4zuUGQkLxmZjJpdQVfVm7pWlvB8d8BVRUHGKfNZ0f+3IwKf5IHcCJjY81X96iAbG+pX1P3";
/// The CloudSSO directory.
pub const ALIBABA_DIRECTORY_ID: &str = "d-00fc2p61jv2x";
/// The RSA key file's `accessID`.
pub const RSA_ACCESS_ID: &str = "5c1d2f3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
/// The RSA key file's `adminRestApiUrl` (the JWT audience; requests go to the fast server).
pub const RSA_ADMIN_API_URL: &str = "https://bench.access.securid.com/AdminInterface/restapi";

/// The path prefix under which the fast server answers `vendor` (one server for all five).
pub fn path_prefix(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::RsaCas => "/rsa",
        Vendor::CfAccess => "/cf",
        Vendor::OneLogin => "/onelogin",
        Vendor::AaControlRoom => "/aa",
        Vendor::AlibabaCloudSso => "/alibaba",
        _ => "/unknown",
    }
}

/// The `i`-th user id for `vendor`, in the vendor's own format (a UUID, an integer, or an
/// Alibaba `u-…` id), all distinct.
pub fn user_id(vendor: Vendor, i: u64) -> String {
    match vendor {
        Vendor::OneLogin | Vendor::AaControlRoom => (100_000 + i).to_string(),
        Vendor::AlibabaCloudSso => format!("u-{i:020x}"),
        _ => format!("5b1c7a9e-0d2f-4c6b-8e1a-{i:012x}"),
    }
}

/// The variables (the same names as the environment) that configure `vendor`'s client to
/// talk to the fast server at `server` (`http://127.0.0.1:PORT`). `dir` holds the RSA key
/// file made by [`crate::keys::write_key_file`].
pub fn config_vars(vendor: Vendor, server: &str, dir: &Path) -> Vec<(&'static str, String)> {
    let base = format!("{server}{}", path_prefix(vendor));
    match vendor {
        Vendor::RsaCas => vec![
            (
                "RSA_CAS_KEY_FILE",
                crate::keys::key_file_path(dir).display().to_string(),
            ),
            ("RSA_CAS_BASE_URL", format!("{base}/AdminInterface/restapi")),
        ],
        Vendor::CfAccess => vec![
            ("CLOUDFLARE_API_TOKEN", CF_API_TOKEN.to_owned()),
            ("CLOUDFLARE_ACCOUNT_ID", CF_ACCOUNT_ID.to_owned()),
            ("CLOUDFLARE_BASE_URL", format!("{base}/client/v4")),
        ],
        Vendor::OneLogin => vec![
            ("ONELOGIN_CLIENT_ID", ONELOGIN_CLIENT_ID.to_owned()),
            ("ONELOGIN_CLIENT_SECRET", ONELOGIN_CLIENT_SECRET.to_owned()),
            ("ONELOGIN_BASE_URL", base),
        ],
        Vendor::AaControlRoom => vec![
            ("AA_CONTROL_ROOM_URL", base),
            ("AA_USERNAME", AA_USERNAME.to_owned()),
            ("AA_API_KEY", AA_API_KEY.to_owned()),
        ],
        Vendor::AlibabaCloudSso => vec![
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                ALIBABA_ACCESS_KEY_ID.to_owned(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                ALIBABA_ACCESS_KEY_SECRET.to_owned(),
            ),
            (
                "ALIBABA_CLOUD_SECURITY_TOKEN",
                ALIBABA_SECURITY_TOKEN.to_owned(),
            ),
            (
                "ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID",
                ALIBABA_DIRECTORY_ID.to_owned(),
            ),
            ("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT", format!("{base}/")),
        ],
        _ => Vec::new(),
    }
}

/// A vendor answer: the status and the body.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: &'static str,
}

/// Cloudflare: the envelope of a successful delete.
pub const CF_SUCCESS: Body = Body {
    status: 200,
    body: r#"{"success":true,"errors":[],"messages":[],"result":{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415"}}"#,
};
/// Cloudflare: an unknown user (code 7003, as seen in the wild).
pub const CF_ERROR: Body = Body {
    status: 404,
    body: r#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /accounts/0123456789abcdef0123456789abcdef/access/users/5b1c7a9e-0d2f-4c6b-8e1a-000000000001, perhaps your object identifier is invalid?"}],"messages":[],"result":null}"#,
};
/// OneLogin: the token answer.
pub const ONELOGIN_TOKEN_BODY: &str = r#"{"access_token":"bench7d1f3c5e9a2b4d6f8a0c2e4f6a8c0e2f4a6c8e0f2a4c6e8a0c2e4f6a8c0e2","created_at":"2015-11-11T03:36:18.714Z","expires_in":36000,"refresh_token":"unused0123456789abcdef","token_type":"bearer","account_id":555555}"#;
/// OneLogin: a v1 delete answer.
pub const ONELOGIN_SUCCESS: Body = Body {
    status: 200,
    body: r#"{"status":{"error":false,"code":200,"type":"success","message":"Success"}}"#,
};
/// OneLogin: a v1 "not found".
pub const ONELOGIN_ERROR: Body = Body {
    status: 404,
    body: r#"{"status":{"error":true,"code":404,"type":"not found","message":"User for id 222222 was not found"}}"#,
};
/// Control Room: the login answer (the token is [`AA_TOKEN`]).
pub const AA_LOGIN_BODY: &str = r#"{"token":"eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiIxNSIsImNsaWVudFR5cGUiOiJXRUIiLCJ0ZW5hbnRVdWlkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIiwibXVsdGlwbGVMb2dpbiI6ZmFsc2UsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAxMjAwLCJpc3MiOiJBdXRvbWF0aW9uQW55d2hlcmUiLCJuYW5vVGltZSI6MTIzNDU2Nzg5MDEyMzR9.c2lnbmF0dXJlLWJ5dGVzLWZvci10aGUtYmVuY2htYXJrLW9ubHktbm90LWEtcmVhbC1zaWduYXR1cmUtYXQtYWxsLWp1c3QtcGFkZGluZy10by1yZWFsaXN0aWMtbGVuZ3Ro","user":{"id":1,"username":"bench.admin","email":"bench@example.com"}}"#;
/// Control Room: the deleted user record of a successful delete (the page's example).
pub const AA_SUCCESS: Body = Body {
    status: 200,
    body: r#"{"id":15,"email":"aa@aa.com","username":"docbotusermd4","domain":"ActiveDirectory (LDAP)","firstName":"AAMHD4","lastName":"AAMHD5","version":0,"principalId":15,"deleted":false,"roles":[],"sysAssignedRoles":[],"groupNames":[],"permissions":[],"licenseFeatures":[],"emailVerified":true,"passwordSet":false,"questionsSet":false,"enableAutoLogin":true,"disabled":false,"clientRegistered":false,"description":"Created a user for running bots","createdBy":1,"createdOn":"2019-11-18T20:48:04Z","updatedBy":1,"updatedOn":"2019-11-18T20:48:04Z","lastLoginTime":null,"appUrl":null}"#,
};
/// Control Room: an error body.
pub const AA_ERROR: Body = Body {
    status: 404,
    body: r#"{"code":"UM1004","details":null,"message":"User with id 222222 does not exist"}"#,
};
/// CloudSSO: a successful `DeleteUser`.
pub const ALIBABA_SUCCESS: Body = Body {
    status: 200,
    body: r#"{"RequestId":"0B7E7A9C-5D5E-5C9D-8E2F-3B1A2C4D5E6F"}"#,
};
/// CloudSSO: an unknown user.
pub const ALIBABA_ERROR: Body = Body {
    status: 404,
    body: r#"{"RequestId":"0B7E7A9C-5D5E-5C9D-8E2F-3B1A2C4D5E6F","HostId":"cloudsso.cn-shanghai.aliyuncs.com","Code":"EntityNotExists.User","Message":"The specified user does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=EntityNotExists.User&product=cloudsso"}"#,
};
/// RSA: a successful delete (HTTP 200; the page documents no body).
pub const RSA_SUCCESS: Body = Body {
    status: 200,
    body: "",
};
/// RSA: an enabled user cannot be deleted.
pub const RSA_ERROR: Body = Body {
    status: 409,
    body: r#"{"errorCode":"USER_ENABLED","message":"User is in enabled state."}"#,
};

/// The success and error body of `vendor`'s delete.
pub fn delete_bodies(vendor: Vendor) -> (Body, Body) {
    match vendor {
        Vendor::RsaCas => (RSA_SUCCESS, RSA_ERROR),
        Vendor::CfAccess => (CF_SUCCESS, CF_ERROR),
        Vendor::OneLogin => (ONELOGIN_SUCCESS, ONELOGIN_ERROR),
        Vendor::AaControlRoom => (AA_SUCCESS, AA_ERROR),
        _ => (ALIBABA_SUCCESS, ALIBABA_ERROR),
    }
}
