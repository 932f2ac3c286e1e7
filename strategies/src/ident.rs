//! Who sent a probe and which probe it is: the run's instance and the
//! probe's key, carried in fields load balancers do not hash.
//!
//! Depends on nothing else of the crate.

/// Identifies one run of tracetcp on the wire, so that two runs at once
/// never take each other's replies. Never 0 or 0xffff: the UDP strategy
/// uses it as its checksum value, where those two are special.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance(u16);

impl Instance {
    pub fn new(value: u16) -> Option<Self> {
        (value != 0 && value != 0xffff).then_some(Instance(value))
    }

    /// An instance derived from any seed (a process id, the time).
    pub fn from_seed(seed: u64) -> Self {
        let mixed = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29)
            .wrapping_mul(0xbf58_476d_1ce4_e5b9);
        Instance(1 + ((mixed >> 24) % 0xfffe) as u16)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// How many probes can be told apart on the wire at once. Keys are reused
/// modulo this span, long after their probes have expired.
pub const KEY_SPAN: u16 = 0x8000;

/// The per-probe number carried in the probe's headers (15 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProbeKey(u16);

impl ProbeKey {
    pub fn new(value: u16) -> Option<Self> {
        (value < KEY_SPAN).then_some(ProbeKey(value))
    }

    /// The key of the `index`-th probe of a run.
    pub fn for_index(index: u64) -> Self {
        ProbeKey((index % u64::from(KEY_SPAN)) as u16)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// The IPv4 identification a probe carries: its key, made the run's by
/// the instance, with the top bit set (recordings made before it carried
/// the bare key, always below 0x8000: a reader tells the two apart). A
/// second place for the key, where a NAT that rewrites the transport
/// checksum (UDP's key) usually leaves it.
pub fn ip_ident(instance: Instance, key: ProbeKey) -> u16 {
    0x8000 | (key.get() ^ (instance.get() & 0x7fff))
}

/// The key an IPv4 identification carries, if it is of the form
/// `ip_ident` writes (any such value decodes: a candidate to confirm).
pub fn key_of_ip_ident(instance: Instance, ident: u16) -> Option<ProbeKey> {
    (ident & 0x8000 != 0).then(|| ProbeKey((ident & 0x7fff) ^ (instance.get() & 0x7fff)))
}

/// Four payload bytes that name the run and the probe: a third place for
/// the key, read from quotes long enough to hold it (most routers quote
/// more than RFC 792's 8 bytes; IPv6 routers quote up to 1280).
pub fn marker(instance: Instance, key: ProbeKey) -> [u8; 4] {
    let [a, b] = instance.get().to_be_bytes();
    let [c, d] = key.get().to_be_bytes();
    [a, b, c, d]
}

/// The key of a payload marker, if it is this run's.
pub fn key_of_marker(instance: Instance, bytes: &[u8]) -> Option<ProbeKey> {
    match bytes {
        [a, b, c, d, ..] if u16::from_be_bytes([*a, *b]) == instance.get() => {
            ProbeKey::new(u16::from_be_bytes([*c, *d]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_avoids_special_values() {
        assert!(Instance::new(0).is_none());
        assert!(Instance::new(0xffff).is_none());
        for seed in 0..10_000u64 {
            let i = Instance::from_seed(seed).get();
            assert!(i != 0 && i != 0xffff);
        }
    }

    #[test]
    fn the_ip_ident_and_the_marker_carry_the_key_both_ways() {
        let i = Instance::new(0xbeef).unwrap();
        for k in [0u16, 1, 0x1234, KEY_SPAN - 1] {
            let key = ProbeKey::new(k).unwrap();
            let id = ip_ident(i, key);
            assert!(id >= 0x8000);
            assert_eq!(key_of_ip_ident(i, id), Some(key));
            assert_eq!(key_of_marker(i, &marker(i, key)), Some(key));
        }
        // A bare key (recordings made before) is not read as one.
        assert_eq!(key_of_ip_ident(i, 0x1234), None);
        let other = Instance::new(0x1234).unwrap();
        let key = ProbeKey::new(7).unwrap();
        assert_eq!(key_of_marker(other, &marker(i, key)), None);
        assert_eq!(key_of_marker(i, &[0xbe, 0xef, 0x01]), None);
        assert_eq!(key_of_marker(i, &[0xbe, 0xef, 0xff, 0xff]), None);
    }

    #[test]
    fn keys_wrap_at_the_span() {
        assert_eq!(ProbeKey::for_index(u64::from(KEY_SPAN) + 5).get(), 5);
        assert!(ProbeKey::new(KEY_SPAN).is_none());
    }
}
