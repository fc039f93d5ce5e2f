//! Who is asking: the client's address, taken from `X-Forwarded-For` (or `Forwarded`) only when the
//! request comes from a reverse proxy named in `TRUST_PROXY`; otherwise the TCP peer's.

use std::net::IpAddr;

/// Addresses and CIDR ranges (`10.0.0.0/8`, `::1`) of trusted reverse proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// A comma- or space-separated list; an unreadable entry is an error naming it.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for entry in list
            .split([',', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (addr, bits) = match entry.split_once('/') {
                Some((addr, bits)) => (addr, Some(bits)),
                None => (entry, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("TRUST_PROXY: `{entry}` is not an address or CIDR range"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("TRUST_PROXY: `{entry}` has a bad prefix length"))?,
            };
            ranges.push((addr, bits));
        }
        Ok(Self(ranges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(net, bits)| in_range(ip, canonical(*net), *bits))
    }

    /// The client: the peer, unless the peer is a trusted proxy; then the right-most address of
    /// the forwarding header that is not itself a trusted proxy (what a client writes at the left
    /// of the header is not believed).
    ///
    /// The header is `X-Forwarded-For`, which nginx, HAProxy (`option forwardfor`), Caddy,
    /// Traefik and cloud balancers all append to; `Forwarded` only when there is none. The other
    /// way round, a client's own `Forwarded`, passed through untouched by a proxy that appends to
    /// `X-Forwarded-For`, chose the address it was counted under.
    pub fn client(
        &self,
        peer: Option<IpAddr>,
        forwarded: Option<&str>,
        x_forwarded_for: Option<&str>,
    ) -> Option<IpAddr> {
        let peer = peer?;
        if !self.contains(peer) {
            return Some(peer);
        }
        // Each hop, `None` where it cannot be read (`unknown`, a port the proxy added).
        let hops: Vec<Option<IpAddr>> = match (x_forwarded_for, forwarded) {
            (Some(header), _) => header.split(',').map(|h| h.trim().parse().ok()).collect(),
            (None, Some(header)) => header
                .split(',')
                .map(|hop| {
                    hop.split(';').find_map(|pair| {
                        let (key, value) = pair.trim().split_once('=')?;
                        key.eq_ignore_ascii_case("for")
                            .then(|| forwarded_for(value))?
                    })
                })
                .collect(),
            (None, None) => Vec::new(),
        };
        // From the right: past each trusted proxy, to the first hop that is not one. A hop that
        // cannot be read ends the walk at the last trusted one: what lies left of it is anyone's.
        let mut last = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.contains(ip) => last = ip,
                Some(ip) => return Some(ip),
                None => return Some(last),
            }
        }
        Some(last)
    }
}

/// `for=192.0.2.60`, `for="[2001:db8::1]:4711"`, `for="192.0.2.60:80"`.
fn forwarded_for(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    value
        .parse()
        .ok()
        .or_else(|| value.rsplit_once(':')?.0.parse().ok())
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1 ::1").unwrap();
        assert!(proxies.contains(ip("10.20.30.40")));
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("::ffff:10.1.1.1")));
        assert!(proxies.contains(ip("::1")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn believes_forwarding_headers_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let client = |peer: &str, fwd: Option<&str>, xff: Option<&str>| {
            proxies
                .client(Some(ip(peer)), fwd, xff)
                .unwrap()
                .to_string()
        };
        // Not from a proxy: the header is anyone's to write.
        assert_eq!(client("203.0.113.9", None, Some("1.2.3.4")), "203.0.113.9");
        // From the proxy: the right-most untrusted hop.
        assert_eq!(
            client("10.0.0.2", None, Some("1.2.3.4, 198.51.100.7")),
            "198.51.100.7"
        );
        assert_eq!(
            client("10.0.0.2", None, Some("198.51.100.7, 10.0.0.5")),
            "198.51.100.7"
        );
        assert_eq!(
            client(
                "10.0.0.2",
                Some("for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\""),
                None
            ),
            "2001:db8::1"
        );
        assert_eq!(
            client("10.0.0.2", Some("for=\"192.0.2.60:80\""), None),
            "192.0.2.60"
        );
        // A client's own `Forwarded`, passed through by a proxy that appends to
        // `X-Forwarded-For`, is not believed.
        assert_eq!(
            client("10.0.0.2", Some("for=198.51.100.1"), Some("203.0.113.5")),
            "203.0.113.5"
        );
        // HAProxy's own line after the client's: the lines are read as one list, from the right.
        assert_eq!(
            client("10.0.0.2", None, Some("198.51.100.7,203.0.113.5")),
            "203.0.113.5"
        );
        // A hop that cannot be read stops the walk: nothing left of it is believed.
        assert_eq!(
            client(
                "10.0.0.2",
                None,
                Some("198.51.100.7, 203.0.113.5:443, 10.0.0.9")
            ),
            "10.0.0.9"
        );
        // A proxy that sent no header: the proxy itself.
        assert_eq!(client("10.0.0.2", None, None), "10.0.0.2");
        assert_eq!(client("10.0.0.2", None, Some("garbage")), "10.0.0.2");
        assert_eq!(
            client("10.0.0.2", None, Some("1.2.3.4, garbage")),
            "10.0.0.2"
        );
    }
}
