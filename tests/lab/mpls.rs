//! A crafted recording of a path through an MPLS core, for the fixtures:
//! Linux routers send no ICMP extensions, so the time-exceeded answers of
//! a lab recording's hops 2 and 3 are rebuilt with their label stacks
//! (RFC 4950) after a padded quote (RFC 4884), hop 2's router naming its
//! interface too (RFC 5837). Everything else is copied as recorded.

use std::path::Path;
use tracetcp::record::{pcapng, reader};
use tracetcp_strategies::answer::ip_packet;
use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_INTERFACE, CLASS_MPLS};
use tracetcp_strategies::wire::{IcmpMessage, IcmpView, IpView, Quoting};

/// The label the router at `addr` reports, for the routers in the core.
fn label(addr: &str) -> Option<u32> {
    match addr {
        "198.18.1.2" => Some(24001),
        "198.18.2.2" => Some(24002),
        _ => None,
    }
}

/// Writes to `out` the IPv4 recording `from` (an Ethernet capture by
/// tracetcp -w) with the answers of the core's routers extended.
pub fn craft(from: &Path, out: &Path) -> Result<(), String> {
    let recorded = std::fs::read(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let comment = reader::annotations(&recorded)
        .ok_or("not a pcapng recording")?
        .section_comment
        .ok_or("no session")?;
    let session: serde_json::Value = serde_json::from_str(&comment).map_err(|e| e.to_string())?;
    let src: std::net::IpAddr = session["source"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no source")?;
    let mut w = pcapng::Writer::new(Vec::new(), 1, 65535, &comment).map_err(|e| e.to_string())?;
    let mut cap = pcap::Capture::from_file(from).map_err(|e| e.to_string())?;
    while let Ok(p) = cap.next_packet() {
        let ts = p.header.ts.tv_sec as u64 * 1_000_000_000 + p.header.ts.tv_usec as u64 * 1000;
        let frame = p.data.to_vec();
        let ip = IpView::parse(&frame[14..], Quoting::Whole).map_err(|e| e.to_string())?;
        let Some(label) = label(&ip.src.to_string()).filter(|_| ip.dst == src) else {
            w.packet(ts, &frame, None).map_err(|e| e.to_string())?;
            continue;
        };
        let icmp = IcmpView::parse(ip.payload).map_err(|e| e.to_string())?;
        let stack = [MplsEntry {
            label,
            tc: 0,
            bottom: true,
            ttl: 1,
        }];
        let mpls = extension::mpls_stack(&stack);
        let (ctype, named) =
            extension::interface_info(0, 7, "198.18.1.2".parse().unwrap(), "ge-0/0/1", 1500);
        let ext = if label == 24001 {
            extension::emit(&[(CLASS_MPLS, 1, &mpls), (CLASS_INTERFACE, ctype, &named)])
        } else {
            extension::emit(&[(CLASS_MPLS, 1, &mpls)])
        };
        let (rest, body) = IcmpMessage::extended_body(false, icmp.rest, icmp.body, &ext);
        let m = IcmpMessage {
            icmp_type: icmp.icmp_type,
            code: icmp.code,
            rest,
            body: &body,
        }
        .emit(|_| 0);
        let mut rebuilt = frame[..14].to_vec();
        rebuilt.extend_from_slice(&ip_packet(ip.src, src, 1, &m));
        w.packet(ts, &rebuilt, None).map_err(|e| e.to_string())?;
    }
    let bytes = w.finish(&[], "{}").map_err(|e| e.to_string())?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}
