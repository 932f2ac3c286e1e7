//! The Internet checksum (RFC 1071) and the pseudo-headers of TCP, UDP
//! and ICMPv6.
//!
//! Pure arithmetic.

use std::net::IpAddr;

/// Ones' complement sum of `bytes` as big-endian 16-bit words, added to
/// `initial`; an odd last byte is padded with zero. Not yet folded.
pub fn sum(initial: u32, bytes: &[u8]) -> u32 {
    let mut acc = u64::from(initial);
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        acc += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(u16::from_be_bytes([*last, 0]));
    }
    fold64(acc)
}

fn fold64(mut acc: u64) -> u32 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u32
}

/// Folds a running sum to 16 bits.
pub fn fold(acc: u32) -> u16 {
    fold64(u64::from(acc)) as u16
}

/// The checksum field value for a running sum: its folded complement.
pub fn finish(acc: u32) -> u16 {
    !fold(acc)
}

/// Sum of the pseudo-header that TCP, UDP (and ICMPv6) checksums cover.
pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, length: usize) -> u32 {
    let mut acc = 0;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum(acc, &s.octets());
            acc = sum(acc, &d.octets());
            acc = sum(acc, &[0, protocol]);
            acc = sum(acc, &(length as u16).to_be_bytes());
        }
        _ => {
            acc = sum(acc, &to_v6(src));
            acc = sum(acc, &to_v6(dst));
            acc = sum(acc, &(length as u32).to_be_bytes());
            acc = sum(acc, &[0, 0, 0, protocol]);
        }
    }
    acc
}

fn to_v6(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// True when `bytes` (with the pseudo-header sum `initial`) check out.
pub fn verify(initial: u32, bytes: &[u8]) -> bool {
    fold(sum(initial, bytes)) == 0xffff
}

/// The 16-bit word that, placed in a covered field that currently holds
/// zero, makes the finished checksum equal `target`. `acc` is the sum of
/// everything else the checksum covers (the checksum field counted as
/// `target`'s position holding zero too).
pub fn word_for_target(acc: u32, target: u16) -> u16 {
    // We need fold(acc + w) == !target in ones' complement arithmetic.
    fold(u32::from(!target) + u32::from(!fold(acc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example words: 0001 f203 f4f5 f6f7 -> sum ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(0, &bytes)), 0xddf2);
        assert_eq!(finish(sum(0, &bytes)), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(sum(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn word_for_target_hits_the_target() {
        for target in [1u16, 0x1234, 0x8000, 0xfffe] {
            for base in [0u32, 0xffff, 0x1_2345, 0xabcd] {
                let w = word_for_target(base, target);
                let total = sum(base, &w.to_be_bytes());
                assert_eq!(finish(total), target, "base {base:#x} target {target:#x}");
            }
        }
    }
}
