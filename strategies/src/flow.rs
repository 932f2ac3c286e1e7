//! Flows: the fields that load balancers hash, held constant for every
//! probe of one trace (Paris traceroute), and the probe's identity kept
//! outside them.
//!
//! A [`Flow`] is one number. For TCP and UDP it is the source port. For
//! ICMP echo it is the ones'-complement sum of identifier and sequence
//! number, which fixes the checksum (the bytes routers hash): a probe's
//! sequence number carries its identity and the identifier makes up the
//! difference. The IPv6 flow label is the flow's number too.
//!
//! Depends only on the probe vocabulary.

use crate::ident::{Instance, ProbeKey, KEY_SPAN};
use std::fmt;

/// One flow, as load balancers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow(u16);

/// The first port of the ephemeral range flows are picked from (Linux's
/// `ip_local_port_range` is 32768-60999).
const EPHEMERAL_FIRST: u16 = 32768;
const EPHEMERAL_LAST: u16 = 60999;

impl Flow {
    pub fn new(value: u16) -> Self {
        Flow(value)
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// A flow from the ephemeral range, derived from a run's instance.
    pub fn ephemeral(instance: Instance) -> Self {
        let span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
        Flow(EPHEMERAL_FIRST + instance.get().wrapping_mul(40503) % span)
    }

    /// The flow `n` places after this one: multipath discovery walks
    /// flows in this order. Stays in the upper half of the port space and
    /// never reaches 0xffff (ones'-complement zero for ICMP).
    pub fn nth(self, n: u16) -> Self {
        let span = 0xffff - EPHEMERAL_FIRST;
        let offset = (self.0.wrapping_sub(EPHEMERAL_FIRST) % span + n % span) % span;
        Flow(EPHEMERAL_FIRST + offset)
    }

    /// A different flow for every probe (`--no-paris`, as classic
    /// traceroutes do).
    pub fn per_probe(instance: Instance, key: ProbeKey) -> Self {
        Flow(0x8000 | (key.get().wrapping_add(instance.get()) % KEY_SPAN))
    }

    /// The ICMP echo identifier that, with `sequence`, keeps this flow.
    pub fn echo_identifier(self, sequence: u16) -> u16 {
        ones_add(self.0, !sequence)
    }

    /// The flow of an echo message with this identifier and sequence.
    pub fn of_echo(identifier: u16, sequence: u16) -> Self {
        Flow(ones_add(identifier, sequence))
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Ones'-complement addition (end-around carry).
fn ones_add(a: u16, b: u16) -> u16 {
    let sum = u32::from(a) + u32::from(b);
    ((sum & 0xffff) + (sum >> 16)) as u16
}

/// The 15-bit tag that carries a probe's identity where a whole 16-bit
/// field is available (UDP checksum, ICMP sequence): never 0 or 0xffff,
/// and offset by the run's instance so two runs' tags differ.
pub(crate) fn tag(instance: Instance, key: ProbeKey) -> u16 {
    1 + (key.get().wrapping_add(instance.get()) % KEY_SPAN)
}

/// The key of a probe that left from `port` as `Flow::per_probe` gives
/// it (the first release's probes carried their key so).
pub(crate) fn key_of_per_probe(instance: Instance, port: u16) -> Option<ProbeKey> {
    (port & 0x8000 != 0)
        .then(|| ProbeKey::new((port & 0x7fff).wrapping_sub(instance.get()) % KEY_SPAN))
        .flatten()
}

/// The key a tag carries, if it can be one of ours.
pub(crate) fn key_of_tag(instance: Instance, tag: u16) -> Option<ProbeKey> {
    if tag == 0 || tag > KEY_SPAN {
        return None;
    }
    ProbeKey::new((tag - 1).wrapping_sub(instance.get()) % KEY_SPAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_identifier_keeps_the_flow_for_every_sequence() {
        for flow in [0x8000u16, 0x8001, 0xabcd, 0xfffe, 1, 0x7fff] {
            for seq in [0u16, 1, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x1234] {
                let id = Flow(flow).echo_identifier(seq);
                assert_eq!(Flow::of_echo(id, seq), Flow(flow), "{flow:#x} {seq:#x}");
            }
        }
    }

    #[test]
    fn nth_flows_stay_in_the_upper_half_and_differ() {
        let base = Flow::ephemeral(Instance::new(7).unwrap());
        assert!((EPHEMERAL_FIRST..=EPHEMERAL_LAST).contains(&base.get()));
        let mut seen = std::collections::HashSet::new();
        for n in 0..1000 {
            let f = base.nth(n);
            assert!(f.get() >= EPHEMERAL_FIRST && f.get() < 0xffff);
            assert!(seen.insert(f));
        }
        assert_eq!(Flow(0xfffe).nth(1), Flow(EPHEMERAL_FIRST));
    }

    #[test]
    fn tags_round_trip_and_avoid_special_values() {
        let i = Instance::new(0xfffe).unwrap();
        for k in [0u16, 1, 0x1234, KEY_SPAN - 1] {
            let key = ProbeKey::new(k).unwrap();
            let t = tag(i, key);
            assert!(t != 0 && t != 0xffff && t <= KEY_SPAN);
            assert_eq!(key_of_tag(i, t), Some(key));
        }
        assert_eq!(key_of_tag(i, 0), None);
        assert_eq!(key_of_tag(i, 0x8001), None);
    }

    #[test]
    fn per_probe_flows_vary_with_the_key() {
        let i = Instance::new(9).unwrap();
        let a = Flow::per_probe(i, ProbeKey::new(1).unwrap());
        let b = Flow::per_probe(i, ProbeKey::new(2).unwrap());
        assert_ne!(a, b);
        assert!(a.get() >= 0x8000);
    }
}
