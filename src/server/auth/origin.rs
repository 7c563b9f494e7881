//! Where a request comes from, and whom it was meant for: the checks that keep other web
//! pages out.
//!
//! - Cross-site writes (CSRF): a write not made with a bearer token must not name another
//!   site in `Origin` (or, without one, `Referer`); `Origin: null` (sandboxed frames,
//!   `data:` pages, some redirects) counts as another site. Where a browser is the only
//!   legitimate caller (with a session cookie, to `/auth/...`, to the dashboard in local
//!   mode) one of the two headers must be there and name us.
//! - DNS rebinding, in local mode: a page on `rb.attacker.example` whose name has been made
//!   to resolve to 127.0.0.1 reaches us as the same origin as itself. Its requests still
//!   say `Host: rb.attacker.example`, so local mode serves only requests that name this
//!   machine by a loopback name and the port it listens on.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, Uri, header};

use crate::server::error::AppError;

/// `host[:port]` of an `Origin` or `Referer` value (`scheme://host[:port][/...]`).
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

fn cross_site() -> AppError {
    AppError::Forbidden(
        "cross-site request refused: the Origin or Referer header must name this site".into(),
    )
}

/// A 403 unless the request's `Origin` (else `Referer`) names the host it was sent to.
/// Without either, `must_vouch` decides.
pub fn check_same_origin(
    headers: &HeaderMap,
    trust_proxy: bool,
    must_vouch: bool,
) -> Result<(), AppError> {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = header_str("origin").map(str::trim);
    if origin.is_some_and(|o| o.eq_ignore_ascii_case("null")) {
        return Err(cross_site());
    }
    let claimed = origin
        .map(authority)
        .or_else(|| header_str("referer").map(authority));
    let host = trust_proxy
        .then(|| header_str("x-forwarded-host"))
        .flatten()
        .or_else(|| header_str("host"));
    match (claimed, host) {
        (None, _) if !must_vouch => Ok(()),
        (Some(Some(from)), Some(host)) if from.eq_ignore_ascii_case(host.trim()) => Ok(()),
        _ => Err(cross_site()),
    }
}

/// Local mode's guard against DNS rebinding: a 403 unless the request names this machine
/// by a loopback name (`localhost`, `127.0.0.1`, `[::1]`, or the loopback address we listen
/// on) and our port, in `Host` and in an absolute request URI alike.
pub fn check_local_host(
    headers: &HeaderMap,
    uri: &Uri,
    listening: SocketAddr,
) -> Result<(), AppError> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let named = [host, uri.authority().map(|a| a.as_str())];
    let ok = named.iter().any(Option::is_some)
        && named
            .iter()
            .flatten()
            .all(|h| names_this_machine(h, listening.port()));
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "local mode answers only requests addressed to localhost, 127.0.0.1 or [::1] on \
             port {}: the Host header names another server",
            listening.port()
        )))
    }
}

/// Whether `host[:port]` is a loopback name with `port` (or no port, when that is 80).
fn names_this_machine(authority: &str, port: u16) -> bool {
    let authority = authority.trim();
    let (name, given) = match authority.rfind(':') {
        // An IPv6 literal's own colons are inside its brackets.
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let port_ok = match given {
        Some(p) => p.parse::<u16>() == Ok(port),
        None => port == 80,
    };
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let loopback = name.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    port_ok && loopback
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::test_headers as headers;

    #[test]
    fn same_origin_writes_pass_and_cross_site_ones_do_not() {
        let same = headers(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "http://10.0.0.5:3000"),
        ]);
        assert!(check_same_origin(&same, false, true).is_ok());
        let referer = headers(&[
            ("host", "10.0.0.5:3000"),
            ("referer", "http://10.0.0.5:3000/companies/x?month=2026-11"),
        ]);
        assert!(check_same_origin(&referer, false, true).is_ok());
        let evil = headers(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_same_origin(&evil, false, false).is_err());
        let none = headers(&[("host", "10.0.0.5:3000")]);
        assert!(
            check_same_origin(&none, false, false).is_ok(),
            "curl, no cookie"
        );
        assert!(
            check_same_origin(&none, false, true).is_err(),
            "cookie, no origin"
        );
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-host", "costs.example.com"),
            ("origin", "https://costs.example.com"),
        ]);
        assert!(check_same_origin(&proxied, true, true).is_ok());
        assert!(check_same_origin(&proxied, false, true).is_err());
    }

    #[test]
    fn origin_null_is_another_site_even_with_a_good_referer() {
        for vouch in [false, true] {
            let null = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
            assert!(check_same_origin(&null, false, vouch).is_err());
            let with_referer = headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "null"),
                ("referer", "http://127.0.0.1:3000/"),
            ]);
            assert!(check_same_origin(&with_referer, false, vouch).is_err());
        }
    }

    #[test]
    fn local_mode_serves_loopback_names_on_our_port_only() {
        let at: SocketAddr = "127.0.0.1:3000".parse().expect("addr");
        let uri = Uri::from_static("/api/companies");
        let host = |h: &str| check_local_host(&headers(&[("host", h)]), &uri, at).is_ok();
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LocalHost:3000",
            "[::1]:3000",
        ] {
            assert!(host(ok), "{ok}");
        }
        for refused in [
            "rb.attacker.example:3000",
            "rb.attacker.example",
            "127.0.0.1:3001",
            "localhost",
            "10.0.0.5:3000",
            "localhost.attacker.example:3000",
            "[::1]",
            "",
        ] {
            assert!(!host(refused), "{refused}");
        }
        assert!(
            check_local_host(&HeaderMap::new(), &uri, at).is_err(),
            "no Host at all"
        );
        let absolute = Uri::from_static("http://rb.attacker.example:3000/api/companies");
        assert!(check_local_host(&headers(&[("host", "127.0.0.1:3000")]), &absolute, at).is_err());
        let on_80: SocketAddr = "127.0.0.1:80".parse().expect("addr");
        assert!(check_local_host(&headers(&[("host", "localhost")]), &uri, on_80).is_ok());
    }
}
