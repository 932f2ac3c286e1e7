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
    fn keys_wrap_at_the_span() {
        assert_eq!(ProbeKey::for_index(u64::from(KEY_SPAN) + 5).get(), 5);
        assert!(ProbeKey::new(KEY_SPAN).is_none());
    }
}
