//! Prints the probes of every strategy and family as hex, and writes them
//! to a LINKTYPE_RAW pcap given as the first argument, for checking with
//! an independent decoder (`tcpdump -vvv -r FILE`).

use std::io::Write;
use tracetcp_strategies::{strategy_for, Flow, Instance, ProbeKey, ProbeSpec, Protocol, Session};

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "probes.pcap".into());
    let mut out = std::fs::File::create(path)?;
    // pcap global header: magic, v2.4, zone 0, sigfigs 0, snaplen, LINKTYPE_RAW
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    for word in [0u32, 0, 65535, 101] {
        out.write_all(&word.to_le_bytes())?;
    }
    let instance = Instance::new(0x4242).unwrap();
    for (src, dst) in [
        ("198.18.0.1", "198.18.9.2"),
        ("2001:db8::1", "2001:db8:9::2"),
    ] {
        let session = Session::new(src.parse().unwrap(), dst.parse().unwrap(), instance).unwrap();
        for protocol in Protocol::ALL {
            let s = strategy_for(protocol, session);
            let spec = ProbeSpec {
                ttl: 3,
                key: ProbeKey::new(7).unwrap(),
                dst_port: 80,
                flow: Flow::new(0xc249),
                size: None,
            };
            let bytes = s.build_probe(&spec);
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            println!("{protocol} {dst}: {}", hex.join(""));
            for word in [0u32, 0, bytes.len() as u32, bytes.len() as u32] {
                out.write_all(&word.to_le_bytes())?;
            }
            out.write_all(&bytes)?;
        }
    }
    Ok(())
}
