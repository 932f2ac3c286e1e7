//! The target as typed: host[:port|:service], [v6]:port, bare v6 literals;
//! ports by number or /etc/services name; hosts by literal or DNS.
//!
//! Must not depend on the engine or the reports.

use crate::error::{Error, Result};
use std::net::{IpAddr, ToSocketAddrs};
use tracetcp_strategies::Protocol;

/// Address family restriction (-4 / -6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// The target split into host and optional port or service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetArg {
    pub host: String,
    pub port: Option<String>,
}

impl TargetArg {
    pub fn parse(s: &str) -> Result<TargetArg> {
        let bad = || Error::Usage(format!("bad target '{s}': expected host[:port|:service]"));
        if s.is_empty() {
            return Err(bad());
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .filter(|p| !p.is_empty())
                        .ok_or_else(bad)?
                        .to_string(),
                ),
            };
            return Ok(TargetArg {
                host: host.to_string(),
                port,
            });
        }
        if s.matches(':').count() > 1 {
            // A bare IPv6 literal: no port possible.
            return Ok(TargetArg {
                host: s.to_string(),
                port: None,
            });
        }
        match s.split_once(':') {
            Some((h, p)) if !h.is_empty() && !p.is_empty() => Ok(TargetArg {
                host: h.to_string(),
                port: Some(p.to_string()),
            }),
            Some(_) => Err(bad()),
            None => Ok(TargetArg {
                host: s.to_string(),
                port: None,
            }),
        }
    }
}

/// A port number, or a service name looked up in /etc/services.
pub fn resolve_port(s: &str, protocol: Protocol) -> Result<u16> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(Error::Usage(format!(
                "bad port '{s}': ports are 1 to 65535"
            ))),
        };
    }
    let proto = if protocol == Protocol::Udp {
        "udp"
    } else {
        "tcp"
    };
    let services = std::fs::read_to_string("/etc/services").unwrap_or_default();
    let lookup = |proto| {
        service_port(&services, s, proto).or_else(|| service_port(FALLBACK_SERVICES, s, proto))
    };
    if let Some(port) = lookup(proto) {
        return Ok(port);
    }
    // Known, but for the other protocol: say exactly that.
    let other = if proto == "udp" { "tcp" } else { "udp" };
    Err(Error::Usage(match lookup(other) {
        Some(port) => format!(
            "service '{s}' has no {proto} port (it is {port}/{other}); give the port as a number"
        ),
        None => format!("unknown service '{s}' (not in /etc/services)"),
    }))
}

/// Common services, for systems without /etc/services.
const FALLBACK_SERVICES: &str = "\
ftp 21/tcp\nssh 22/tcp\ntelnet 23/tcp\nsmtp 25/tcp\ndomain 53/tcp\ndomain 53/udp\n\
http 80/tcp www\npop3 110/tcp\nntp 123/udp\nimap 143/tcp\nsnmp 161/udp\nhttps 443/tcp\n\
https 443/udp\nsubmission 587/tcp\nimaps 993/tcp\npop3s 995/tcp\nmysql 3306/tcp\n\
postgresql 5432/tcp\n";

/// The port of `name` (or an alias) for `proto` in services(5) text.
fn service_port(services: &str, name: &str, proto: &str) -> Option<u16> {
    services.lines().find_map(|line| {
        let line = line.split('#').next()?;
        let mut words = line.split_whitespace();
        let service = words.next()?;
        let (port, p) = words.next()?.split_once('/')?;
        let named =
            service.eq_ignore_ascii_case(name) || words.any(|a| a.eq_ignore_ascii_case(name));
        (named && p == proto).then(|| port.parse().ok()).flatten()
    })
}

/// The host's address: a literal, or the first DNS answer of the family.
pub fn resolve_host(host: &str, family: Option<Family>) -> Result<IpAddr> {
    let fits = |a: &IpAddr| match family {
        Some(Family::V4) => a.is_ipv4(),
        Some(Family::V6) => a.is_ipv6(),
        None => true,
    };
    if let Ok(a) = host.parse::<IpAddr>() {
        return if fits(&a) {
            Ok(a)
        } else {
            Err(Error::Usage(format!(
                "{host} is not an address of the family asked for (-4/-6)"
            )))
        };
    }
    let addrs = (host, 0)
        .to_socket_addrs()
        .map_err(|e| Error::Usage(format!("unknown host '{host}': {e}")))?;
    let all: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    // Without -4/-6, prefer IPv4 as most traceroutes do.
    all.iter()
        .copied()
        .filter(fits)
        .find(|a| family.is_some() || a.is_ipv4())
        .or_else(|| all.iter().copied().find(fits))
        .ok_or_else(|| {
            Error::Usage(format!(
                "unknown host '{host}': no address of the family asked for"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> (String, Option<String>) {
        let a = TargetArg::parse(s).unwrap();
        (a.host, a.port)
    }

    #[test]
    fn splits_host_and_port() {
        assert_eq!(t("www.ebay.co.uk"), ("www.ebay.co.uk".into(), None));
        assert_eq!(
            t("ftp.cdrom.com:ftp"),
            ("ftp.cdrom.com".into(), Some("ftp".into()))
        );
        assert_eq!(
            t("198.18.9.2:135"),
            ("198.18.9.2".into(), Some("135".into()))
        );
        assert_eq!(
            t("[2001:db8::1]:443"),
            ("2001:db8::1".into(), Some("443".into()))
        );
        assert_eq!(t("[2001:db8::1]"), ("2001:db8::1".into(), None));
        assert_eq!(t("2001:db8::1"), ("2001:db8::1".into(), None));
        for bad in [
            "",
            ":80",
            "host:",
            "[2001:db8::1",
            "[2001:db8::1]80",
            "[2001:db8::1]:",
        ] {
            assert!(TargetArg::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_and_services() {
        assert_eq!(resolve_port("443", Protocol::Tcp).unwrap(), 443);
        assert!(resolve_port("0", Protocol::Tcp).is_err());
        assert!(resolve_port("65536", Protocol::Tcp).is_err());
        assert!(resolve_port("no-such-service", Protocol::Tcp).is_err());
        assert_eq!(service_port(FALLBACK_SERVICES, "www", "tcp"), Some(80));
        assert_eq!(service_port(FALLBACK_SERVICES, "HTTP", "tcp"), Some(80));
        assert_eq!(service_port(FALLBACK_SERVICES, "ntp", "tcp"), None);
        assert_eq!(
            service_port("# c\nfoo 7/tcp bar # x\n", "bar", "tcp"),
            Some(7)
        );
        assert_eq!(resolve_port("ftp", Protocol::Tcp).unwrap(), 21);
        // A service with a port for the other protocol only says so.
        let e = resolve_port("ssh", Protocol::Udp).unwrap_err().to_string();
        assert_eq!(
            e,
            "service 'ssh' has no udp port (it is 22/tcp); give the port as a number"
        );
        assert!(resolve_port("no-such-service", Protocol::Udp)
            .unwrap_err()
            .to_string()
            .contains("unknown service"));
    }

    #[test]
    fn literal_hosts_respect_the_family() {
        assert_eq!(
            resolve_host("198.18.0.1", None).unwrap(),
            "198.18.0.1".parse::<IpAddr>().unwrap()
        );
        assert!(resolve_host("198.18.0.1", Some(Family::V6)).is_err());
        assert!(resolve_host("2001:db8::1", Some(Family::V6)).is_ok());
    }
}
