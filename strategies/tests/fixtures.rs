//! Byte fixtures, both ways: building gives exactly these bytes (checked
//! once with tcpdump -vvv: every checksum correct), and answers built
//! around them classify to the right probe.

mod common;

use common::*;
use tracetcp_strategies::wire::checksum;
use tracetcp_strategies::{
    strategy_for, Classification, Flow, IcmpCode, Instance, NotOurs, ProbeKey, ProbeSpec, Protocol,
    ReplyKind, SeenProbe, Session, Unreachable,
};

#[test]
fn builds_exact_bytes_with_valid_checksums() {
    for (protocol, v6, fixture) in cases() {
        let s = session(v6);
        let bytes = strategy_for(protocol, s).build_probe(&spec());
        assert_eq!(bytes, hex(fixture), "{protocol} v6={v6}");
        let (header, l4_proto) = if v6 { (40, bytes[6]) } else { (20, bytes[9]) };
        if !v6 {
            assert!(checksum::verify(0, &bytes[..20]), "IPv4 header checksum");
        }
        let l4 = &bytes[header..];
        let pseudo = if protocol == Protocol::Icmp && !v6 {
            0
        } else {
            checksum::pseudo_header(s.src(), s.dst(), l4_proto, l4.len())
        };
        assert!(checksum::verify(pseudo, l4), "{protocol} v6={v6} checksum");
    }
}

/// Path MTU probes: padded with zeros to the size asked for (TCP: data in
/// the SYN), DF set on IPv4, checksums valid, still recognised as ours
/// with their size; probes of one flow and one size keep the bytes load
/// balancers hash (an ICMP probe's checksum included), and a size below
/// the bare probe's gives the bare probe.
#[test]
fn sized_probes_are_padded_with_df_and_keep_their_flow() {
    for (protocol, v6, fixture) in cases() {
        let s = session(v6);
        let strategy = strategy_for(protocol, s);
        let sized = |key: u16, size: u16| {
            strategy.build_probe(&ProbeSpec {
                key: ProbeKey::new(key).unwrap(),
                size: Some(size),
                ..spec()
            })
        };
        let what = format!("{protocol} v6={v6}");
        let (a, b) = (sized(7, 1400), sized(8, 1400));
        assert_eq!(a.len(), 1400, "{what}");
        let header = if v6 { 40 } else { 20 };
        if !v6 {
            assert_eq!(a[6] & 0x40, 0x40, "{what}: DF");
        }
        let pseudo = if protocol == Protocol::Icmp && !v6 {
            0
        } else {
            checksum::pseudo_header(s.src(), s.dst(), a[if v6 { 6 } else { 9 }], 1400 - header)
        };
        assert!(checksum::verify(pseudo, &a[header..]), "{what} checksum");
        match strategy.classify(&a) {
            Classification::Probe(p) => assert_eq!((p.key.get(), p.size), (7, 1400), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
        // Ports, or ICMP type, code and checksum: equal across keys.
        let hashed = |p: &[u8]| p[header..header + 4].to_vec();
        assert_eq!(hashed(&a), hashed(&b), "{what}");
        assert_eq!(sized(7, 20).len(), hex(fixture).len(), "{what}");
    }
}

/// The bytes load balancers hash stay the same for every probe of a flow
/// (Paris traceroute), and each probe is still told apart by its key.
#[test]
fn probes_of_one_flow_hash_alike_and_stay_apart() {
    for (protocol, v6, _) in cases() {
        let s = session(v6);
        let strategy = strategy_for(protocol, s);
        let header = if v6 { 40 } else { 20 };
        let mut hashed = None;
        for k in [0u16, 1, 7, 300, 0x7fff] {
            let spec = ProbeSpec {
                key: ProbeKey::new(k).unwrap(),
                ..spec()
            };
            let bytes = strategy.build_probe(&spec);
            // addresses, protocol, flow label; ports or type/code/checksum
            let flow_label = if v6 { bytes[1..4].to_vec() } else { vec![] };
            let fields = (flow_label, bytes[header..header + 4].to_vec());
            assert_eq!(
                *hashed.get_or_insert(fields.clone()),
                fields,
                "{protocol} v6={v6} key {k}"
            );
            match strategy.classify(&bytes) {
                Classification::Probe(p) => {
                    assert_eq!((p.key.get(), p.flow), (k, Flow::new(0xc249)))
                }
                other => panic!("{protocol} v6={v6}: {other:?}"),
            }
        }
    }
}

#[test]
fn tcp_syn_carries_os_like_options() {
    let b = hex(V4_TCP);
    // data offset 10 words: 20 bytes of options, MSS first, window scale last
    assert_eq!(b[32] >> 4, 10);
    assert_eq!(&b[40..44], &[2, 4, 0x05, 0xb4]);
    assert_eq!(&b[44..46], &[4, 2]);
    assert_eq!(&b[46..48], &[8, 10]);
    assert_eq!(&b[56..60], &[1, 3, 3, 7]);
}

#[test]
fn own_probes_are_recognised_leaving() {
    for (protocol, v6, fixture) in cases() {
        let bytes = hex(fixture);
        let c = strategy_for(protocol, session(v6)).classify(&bytes);
        let port = if protocol == Protocol::Icmp { 0 } else { 80 };
        assert_eq!(
            c,
            Classification::Probe(SeenProbe {
                key: ProbeKey::new(7).unwrap(),
                ttl: 3,
                dst_port: port,
                flow: Flow::new(0xc249),
                size: bytes.len() as u16,
            }),
            "{protocol} v6={v6}"
        );
    }
}

#[test]
fn time_exceeded_with_full_and_short_quotes() {
    for (protocol, v6, fixture) in cases() {
        let probe = hex(fixture);
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        for quote_len in [8, probe.len()] {
            let packet = time_exceeded(router, &probe, quote_len);
            let r = reply(strategy_for(protocol, session(v6)).classify(&packet));
            assert_eq!(r.key.get(), 7, "{protocol} v6={v6} quote {quote_len}");
            assert_eq!(r.kind, ReplyKind::TimeExceeded);
            assert_eq!(r.from, router);
            assert_eq!(r.ttl, 63);
            assert_eq!(r.quoted_ttl, Some(1));
            let want_type = if v6 { 3 } else { 11 };
            assert_eq!(
                r.icmp,
                Some(IcmpCode {
                    icmp_type: want_type,
                    code: 0
                })
            );
            assert_eq!(r.dst_port, if protocol == Protocol::Icmp { 0 } else { 80 });
        }
    }
}

#[test]
fn a_quote_shorter_than_8_bytes_is_not_ours() {
    let probe = hex(V4_TCP);
    let packet = time_exceeded(ip(ROUTER_V4), &probe, 4);
    assert!(matches!(
        strategy_for(Protocol::Tcp, session(false)).classify(&packet),
        Classification::NotOurs(NotOurs::Malformed(_))
    ));
}

#[test]
fn syn_ack_and_rst_from_the_destination() {
    for v6 in [false, true] {
        let tcp = strategy_for(Protocol::Tcp, session(v6));
        let expected_ack = 0x4242_0007 + 1;
        let r = reply(tcp.classify(&tcp_answer(v6, 0x12, expected_ack)));
        assert_eq!(
            (r.kind, r.key.get(), r.dst_port),
            (ReplyKind::SynAck, 7, 80)
        );
        assert_eq!(r.from, session(v6).dst());
        let r = reply(tcp.classify(&tcp_answer(v6, 0x14, expected_ack)));
        assert_eq!(r.kind, ReplyKind::Rst);
        // Another run's sequence number: not ours.
        assert_eq!(
            tcp.classify(&tcp_answer(v6, 0x12, 0x1111_0007 + 1)),
            Classification::NotOurs(NotOurs::OtherInstance)
        );
        // A plain ACK is no answer to a SYN.
        assert!(matches!(
            tcp.classify(&tcp_answer(v6, 0x10, expected_ack)),
            Classification::NotOurs(_)
        ));
    }
}

#[test]
fn kernel_rst_after_syn_ack_is_not_a_probe() {
    let s = session(false);
    let mut t = hex(V4_TCP)[20..40].to_vec();
    t[12] = 0x50;
    t[13] = 0x04; // RST, sequence = ours + 1
    t[4..8].copy_from_slice(&(0x4242_0007u32 + 1).to_be_bytes());
    let packet = ip_packet(s.src(), s.dst(), 6, &t);
    assert_eq!(
        strategy_for(Protocol::Tcp, s).classify(&packet),
        Classification::NotOurs(NotOurs::NotAProbe)
    );
}

#[test]
fn echo_reply_from_the_destination() {
    for (v6, fixture) in [(false, V4_ICMP), (true, V6_ICMP)] {
        let s = session(v6);
        let probe = hex(fixture);
        let header = if v6 { 40 } else { 20 };
        let proto = if v6 { 58 } else { 1 };
        let mut m = probe[header..].to_vec();
        m[0] = if v6 { 129 } else { 0 };
        let packet = ip_packet(s.dst(), s.src(), proto, &m);
        let r = reply(strategy_for(Protocol::Icmp, s).classify(&packet));
        assert_eq!((r.kind, r.key.get()), (ReplyKind::EchoReply, 7));
        assert_eq!(r.icmp.map(|c| c.icmp_type), Some(m[0]));
        assert_eq!(r.flow, Flow::new(0xc249));
        m[4] ^= 0x11; // another identifier: another flow
        let other = ip_packet(s.dst(), s.src(), proto, &m);
        let r = reply(strategy_for(Protocol::Icmp, s).classify(&other));
        assert_ne!(r.flow, Flow::new(0xc249));
        m[6] = 0x80; // a sequence number no probe of ours carries
        m[7] = 0x01;
        let other = ip_packet(s.dst(), s.src(), proto, &m);
        assert_eq!(
            strategy_for(Protocol::Icmp, s).classify(&other),
            Classification::NotOurs(NotOurs::OtherInstance)
        );
    }
}

#[test]
fn port_unreachable_from_the_destination() {
    for (v6, fixture) in [(false, V4_UDP), (true, V6_UDP)] {
        let s = session(v6);
        let (t, code) = if v6 { (1, 4) } else { (3, 3) };
        let packet = icmp_error(s.dst(), &hex(fixture), 8, t, code, [0; 4]);
        let r = reply(strategy_for(Protocol::Udp, s).classify(&packet));
        assert_eq!(
            (r.kind, r.key.get(), r.from),
            (ReplyKind::PortUnreachable, 7, s.dst())
        );
        assert!(r.kind.is_destination());
    }
}

fn unreachable_kind(c: Classification) -> Unreachable {
    match reply(c).kind {
        ReplyKind::Unreachable(u) => u,
        other => panic!("expected unreachable, got {other:?}"),
    }
}

#[test]
fn unreachable_codes_map_to_linux_flags() {
    let probe = hex(V4_TCP);
    let tcp = strategy_for(Protocol::Tcp, session(false));
    let router = ip(ROUTER_V4);
    let v4_codes = [
        (0, "!N"),
        (1, "!H"),
        (2, "!P"),
        (13, "!X"),
        (10, "!X"),
        (5, "!S"),
        (14, "!V"),
        (15, "!C"),
        (8, "!<8>"),
        (4, "!F-1400"),
    ];
    for (code, flag) in v4_codes {
        let packet = icmp_error(router, &probe, 8, 3, code, [0, 0, 0x05, 0x78]);
        assert_eq!(
            unreachable_kind(tcp.classify(&packet)).flag(),
            flag,
            "code {code}"
        );
    }

    let probe6 = hex(V6_TCP);
    let tcp6 = strategy_for(Protocol::Tcp, session(true));
    let router6 = ip(ROUTER_V6);
    for (icmp_type, code, flag) in [
        (1, 0, "!N"),
        (1, 1, "!X"),
        (1, 3, "!H"),
        (1, 6, "!X"),
        (2, 0, "!F-1280"),
    ] {
        let packet = icmp_error(router6, &probe6, 8, icmp_type, code, [0, 0, 0x05, 0x00]);
        assert_eq!(
            unreachable_kind(tcp6.classify(&packet)).flag(),
            flag,
            "type {icmp_type} code {code}"
        );
    }
}

#[test]
fn answers_for_other_runs_sessions_and_protocols_are_not_ours() {
    let probe = hex(V4_TCP);
    let packet = time_exceeded(ip(ROUTER_V4), &probe, 8);
    let src = ip("198.18.0.1");
    let other_instance =
        Session::new(src, ip("198.18.9.2"), Instance::new(0x1111).unwrap()).unwrap();
    assert_eq!(
        strategy_for(Protocol::Tcp, other_instance).classify(&packet),
        Classification::NotOurs(NotOurs::OtherInstance)
    );
    let other_dst = Session::new(src, ip("198.18.9.3"), Instance::new(0x4242).unwrap()).unwrap();
    assert_eq!(
        strategy_for(Protocol::Tcp, other_dst).classify(&packet),
        Classification::NotOurs(NotOurs::OtherHosts)
    );
    assert_eq!(
        strategy_for(Protocol::Udp, session(false)).classify(&packet),
        Classification::NotOurs(NotOurs::OtherProtocol)
    );
    assert_eq!(
        strategy_for(Protocol::Tcp, session(true)).classify(&packet),
        Classification::NotOurs(NotOurs::OtherFamily)
    );
}

#[test]
fn filters_name_both_directions() {
    let f = strategy_for(Protocol::Tcp, session(false)).filter();
    assert_eq!(
        f,
        "(tcp and host 198.18.0.1 and host 198.18.9.2) or (icmp and dst host 198.18.0.1)"
    );
    let f = strategy_for(Protocol::Icmp, session(true)).filter();
    assert_eq!(
        f,
        "(icmp6 and src host 2001:db8::1 and dst host 2001:db8:9::2) or (icmp6 and dst host 2001:db8::1)"
    );
}

/// A middlebox that rewrote the UDP checksum (a NAT translating the
/// source, that wrote the address back in the quote but not the
/// checksum), or the checksum and the IPv4 identification (a home NAT),
/// and did not restore them: the answer is still the probe's, by the
/// identification (an 8-byte quote) or the payload marker (a longer one).
#[test]
fn a_udp_answer_is_ours_whatever_a_middlebox_rewrote_in_the_quote() {
    for v6 in [false, true] {
        let probe = hex(if v6 { V6_UDP } else { V4_UDP });
        let header = if v6 { 40 } else { 20 };
        let udp = strategy_for(Protocol::Udp, session(v6));
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        // Every rewritten checksum value, read as a key, names another
        // probe or none; the answer still reaches probe 7.
        for checksum in [0x0001u16, 0x1234, 0x424b, 0x7fff, 0x9999, 0xfffe] {
            let mut rewritten = probe.clone();
            rewritten[header + 6..header + 8].copy_from_slice(&checksum.to_be_bytes());
            for quote_len in [8, probe.len() - header] {
                if v6 && quote_len == 8 {
                    continue; // IPv6 routers quote up to 1280 bytes
                }
                let r = reply(udp.classify(&time_exceeded(router, &rewritten, quote_len)));
                let keys = (r.key.get(), r.also.map(|k| k.get()));
                assert!(
                    keys.0 == 7 || keys.1 == Some(7),
                    "v6={v6} checksum {checksum:#x} quote {quote_len}: {keys:?}"
                );
                if quote_len > 8 {
                    assert_eq!(keys, (7, None), "the marker decides");
                }
            }
            if !v6 {
                // The identification rewritten too: only the marker is left.
                let mut both = rewritten.clone();
                both[4..6].copy_from_slice(&0x1d2cu16.to_be_bytes());
                let r = reply(udp.classify(&time_exceeded(router, &both, probe.len() - header)));
                assert_eq!((r.key.get(), r.also), (7, None), "checksum {checksum:#x}");
            }
        }
    }
}

/// A firewall that randomises TCP sequence numbers leaves the timestamp
/// option, which carries the key too (a quote long enough holds it); a
/// NAT that rewrote the echo sequence leaves the IPv4 identification; a
/// NAT that translated the source and rewrote the sequence too, the same.
#[test]
fn answers_survive_their_key_field_rewritten() {
    for (protocol, fixture, at, translated) in [
        (Protocol::Tcp, V4_TCP, 24, false),
        (Protocol::Icmp, V4_ICMP, 26, false),
        (Protocol::Tcp, V4_TCP, 24, true),
    ] {
        let mut probe = hex(fixture);
        probe[at] ^= 0x5a; // the sequence's high byte
        if translated {
            probe[12..16].copy_from_slice(&[198, 18, 77, 1]);
        }
        let quote_len = if translated { 8 } else { probe.len() - 20 };
        let mut answer = time_exceeded(ip(ROUTER_V4), &probe, quote_len);
        // The NAT writes the answer's destination back, not its quote.
        answer[16..20].copy_from_slice(&[198, 18, 0, 1]);
        let r = reply(strategy_for(protocol, session(false)).classify(&answer));
        // The key, or the other candidate the engine tries after it.
        let keys = (r.key.get(), r.also.map(|k| k.get()));
        assert!(keys.0 == 7 || keys.1 == Some(7), "{protocol}: {keys:?}");
        assert_eq!(r.dst_port, if protocol == Protocol::Tcp { 80 } else { 0 });
    }
}
