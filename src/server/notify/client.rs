//! Outbound HTTP for webhooks, and what it may reach: hosts on the allow-list only, https
//! unless loopback (or allowed), never link-local or cloud-metadata addresses (checked on
//! literal addresses and on every address a name resolves to, so DNS cannot smuggle one
//! in), no redirects, no proxy, a deadline per attempt, and at most a few KiB of answer.

use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::server::config::Settings;

/// Most bytes of an answer read before the connection is dropped.
const ANSWER_LIMIT: usize = 4 * 1024;

/// Which URLs webhooks may be sent to.
#[derive(Debug, Clone)]
pub(crate) struct UrlPolicy {
    /// `None`: any host.
    hosts: Option<Vec<String>>,
    allow_private: bool,
    allow_http: bool,
}

impl UrlPolicy {
    pub(crate) fn from_settings(settings: &Settings) -> Self {
        let hosts: Vec<String> = settings
            .webhook_allow_hosts
            .split(',')
            .map(|h| h.trim().trim_start_matches('[').trim_end_matches(']'))
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        Self {
            hosts: (!hosts.iter().any(|h| h == "*")).then_some(hosts),
            allow_private: settings.webhook_allow_private,
            allow_http: settings.webhook_allow_http,
        }
    }

    /// The URL, if webhooks may be sent to it; else why not.
    pub(crate) fn check(&self, raw: &str) -> Result<Url, String> {
        if raw.len() > 2_000 {
            return Err("must be at most 2000 characters".into());
        }
        let url = Url::parse(raw).map_err(|e| format!("is not a URL ({e})"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password".into());
        }
        let host = url.host().ok_or("must name a host")?;
        let (name, ip) = match &host {
            Host::Domain(d) => (d.to_ascii_lowercase(), None),
            Host::Ipv4(ip) => (ip.to_string(), Some(IpAddr::V4(*ip))),
            Host::Ipv6(ip) => (ip.to_string(), Some(IpAddr::V6(*ip))),
        };
        let loopback = name == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => {}
            "http" if loopback || self.allow_http => {}
            "http" => return Err("must use https (http is for loopback only)".into()),
            _ => return Err("must be an http or https URL".into()),
        }
        if !self.host_allowed(&name) {
            return Err(format!(
                "host {name} is not in COSTLINE_WEBHOOK_ALLOW_HOSTS"
            ));
        }
        if let Some(ip) = ip
            && !self.allow_private
            && forbidden(ip)
        {
            return Err("must not point at a link-local or cloud-metadata address".into());
        }
        Ok(url)
    }

    fn host_allowed(&self, name: &str) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        hosts.iter().any(|h| match h.strip_prefix("*.") {
            Some(parent) => name.ends_with(&format!(".{parent}")),
            None => h == name,
        })
    }
}

/// Link-local (where cloud metadata services live), the AWS IPv6 metadata address, and
/// the unspecified address; IPv4 written as IPv6 is judged as IPv4.
fn forbidden(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
                || v6.is_unspecified()
        }
    }
}

/// Resolves names as usual and drops forbidden addresses; a name with nothing left fails.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found
                .filter(|a| allow_private || !forbidden(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!(
                    "{} resolves to no address webhooks may reach",
                    name.as_str()
                )
                .into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The answer to one attempt: its status code, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) code: Option<u16>,
    pub(crate) error: Option<String>,
}

impl Answer {
    pub(crate) fn delivered(&self) -> bool {
        self.code.is_some_and(|c| (200..300).contains(&c))
    }

    pub(crate) fn failed(error: impl Into<String>) -> Self {
        Self {
            code: None,
            error: Some(error.into()),
        }
    }
}

pub(crate) struct Outbound {
    pub(crate) policy: UrlPolicy,
    client: reqwest::Client,
}

impl Outbound {
    pub(crate) fn new(policy: UrlPolicy, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: policy.allow_private,
            }))
            .user_agent("Costline-Webhooks/1")
            .build()?;
        Ok(Self { policy, client })
    }

    /// POSTs `body` with `headers` to `url`, if the policy lets it; reads at most
    /// [`ANSWER_LIMIT`] bytes of the answer.
    pub(crate) async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Answer {
        let url = match self.policy.check(url) {
            Ok(url) => url,
            Err(why) => return Answer::failed(format!("refused: the URL {why}")),
        };
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Answer::failed(describe(&e)),
        };
        let code = response.status().as_u16();
        let mut read = 0;
        let error = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read >= ANSWER_LIMIT {
                        break None;
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(describe(&e)),
            }
        };
        Answer {
            code: Some(code),
            error,
        }
    }
}

/// A short reason, without the URL (it may carry a token, as Slack's do).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_redirect() {
        "redirects are not followed".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hosts: &str) -> UrlPolicy {
        let mut s = Settings::for_database("sqlite::memory:");
        s.webhook_allow_hosts = hosts.into();
        UrlPolicy::from_settings(&s)
    }

    #[test]
    fn loopback_by_default_https_elsewhere_and_never_metadata() {
        let p = policy("localhost,127.0.0.1,::1");
        assert!(p.check("http://127.0.0.1:9/hook").is_ok());
        assert!(p.check("http://localhost/hook").is_ok());
        assert!(p.check("http://[::1]:8080/").is_ok());
        assert!(p.check("https://hooks.slack.com/x").is_err());
        let any = policy("*");
        assert!(any.check("https://hooks.slack.com/x").is_ok());
        assert!(any.check("http://hooks.slack.com/x").is_err());
        assert!(any.check("https://169.254.169.254/latest").is_err());
        assert!(any.check("https://[fd00:ec2::254]/").is_err());
        assert!(any.check("https://[::ffff:169.254.169.254]/").is_err());
        assert!(any.check("https://[fe80::1]/").is_err());
        assert!(any.check("ftp://example.com/").is_err());
        assert!(any.check("https://user:pw@example.com/").is_err());
        let sub = policy("*.example.com");
        assert!(sub.check("https://a.example.com/").is_ok());
        assert!(sub.check("https://example.com.evil.net/").is_err());
        assert!(sub.check("https://badexample.com/").is_err());
    }

    #[test]
    fn private_addresses_and_http_may_be_allowed() {
        let mut s = Settings::for_database("sqlite::memory:");
        s.webhook_allow_hosts = "*".into();
        s.webhook_allow_private = true;
        s.webhook_allow_http = true;
        let p = UrlPolicy::from_settings(&s);
        assert!(p.check("http://169.254.169.254/").is_ok());
        assert!(p.check("http://example.com/").is_ok());
    }
}
