//! Proxies, supported deliberately: an `https://` request goes through `HTTPS_PROXY` (or
//! `ALL_PROXY`) as a `CONNECT` tunnel, so the proxy sees only the host it connects to, never a
//! credential; a plain `http://` request never goes to a proxy (it would hand the proxy the
//! credentials in clear text), and loopback targets always bypass it. `NO_PROXY` is honoured.
//! `HTTP_PROXY` is ignored on purpose.
//!
//! reqwest's own proxy detection is switched off: it would send plain-http requests (loopback
//! simulators, self-hosted Control Rooms) to `HTTP_PROXY` or `ALL_PROXY`.

use reqwest::{NoProxy, Proxy};
use url::Url;

/// Variables naming the proxy for `https://` requests, in order of precedence.
pub const HTTPS_PROXY_VARS: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/// Variables naming hosts that bypass the proxy.
pub const NO_PROXY_VARS: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// Where loopback never goes through a proxy, whatever `NO_PROXY` says.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxy configuration read from the environment through `lookup`.
#[derive(Debug, Clone)]
pub(crate) struct ProxyConfig {
    url: Url,
    no_proxy: String,
}

impl ProxyConfig {
    /// The `https://` proxy the environment names, if any (an unparseable value is ignored
    /// with a warning that names the variable, never the value: it may hold a password).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<ProxyConfig> {
        let (name, raw) = HTTPS_PROXY_VARS.iter().find_map(|name| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v))
        })?;
        let url = match Url::parse(raw.trim()) {
            Ok(url) if url.host_str().is_some() => url,
            _ => {
                tracing::warn!(variable = name, "ignoring a proxy URL that is not a URL");
                return None;
            }
        };
        let extra = NO_PROXY_VARS
            .iter()
            .find_map(|name| lookup(name))
            .unwrap_or_default();
        Some(ProxyConfig {
            url,
            no_proxy: format!("{LOOPBACK},{extra}"),
        })
    }

    /// The proxy's host and port, for logs (never its credentials).
    pub(crate) fn host(&self) -> String {
        match (self.url.host_str(), self.url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => "?".to_owned(),
        }
    }

    /// Adds the proxy to `builder` for `https://` targets only.
    pub(crate) fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        match Proxy::https(self.url.as_str()) {
            Ok(proxy) => builder.proxy(proxy.no_proxy(NoProxy::from_string(&self.no_proxy))),
            Err(_) => {
                tracing::warn!("ignoring a proxy URL reqwest cannot use");
                builder
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_proxy_wins_and_http_proxy_is_ignored() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(ProxyConfig::from_lookup(env(&[("HTTP_PROXY", "http://p:1")])).is_none());
        let config = ProxyConfig::from_lookup(env(&[
            ("ALL_PROXY", "http://all:2"),
            ("https_proxy", "http://user:pw@secure:3128"),
        ]));
        assert_eq!(config.map(|c| c.host()).as_deref(), Some("secure:3128"));
        assert!(ProxyConfig::from_lookup(env(&[("HTTPS_PROXY", "not a url")])).is_none());
    }
}
