//! `server.trusted_proxies` and `server.client_address_header`: which
//! reverse proxies are believed about the client's address, and in which
//! header. `crate::client` applies them to each request.

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address or a network: `10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    /// Refuses a network with bits set past its prefix (`10.0.0.1/8`): it is
    /// almost always a typo for an address or for another network.
    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = IpAddr::from_str(addr).map(canonical).map_err(|_| {
            "is not an IP address or a network (CIDR) such as 10.0.0.0/8".to_owned()
        })?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(format!(
                        "the prefix length must be a number from 0 to {max}"
                    ))
                }
            },
        };
        let cidr = Cidr { network, prefix };
        if cidr.masked(network) != network {
            return Err(format!(
                "has bits set past its /{prefix}: write the network ({}/{prefix}) or the address alone",
                cidr.masked(network)
            ));
        }
        Ok(cidr)
    }
}

impl Cidr {
    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.network.is_ipv4() && self.masked(ip) == self.network
    }
}

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses the `trusted_proxies` entries; each error names its entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, Vec<String>> {
        let mut networks = Vec::new();
        let mut errors = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match entry.as_ref().parse::<Cidr>() {
                Ok(c) => networks.push(c),
                Err(e) => errors.push(format!("trusted_proxies[{i}] {:?}: {e}", entry.as_ref())),
            }
        }
        if errors.is_empty() {
            Ok(TrustedProxies(networks))
        } else {
            Err(errors)
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Which header the trusted proxies write. Only that one is read: a proxy
/// that appends to one header passes the other through untouched, as the
/// client wrote it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ForwardedHeader {
    #[default]
    #[serde(rename = "X-Forwarded-For", alias = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239.
    #[serde(rename = "Forwarded", alias = "forwarded")]
    Forwarded,
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, as a dual-stack
/// socket reports it) is the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).unwrap()
    }

    #[test]
    fn trusted_proxy_entries_are_addresses_or_networks() {
        let t = proxies(&[
            "127.0.0.1",
            "10.0.0.0/8",
            "2001:db8::/32",
            "::1",
            "0.0.0.0/0",
        ]);
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("10.200.3.4")));
        assert!(t.contains(ip("2001:db8:ffff::1")));
        assert!(t.contains(ip("::1")));
        assert!(
            proxies(&["10.0.0.0/8"]).contains(ip("::ffff:10.1.2.3")),
            "mapped IPv4"
        );
        assert!(!proxies(&["10.0.0.0/8"]).contains(ip("11.0.0.1")));
        assert!(!proxies(&["2001:db8::/32"]).contains(ip("2001:db9::1")));
        assert!(
            !proxies(&["0.0.0.0/0"]).contains(ip("::2")),
            "v4 networks hold no v6"
        );
        assert!(proxies(&["::/0"]).contains(ip("2a00::1")));
        assert!(proxies(&["::ffff:192.0.2.1"]).contains(ip("192.0.2.1")));
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_wrong_entry_is_named_with_its_problem() {
        let errors = TrustedProxies::parse(&[
            "127.0.0.1",
            "nginx.local",
            "10.0.0.1/8",
            "10.0.0.0/33",
            "2001:db8::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(
            errors[0].starts_with("trusted_proxies[1] \"nginx.local\": is not an IP address"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("trusted_proxies[2]") && errors[1].contains("10.0.0.0/8"),
            "{errors:?}"
        );
        assert!(errors[2].contains("0 to 32"), "{errors:?}");
        assert!(errors[3].contains("0 to 128"), "{errors:?}");
    }
}
