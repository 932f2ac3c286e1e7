//! The simulator's middleboxes: what NATs and routers that rewrite
//! checksums do to the probes they forward, and to the answers on their
//! way back to us.

use super::Hop;
use tracetcp_strategies::reshape::rewrite_checksum;
use tracetcp_strategies::wire::{IpView, Quoting};

/// The source a stateless NAT gives the probes it forwards.
const NAT_SOURCE: [u8; 4] = [198, 18, 77, 1];
const NAT_PORT: u16 = 40000;

/// A probe as the routers past `before` see it: rewritten by every NAT
/// on the way. Addresses of IPv4 probes only are translated (a NAT66 is
/// rare); checksums of both.
pub(super) fn as_forwarded(probe: &[u8], before: &[Hop]) -> Vec<u8> {
    let mut p = probe.to_vec();
    let Ok(view) = IpView::parse(probe, Quoting::Whole) else {
        return p;
    };
    let l4 = probe.len() - view.payload.len();
    for hop in before {
        let stateless = matches!(hop, Hop::StatelessNat(_));
        if !stateless && !matches!(hop, Hop::RewritesChecksum(_)) {
            continue;
        }
        rewrite_checksum(&mut p[l4..], view.protocol);
        if stateless && !view.is_v6() {
            p[12..16].copy_from_slice(&NAT_SOURCE);
            if view.protocol != 1 {
                p[l4..l4 + 2].copy_from_slice(&NAT_PORT.to_be_bytes());
            }
        }
    }
    p
}

/// `answer` as it reaches us: a NAT on the way translated its
/// destination (and a TCP answer's port) back to the probe's own.
pub(super) fn to_us(mut answer: Vec<u8>, probe: &[u8]) -> Vec<u8> {
    let (Ok(a), Ok(p)) = (
        IpView::parse(&answer, Quoting::Whole),
        IpView::parse(probe, Quoting::Whole),
    ) else {
        return answer;
    };
    let (a_l4, p_l4) = (
        answer.len() - a.payload.len(),
        probe.len() - p.payload.len(),
    );
    let tcp = a.protocol == 6;
    if a.is_v6() {
        answer[24..40].copy_from_slice(&probe[8..24]);
    } else {
        answer[16..20].copy_from_slice(&probe[12..16]);
    }
    if tcp {
        answer[a_l4 + 2..a_l4 + 4].copy_from_slice(&probe[p_l4..p_l4 + 2]);
    }
    answer
}
