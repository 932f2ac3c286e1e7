//! Which DNS server to ask: `--dns-server ADDR[:PORT]`, or the system's
//! first `nameserver` in /etc/resolv.conf (port 53), or, with neither,
//! 127.0.0.1 as the C library would.
//!
//! Owns the server's choice; pure but for reading resolv.conf.

use std::net::{IpAddr, SocketAddr};

/// `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address, as a server.
pub fn server(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let ip: IpAddr = text.trim_matches(['[', ']']).parse().ok()?;
    Some(SocketAddr::new(ip, 53))
}

/// The first nameserver of a resolv.conf's `text`.
pub fn first_nameserver(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next()? == "nameserver").then_some(())?;
        // A scoped IPv6 address ("fe80::1%eth0") is taken without its zone.
        server(words.next()?.split('%').next()?)
    })
}

/// The server to ask: `chosen`, else the system's, else 127.0.0.1:53.
pub fn pick(chosen: Option<SocketAddr>) -> SocketAddr {
    chosen
        .or_else(|| {
            let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
            first_nameserver(&text)
        })
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 53)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_read_with_or_without_a_port() {
        assert_eq!(server("198.18.0.53"), "198.18.0.53:53".parse().ok());
        assert_eq!(server("198.18.0.53:5353"), "198.18.0.53:5353".parse().ok());
        assert_eq!(server("2001:db8::53"), "[2001:db8::53]:53".parse().ok());
        assert_eq!(server("[2001:db8::53]"), "[2001:db8::53]:53".parse().ok());
        assert_eq!(
            server("[2001:db8::53]:5353"),
            "[2001:db8::53]:5353".parse().ok()
        );
        assert_eq!(server("dns.lab"), None);
    }

    #[test]
    fn the_first_nameserver_of_resolv_conf_is_asked() {
        let conf = "# comment\nsearch lab\noptions timeout:1\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n";
        assert_eq!(first_nameserver(conf), "198.18.0.53:53".parse().ok());
        assert_eq!(
            first_nameserver("nameserver fe80::1%eth0"),
            "[fe80::1]:53".parse().ok()
        );
        assert_eq!(first_nameserver("search lab\n"), None);
    }
}
