//! Quotes and ICMP extensions from byte fixtures: MPLS label stacks and
//! interface information (RFC 4884, 4950, 5837) after padded quotes,
//! hostile extensions ignored with their reason, and quotes of a probe
//! whose source a NAT or prefix translator rewrote.

mod common;

use common::*;
use tracetcp_strategies::wire::ExtensionProblem;
use tracetcp_strategies::{strategy_for, Protocol};

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
    use tracetcp_strategies::wire::Quoting;
    use tracetcp_strategies::Fields;
    let ext = mpls_extension();
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
        let mut cases = vec![(
            error_extended(router, &probe, te, &long_object).unwrap(),
            ExtensionProblem::Malformed,
        )];
        // A length field that disagrees with where a whole, right
        // structure sits (byte 128) is not believed: the stack is read.
        for words in [5u8, 17, 255] {
            let r = reply(strategy_for(protocol, session(v6)).classify(&with_length(words)));
            let what = format!("{protocol} v6={v6} length {words}");
            assert_eq!((r.key.get(), r.ignored), (7, None), "{what}");
            assert!(!r.mpls.is_empty(), "{what}");
            assert!(agrees(&sent, &r.quote.expect("a quote")), "{what}");
        }
        // With garbage at byte 128 it is still refused.
        let mut garbage = with_length(17);
        let at = garbage.len() - ext.len();
        garbage[at + 2] ^= 0xff;
        // (17 words are 68 bytes in ICMPv4, no place for extensions; 136
        // in ICMPv6, a place where none is well formed.)
        let refused = if v6 {
            ExtensionProblem::Malformed
        } else {
            ExtensionProblem::BadLengthField
        };
        cases.push((garbage, refused));
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
