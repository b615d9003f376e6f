//! Who the client of a request is, and the key its rate limits count under.
//!
//! Behind a reverse proxy every request comes from the proxy's address, and
//! the proxy says whom it forwards in `X-Forwarded-For` or `Forwarded`
//! (RFC 7239). Anyone can send those headers, so they are read only on a
//! request whose peer is a trusted proxy, and then from the right: each
//! trusted proxy appends the address it received the request from, so the
//! rightmost address that is not a trusted proxy is the first one no proxy
//! of ours vouches for, the client. Whatever a client writes to the left of
//! it is never read.
//!
//! Everything here is plain functions over addresses and header bytes (no
//! I/O), tested natively; [`resolve`] is the thin middleware that applies
//! them to each request and leaves a [`ClientIp`] in its extensions.

use crate::config::proxies::{canonical, ForwardedHeader, TrustedProxies};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The client's address, as far as the server can tell: the TCP peer, or
/// the address a trusted proxy forwarded for. It feeds the rate limits and
/// nothing else; it is never logged or stored (its `Debug` hides it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl std::fmt::Debug for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientIp(..)")
    }
}

/// The header's name (the type is configuration, `config::proxies`).
impl ForwardedHeader {
    fn name(self) -> HeaderName {
        match self {
            ForwardedHeader::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
            ForwardedHeader::Forwarded => HeaderName::from_static("forwarded"),
        }
    }
}

/// One hop of a forwarding header, as a proxy described it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Ip(IpAddr),
    /// `unknown`, an obfuscated identifier (`_hidden`), or an element
    /// without `for`: the proxy did not say.
    Undisclosed,
}

/// The hops of all `X-Forwarded-For` lines, left to right, each one
/// parsed only when [`client_address`] reaches it from the right: `None`
/// marks an element that is not an address (garbage, `unknown`, empty).
fn x_forwarded_for_hops<'a>(
    lines: &'a [&'a [u8]],
) -> impl DoubleEndedIterator<Item = Option<IpAddr>> + 'a {
    lines.iter().flat_map(|line| {
        line.split(|b| *b == b',').map(|element| {
            std::str::from_utf8(element)
                .ok()
                .and_then(parse_node_address)
        })
    })
}

/// An address as a hop writes it: `192.0.2.1`, `192.0.2.1:443`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`.
fn parse_node_address(s: &str) -> Option<IpAddr> {
    let s = s.trim_matches([' ', '\t']);
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip = inside.parse::<Ipv6Addr>().ok()?;
        return (after.is_empty() || is_port(after.strip_prefix(':')?))
            .then_some(canonical(IpAddr::V6(ip)));
    }
    let (host, port) = s.rsplit_once(':')?;
    let ip = host.parse::<Ipv4Addr>().ok()?;
    is_port(port).then_some(IpAddr::V4(ip))
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses `Forwarded` lines (RFC 7239) into their hops, left to right.
/// `None` if any line breaks the grammar: quoted strings may hold commas,
/// so a broken line cannot be read safely from the right.
pub fn parse_forwarded(lines: &[&[u8]]) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in lines {
        let line = std::str::from_utf8(line).ok()?;
        let mut p = Parser {
            s: line.as_bytes(),
            at: 0,
        };
        loop {
            p.skip_ows();
            let mut for_value: Option<String> = None;
            let mut names: Vec<String> = Vec::new();
            // One element: pairs separated by ';'.
            loop {
                p.skip_ows();
                let name = p.token()?.to_ascii_lowercase();
                p.skip_ows();
                p.expect(b'=')?;
                p.skip_ows();
                let value = if p.peek() == Some(b'"') {
                    p.quoted()?
                } else {
                    p.token()?.to_owned()
                };
                if names.contains(&name) {
                    return None;
                }
                if name == "for" {
                    for_value = Some(value);
                }
                names.push(name);
                p.skip_ows();
                if p.peek() == Some(b';') {
                    p.at += 1;
                    continue;
                }
                break;
            }
            hops.push(match for_value {
                Some(v) => parse_forwarded_node(&v)?,
                None => Hop::Undisclosed,
            });
            p.skip_ows();
            match p.peek() {
                None => break,
                Some(b',') => p.at += 1,
                Some(_) => return None,
            }
        }
    }
    Some(hops)
}

/// The value of `for=`: an address (IPv6 in brackets), with an optional
/// port, or `unknown`, or an obfuscated identifier (`_` and token chars),
/// each with an optional (possibly obfuscated) port.
fn parse_forwarded_node(v: &str) -> Option<Hop> {
    if let Some(ip) = parse_node_address(v) {
        // A bare IPv6 address is not valid here (it must be in brackets),
        // but nothing is gained by refusing it.
        return Some(Hop::Ip(ip));
    }
    let name = match v.rsplit_once(':') {
        Some((name, port)) if !name.starts_with('[') => {
            if !(is_port(port) || is_obfuscated(port)) {
                return None;
            }
            name
        }
        _ => v,
    };
    (name.eq_ignore_ascii_case("unknown") || is_obfuscated(name)).then_some(Hop::Undisclosed)
}

fn is_obfuscated(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('_')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }
    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.at += 1)
    }
    fn token(&mut self) -> Option<&'a str> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        (self.at > start)
            .then(|| std::str::from_utf8(&self.s[start..self.at]).ok())
            .flatten()
    }
    fn quoted(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.at += 1;
                    out.push(self.peek()?);
                    self.at += 1;
                }
                b => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The client of a request from `peer` carrying `headers`: `peer` itself
/// unless it is a trusted proxy; then the rightmost hop of `header` that is
/// not a trusted proxy, or, if every hop is one, the leftmost. A hop that
/// has to be read but does not name an address (garbage, `unknown`, an
/// obfuscated identifier) leaves the client unknown, so the peer stands for
/// it, as does a `Forwarded` header that breaks the grammar anywhere.
pub fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    header: ForwardedHeader,
) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.contains(peer) {
        return peer;
    }
    let lines: Vec<&[u8]> = headers
        .get_all(header.name())
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let mut leftmost = peer;
    match header {
        ForwardedHeader::XForwardedFor => {
            for hop in x_forwarded_for_hops(&lines).rev() {
                match hop {
                    None => return peer,
                    Some(ip) if trusted.contains(ip) => leftmost = ip,
                    Some(ip) => return ip,
                }
            }
        }
        ForwardedHeader::Forwarded => {
            let Some(hops) = parse_forwarded(&lines) else {
                return peer;
            };
            for hop in hops.into_iter().rev() {
                match hop {
                    Hop::Undisclosed => return peer,
                    Hop::Ip(ip) if trusted.contains(ip) => leftmost = ip,
                    Hop::Ip(ip) => return ip,
                }
            }
        }
    }
    leftmost
}

/// The key a client's rate-limit buckets are kept under: an IPv4 address
/// as it is; an IPv6 address by its /64, the smallest network a provider
/// gives one subscriber (a client picks any address inside it at will).
pub fn bucket_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::from(u64::MAX)))),
        v4 => v4,
    }
}

/// How the server tells clients apart: its trusted proxies and the header
/// they write.
#[derive(Debug, Clone, Default)]
pub struct ClientResolver {
    pub trusted: TrustedProxies,
    pub header: ForwardedHeader,
}

/// Middleware: puts the request's [`ClientIp`] in its extensions, once.
pub async fn resolve(
    State(resolver): State<std::sync::Arc<ClientResolver>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = client_address(peer, request.headers(), &resolver.trusted, resolver.header);
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

/// A handler may take `ClientIp` as an argument; without the middleware
/// (a router served without it) it is the TCP peer.
impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<ClientIp>() {
            return Ok(*c);
        }
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| canonical(c.0.ip())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::proxies::Cidr;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).unwrap()
    }

    fn headers(name: &str, lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(l.as_bytes()).unwrap(),
            );
        }
        h
    }

    fn xff(peer: &str, trusted: &[&str], lines: &[&str]) -> IpAddr {
        client_address(
            ip(peer),
            &headers("x-forwarded-for", lines),
            &proxies(trusted),
            ForwardedHeader::XForwardedFor,
        )
    }

    fn fwd(peer: &str, trusted: &[&str], lines: &[&str]) -> IpAddr {
        client_address(
            ip(peer),
            &headers("forwarded", lines),
            &proxies(trusted),
            ForwardedHeader::Forwarded,
        )
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        assert_eq!(
            xff("203.0.113.9", &[], &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            xff("203.0.113.9", &["127.0.0.1"], &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            fwd("203.0.113.9", &["127.0.0.1"], &["for=198.51.100.1"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let t = &["127.0.0.1", "10.0.0.0/8"];
        assert_eq!(xff("127.0.0.1", t, &["198.51.100.7"]), ip("198.51.100.7"));
        // The client forged the first element; nginx appended the real one.
        assert_eq!(
            xff("127.0.0.1", t, &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row.
        assert_eq!(
            xff("127.0.0.1", t, &["1.2.3.4, 198.51.100.7, 10.1.1.1"]),
            ip("198.51.100.7")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            xff("127.0.0.1", t, &["1.2.3.4", "198.51.100.7", "10.1.1.1"]),
            ip("198.51.100.7")
        );
        // Ports and brackets, as some proxies write them.
        assert_eq!(
            xff("127.0.0.1", t, &["198.51.100.7:5555"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            xff("127.0.0.1", t, &["[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
        assert_eq!(xff("127.0.0.1", t, &[" 2001:db8::7 "]), ip("2001:db8::7"));
        assert_eq!(xff("127.0.0.1", t, &["[2001:db8::7]"]), ip("2001:db8::7"));
        // Every hop trusted: the leftmost one made the request.
        assert_eq!(xff("127.0.0.1", t, &["10.0.0.5, 10.0.0.6"]), ip("10.0.0.5"));
        // A trusted proxy that sent no header: its own request.
        assert_eq!(xff("127.0.0.1", t, &[]), ip("127.0.0.1"));
        // A dual-stack socket's mapped address is the IPv4 one.
        assert_eq!(
            xff("::ffff:127.0.0.1", t, &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            xff("127.0.0.1", t, &["::ffff:198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn garbage_where_a_trusted_proxy_should_have_written_leaves_the_peer() {
        let t = &["127.0.0.1"];
        for line in [
            "",
            "unknown",
            "evil.example",
            "198.51.100.7,",
            "198.51.100.7, ",
            "1.2.3.4:99999999",
            "[2001:db8::7",
            "2001:db8::7]",
            "<script>",
            "198.51.100.7 198.51.100.8",
        ] {
            assert_eq!(xff("127.0.0.1", t, &[line]), ip("127.0.0.1"), "{line:?}");
        }
        // What the client wrote to the left is never read.
        assert_eq!(
            xff("127.0.0.1", t, &["garbage, ,unknown, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Bytes that are not text.
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(
            client_address(
                ip("127.0.0.1"),
                &h,
                &proxies(t),
                ForwardedHeader::XForwardedFor
            ),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // nginx appends to X-Forwarded-For and passes a client's Forwarded
        // through untouched: reading it would believe the client.
        let mut h = headers("forwarded", &["for=1.2.3.4"]);
        h.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        let t = proxies(&["127.0.0.1"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &t, ForwardedHeader::XForwardedFor),
            ip("198.51.100.7")
        );
        let h = headers("forwarded", &["for=1.2.3.4"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &t, ForwardedHeader::XForwardedFor),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn forwarded_elements_follow_rfc_7239() {
        let t = &["127.0.0.1", "10.0.0.0/8"];
        assert_eq!(
            fwd("127.0.0.1", t, &["for=198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            fwd("127.0.0.1", t, &["For=\"[2001:db8:cafe::17]:4711\""]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            fwd("127.0.0.1", t, &["for=192.0.2.43;proto=https;by=10.0.0.1"]),
            ip("192.0.2.43")
        );
        assert_eq!(
            fwd("127.0.0.1", t, &["for=192.0.2.43, for=198.51.100.17"]),
            ip("198.51.100.17")
        );
        assert_eq!(
            fwd(
                "127.0.0.1",
                t,
                &[
                    "for=192.0.2.43",
                    "for=\"198.51.100.17:80\";proto=http, for=10.2.2.2"
                ]
            ),
            ip("198.51.100.17")
        );
        // A quoted comma is part of its value, not a separator.
        assert_eq!(
            fwd(
                "127.0.0.1",
                t,
                &["for=_x;ext=\"a, for=1.2.3.4\", for=198.51.100.17"]
            ),
            ip("198.51.100.17")
        );
        // Hidden or unknown hops, or one without `for`, where a trusted
        // proxy wrote: the client is unknown, the peer stands for it.
        for line in [
            "for=unknown",
            "for=_hidden",
            "for=\"_hidden:_port\"",
            "for=\"unknown:8080\"",
            "proto=https",
            "for=198.51.100.7, for=_gateway",
        ] {
            assert_eq!(fwd("127.0.0.1", t, &[line]), ip("127.0.0.1"), "{line:?}");
        }
        // Left of the answer, a hidden hop is fine.
        assert_eq!(
            fwd("127.0.0.1", t, &["for=_x, for=198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_forwarded_header_that_breaks_the_grammar_is_ignored_whole() {
        let t = &["127.0.0.1"];
        for line in [
            "for=2001:db8::1",
            "for=\"198.51.100.7",
            "for=198.51.100.7;for=198.51.100.8",
            "for=198.51.100.7;",
            "for=198.51.100.7,,",
            "for =",
            "=198.51.100.7",
            "for=198.51.100.7 x",
            "for=\"[2001:db8::1]:port\"",
            "for=\"evil.example\"",
            "for=_",
        ] {
            assert_eq!(fwd("127.0.0.1", t, &[line]), ip("127.0.0.1"), "{line:?}");
        }
        // One broken line spoils them all.
        assert_eq!(
            fwd("127.0.0.1", t, &["for=\"oops", "for=198.51.100.7"]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_and_ipv4_mapped_is_ipv4() {
        assert_eq!(bucket_key(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_ne!(
            bucket_key(ip("198.51.100.7")),
            bucket_key(ip("198.51.100.8"))
        );
        assert_eq!(
            bucket_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            bucket_key(ip("2001:db8:1:2::1")),
            bucket_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            bucket_key(ip("2001:db8:1:2::1")),
            bucket_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(bucket_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn client_ip_hides_the_address_when_printed() {
        assert_eq!(
            format!("{:?}", ClientIp(ip("198.51.100.7"))),
            "ClientIp(..)"
        );
    }

    fn any_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
            any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the headers say, an untrusted peer is the client.
        #[test]
        fn headers_never_move_an_untrusted_peer(peer in any_ip(), line in ".*", other in ".*") {
            let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
            prop_assume!(!trusted.contains(peer));
            let mut h = HeaderMap::new();
            for (name, v) in [("x-forwarded-for", &line), ("forwarded", &other)] {
                if let Ok(v) = HeaderValue::from_str(v) {
                    h.append(name, v);
                }
            }
            for header in [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded] {
                prop_assert_eq!(client_address(peer, &h, &trusted, header), canonical(peer));
            }
        }

        /// Whatever a client writes before the proxy's own element, the
        /// client found is the address the proxy appended.
        #[test]
        fn a_forged_prefix_changes_nothing(
            forged in proptest::collection::vec(any::<u8>(), 0..200),
            real in any_ip(),
        ) {
            let trusted = proxies(&["127.0.0.1"]);
            prop_assume!(!trusted.contains(real));
            let mut line = forged.clone();
            line.extend_from_slice(format!(", {real}").as_bytes());
            let Ok(v) = HeaderValue::from_bytes(&line) else { return Ok(()) };
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v);
            prop_assert_eq!(
                client_address(ip("127.0.0.1"), &h, &trusted, ForwardedHeader::XForwardedFor),
                canonical(real)
            );
        }

        /// Arbitrary bytes never panic the parsers, and a client found in
        /// a header is an address the header holds or the peer.
        #[test]
        fn arbitrary_headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_forwarded(&[&bytes]);
            let trusted = proxies(&["127.0.0.1", "::/0"]);
            if let Ok(v) = HeaderValue::from_bytes(&bytes) {
                for (name, header) in [("x-forwarded-for", ForwardedHeader::XForwardedFor), ("forwarded", ForwardedHeader::Forwarded)] {
                    let mut h = HeaderMap::new();
                    h.insert(name, v.clone());
                    let _ = client_address(ip("127.0.0.1"), &h, &trusted, header);
                }
            }
        }

        /// Any address in one /64 has the same key; any two /64s differ.
        #[test]
        fn one_key_per_64(a in any::<u128>(), b in any::<u64>(), c in any::<u64>()) {
            let net = a & !(u128::from(u64::MAX));
            let x = IpAddr::V6(Ipv6Addr::from(net | u128::from(b)));
            let y = IpAddr::V6(Ipv6Addr::from(net | u128::from(c)));
            prop_assume!(canonical(x).is_ipv6() && canonical(y).is_ipv6());
            prop_assert_eq!(bucket_key(x), bucket_key(y));
            let other = IpAddr::V6(Ipv6Addr::from(net ^ (1u128 << 64)));
            prop_assume!(canonical(other).is_ipv6());
            prop_assert_ne!(bucket_key(x), bucket_key(other));
        }

        /// A network contains exactly the addresses that share its prefix.
        #[test]
        fn a_network_contains_what_shares_its_prefix(net in any::<u32>(), prefix in 0u8..=32, probe in any::<u32>()) {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            let cidr: Cidr = format!("{}/{prefix}", Ipv4Addr::from(net & mask)).parse().unwrap();
            prop_assert_eq!(
                cidr.contains(IpAddr::V4(Ipv4Addr::from(probe))),
                probe & mask == net & mask
            );
        }
    }
}
