//! Special-purpose address ranges (RFC 6890 and its successors): private,
//! shared (carrier-grade NAT), loopback, link-local, unique local,
//! documentation, benchmarking, multicast and reserved. No public
//! registry announces them, so asking a public provider about them leaks
//! the address and answers nothing.
//!
//! Owns that list; pure.

use std::net::IpAddr;

/// IPv4 special-purpose prefixes (address, length).
const V4: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 88, 99, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
];

/// IPv6 special-purpose prefixes, by their first 16-bit groups.
const V6: &[([u16; 3], u8)] = &[
    ([0, 0, 0], 8),            // ::/8: unspecified, loopback, IPv4-mapped
    ([0x0064, 0xff9b, 1], 48), // NAT64 local use
    ([0x0100, 0, 0], 64),      // discard-only
    ([0x2001, 0, 0], 23),      // IETF protocol assignments
    ([0x2001, 0x0db8, 0], 32), // documentation
    ([0x2002, 0, 0], 16),      // 6to4
    ([0x3fff, 0, 0], 20),      // documentation (RFC 9637)
    ([0xfc00, 0, 0], 7),       // unique local
    ([0xfe80, 0, 0], 10),      // link-local
    ([0xff00, 0, 0], 8),       // multicast
];

fn within(addr: &[u8], prefix: &[u8], len: u8) -> bool {
    let full = usize::from(len / 8);
    let rest = len % 8;
    if addr[..full] != prefix[..full] {
        return false;
    }
    rest == 0 || (addr[full] ^ prefix[full]) >> (8 - rest) == 0
}

/// Whether `addr` is in a special-purpose range.
pub fn is_special(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => V4.iter().any(|(p, len)| within(&a.octets(), p, *len)),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_special(IpAddr::V4(v4));
            }
            let octets = a.octets();
            V6.iter().any(|(groups, len)| {
                let mut p = [0u8; 16];
                for (i, g) in groups.iter().enumerate() {
                    p[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
                }
                within(&octets, &p, *len)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ranges_are_known_and_public_ones_are_not() {
        for special in [
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "169.254.1.1",
            "172.31.0.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.2.7",
            "203.0.113.9",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
        ] {
            assert!(is_special(special.parse().unwrap()), "{special}");
        }
        for public in [
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "198.20.0.1",
            "8.8.8.8",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_special(public.parse().unwrap()), "{public}");
        }
    }
}
