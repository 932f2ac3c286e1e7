//! Byte fixtures, both ways: building gives exactly these bytes (checked
//! once with tcpdump -vvv: every checksum correct), and answers built
//! around them classify to the right probe.

mod common;

use common::*;
use tracetcp_strategies::wire::{checksum, ExtensionProblem};
use tracetcp_strategies::{
    strategy_for, Classification, Flow, IcmpCode, Instance, NotOurs, ProbeKey, ProbeSpec, Protocol,
    Reply, ReplyKind, SeenProbe, Session, Unreachable,
};

fn reply(c: Classification) -> Reply {
    match c {
        Classification::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

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

/// A router in an MPLS core appends its label stack (RFC 4884 / 4950)
/// after a quote padded to 128 bytes: the stack is read, and the quote
/// still identifies the probe and its fields, over IPv4 and IPv6.
#[test]
fn mpls_label_stacks_are_read_from_icmp_extensions() {
    use tracetcp_strategies::answer::time_exceeded_extended;
    use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_MPLS};
    use tracetcp_strategies::wire::Quoting;
    use tracetcp_strategies::Fields;
    let stack = [
        MplsEntry {
            label: 24001,
            tc: 0,
            bottom: false,
            ttl: 1,
        },
        MplsEntry {
            label: 16,
            tc: 5,
            bottom: true,
            ttl: 1,
        },
    ];
    let ext = extension::emit(&[(CLASS_MPLS, 1, &extension::mpls_stack(&stack))]);
    for (protocol, v6, fixture) in cases() {
        let probe = hex(fixture);
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        let packet = time_exceeded_extended(router, &probe, &ext).unwrap();
        let r = reply(strategy_for(protocol, session(v6)).classify(&packet));
        assert_eq!(r.key.get(), 7, "{protocol} v6={v6}");
        assert_eq!(
            r.mpls.entries().collect::<Vec<_>>(),
            stack.to_vec(),
            "{protocol} v6={v6}"
        );
        // The padding and the extension after the quote change no field.
        assert_eq!(
            r.quote,
            Fields::of(&probe, Quoting::Whole),
            "{protocol} v6={v6}"
        );
        // A structure whose checksum is wrong gives no stack, and the
        // answer is still the probe's.
        let mut bad = ext.clone();
        bad[2] ^= 0xff;
        let packet = time_exceeded_extended(router, &probe, &bad).unwrap();
        let r = reply(strategy_for(protocol, session(v6)).classify(&packet));
        assert!(r.mpls.is_empty(), "{protocol} v6={v6}");
        assert_eq!(r.key.get(), 7, "{protocol} v6={v6}");
        assert_eq!(r.ignored, Some(ExtensionProblem::BadChecksum));
    }
}

/// Hostile extensions: each is ignored with its reason, the answer is
/// still the probe's, and the quote claims no change it did not see.
#[test]
fn hostile_extensions_are_ignored_with_a_reason() {
    use tracetcp_strategies::answer::error_extended;
    use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_MPLS};
    use tracetcp_strategies::wire::Quoting;
    use tracetcp_strategies::Fields;
    let stack = [MplsEntry {
        label: 24001,
        tc: 0,
        bottom: true,
        ttl: 1,
    }];
    let ext = extension::emit(&[(CLASS_MPLS, 1, &extension::mpls_stack(&stack))]);
    // An object claiming more bytes than the structure holds (checksum
    // left "not computed").
    let mut long_object = ext.clone();
    long_object[2..4].copy_from_slice(&[0, 0]);
    long_object[4..6].copy_from_slice(&0xffu16.to_be_bytes());
    for (protocol, v6, fixture) in cases() {
        let probe = hex(fixture);
        let sent = Fields::of(&probe, Quoting::Whole).unwrap();
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        let (icmp_at, te) = if v6 { (40, 3) } else { (20, 11) };
        // The length field sits at byte 4 of an ICMPv6 error, 5 of ICMPv4.
        let length_at = icmp_at + if v6 { 4 } else { 5 };
        let with_length = |words: u8| {
            let mut p = error_extended(router, &probe, te, &ext).unwrap();
            p[length_at] = words;
            p
        };
        let mut cases = vec![
            (
                error_extended(router, &probe, te, &long_object).unwrap(),
                ExtensionProblem::Malformed,
            ),
            (with_length(5), ExtensionProblem::BadLengthField),
            (with_length(255), ExtensionProblem::BadLengthField),
        ];
        if v6 {
            // Packet too big may not carry extensions; bytes 4..8 are its MTU.
            let mut ptb = error_extended(router, &probe, 2, &ext).unwrap();
            ptb[icmp_at + 4..icmp_at + 8].copy_from_slice(&1280u32.to_be_bytes());
            cases.push((ptb, ExtensionProblem::NotAllowed));
        }
        for (packet, problem) in cases {
            let what = format!("{protocol} v6={v6} {problem:?}");
            let r = reply(strategy_for(protocol, session(v6)).classify(&packet));
            assert_eq!((r.key.get(), r.ignored), (7, Some(problem)), "{what}");
            assert!(r.mpls.is_empty(), "{what}");
            let quote = r.quote.expect("a quote");
            assert!(agrees(&sent, &quote), "{what}: {quote:?} vs {sent:?}");
        }
    }
}

/// Every field the quote holds equals the probe's: no false change.
fn agrees(sent: &tracetcp_strategies::Fields, q: &tracetcp_strategies::Fields) -> bool {
    fn same<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
        b.is_none() || a == b
    }
    (
        sent.tos,
        sent.total_len,
        sent.dont_fragment,
        sent.src,
        sent.dst,
    ) == (q.tos, q.total_len, q.dont_fragment, q.src, q.dst)
        && same(sent.ident, q.ident)
        && same(sent.src_port, q.src_port)
        && same(sent.dst_port, q.dst_port)
        && same(sent.seq, q.seq)
        && same(sent.ack, q.ack)
        && same(sent.window, q.window)
        && same(sent.checksum, q.checksum)
        && same(sent.udp_length, q.udp_length)
        && same(sent.icmp_id, q.icmp_id)
        && same(sent.options, q.options)
}

/// RFC 5837: a router names the interface a probe came in on (ifIndex,
/// address, name, MTU) in an extension, next to its MPLS stack.
#[test]
fn interface_information_is_read_from_icmp_extensions() {
    use tracetcp_strategies::answer::time_exceeded_extended;
    use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_INTERFACE, CLASS_MPLS};
    let stack = [MplsEntry {
        label: 16,
        tc: 0,
        bottom: true,
        ttl: 1,
    }];
    let (ctype, data) =
        extension::interface_info(0, 7, "198.18.1.2".parse().unwrap(), "ge-0/0/1", 1500);
    let ext = extension::emit(&[
        (CLASS_MPLS, 1, &extension::mpls_stack(&stack)),
        (CLASS_INTERFACE, ctype, &data),
    ]);
    let probe = hex(V4_TCP);
    let router = ip(ROUTER_V4);
    let packet = time_exceeded_extended(router, &probe, &ext).unwrap();
    let r = reply(strategy_for(Protocol::Tcp, session(false)).classify(&packet));
    let i = r.interface.expect("interface information");
    assert_eq!(
        (
            i.role_name(),
            i.if_index,
            i.addr,
            i.name().as_deref(),
            i.mtu
        ),
        (
            "incoming",
            Some(7),
            Some(ip("198.18.1.2")),
            Some("ge-0/0/1"),
            Some(1500)
        )
    );
    assert_eq!(r.mpls.entries().count(), 1);
    // Parts that do not fit the object: nothing, not a wrong interface.
    let short = extension::emit(&[(CLASS_INTERFACE, ctype, &data[..10])]);
    let packet = time_exceeded_extended(router, &probe, &short).unwrap();
    let r = reply(strategy_for(Protocol::Tcp, session(false)).classify(&packet));
    assert!(r.interface.is_none() && r.key.get() == 7);
}

/// A NAT (IPv4) or a prefix translator (NPTv6, RFC 6296) that does not
/// write the quotes of ICMP errors back: the quote shows another source.
/// The answer is still the probe's, by its identity, and the quote shows
/// the translated source.
#[test]
fn a_quote_of_a_translated_source_is_still_ours() {
    for (protocol, v6, fixture) in cases() {
        let mut probe = hex(fixture);
        let (at, translated) = if v6 {
            // 2001:db8::1 -> 2001:db8:77::1 (a new prefix, same interface id)
            (8, ip("2001:db8:77::1"))
        } else {
            (12, ip("198.18.77.1"))
        };
        match translated {
            std::net::IpAddr::V4(a) => probe[at..at + 4].copy_from_slice(&a.octets()),
            std::net::IpAddr::V6(a) => probe[at..at + 16].copy_from_slice(&a.octets()),
        }
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        let mut packet = time_exceeded(router, &probe, probe.len());
        // The translator wrote the answer's destination back to us.
        let ours = hex(fixture);
        let (dst, len) = if v6 { (24, 16) } else { (16, 4) };
        packet[dst..dst + len].copy_from_slice(&ours[at..at + len]);
        let r = reply(strategy_for(protocol, session(v6)).classify(&packet));
        assert_eq!(r.key.get(), 7, "{protocol} v6={v6}");
        assert_eq!(
            r.quote.map(|q| q.src),
            Some(translated),
            "{protocol} v6={v6}"
        );
    }
}
