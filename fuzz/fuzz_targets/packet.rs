//! Any bytes as a captured IP packet: every strategy of both families
//! classifies it (answers, quotes, ICMP extensions as they come) without
//! panicking, and the wire views read it without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracetcp_strategies::wire::{IcmpView, IpView, Quoting};
use tracetcp_strategies::{strategy_for, Instance, Protocol, Session};

fuzz_target!(|data: &[u8]| {
    let instance = Instance::new(0x4242).unwrap();
    for (src, dst) in [("198.18.0.1", "198.18.9.2"), ("2001:db8::1", "2001:db8:9::2")] {
        let session = Session::new(src.parse().unwrap(), dst.parse().unwrap(), instance).unwrap();
        for p in Protocol::ALL {
            let _ = strategy_for(p, session).classify(data);
        }
    }
    for quoting in [Quoting::Whole, Quoting::Quoted] {
        if let Ok(ip) = IpView::parse(data, quoting) {
            if let Ok(icmp) = IcmpView::parse(ip.payload) {
                let _ = icmp.extensions(ip.is_v6());
            }
        }
    }
});
