use super::*;
use crate::trace::testing::{answered, ip};
use crate::trace::{Outcome, TraceEnd, TraceSpec};
use tracetcp_strategies::{Protocol, ReplyKind, TcpOptionFields};

fn fields(mss: Option<Option<u16>>, tos: u8) -> Fields {
    Fields {
        tos,
        total_len: 60,
        ident: Some(1),
        dont_fragment: false,
        src: ip("198.18.0.1"),
        dst: ip("198.18.9.2"),
        src_port: Some(45000),
        dst_port: Some(80),
        seq: Some(7),
        ack: mss.map(|_| 0),
        data_offset: mss.map(|_| 40),
        window: mss.map(|_| 64240),
        tcp_flags: mss.map(|_| 0x02),
        checksum: mss.map(|m| 0x1000 + m.unwrap_or(0)),
        udp_length: None,
        icmp_id: None,
        icmp_seq: None,
        options: mss.map(|mss| TcpOptionFields {
            kinds: if mss.is_some() {
                1 << 2 | 1 << 4
            } else {
                1 << 4
            },
            mss,
            window_scale: None,
            timestamp: None,
        }),
    }
}

/// A hop whose one probe left with `sent` and was quoted as `quote`.
fn hop(ttl: u8, sent: Fields, quote: Option<Fields>) -> HopResult {
    let mut p = answered(0, "198.18.1.1", 100, ReplyKind::TimeExceeded);
    p.fields = Some(sent);
    if let Outcome::Answered { answer, .. } = &mut p.outcome {
        answer.quote = quote;
    }
    HopResult {
        ttl,
        probes: vec![p],
    }
}

fn trace(hops: Vec<HopResult>) -> TraceResult {
    TraceResult::new(TraceSpec::new(Protocol::Tcp, 80), hops, TraceEnd::MaxHops)
}

#[test]
fn a_clamp_is_placed_between_the_last_original_and_the_first_changed_quote() {
    let sent = fields(Some(Some(1460)), 0);
    let clamped = fields(Some(Some(1200)), 0);
    let r = trace(vec![
        hop(1, sent, Some(sent)),
        hop(2, sent, Some(sent)),
        hop(3, sent, Some(clamped)),
        hop(4, sent, Some(clamped)),
    ]);
    let c = changes(&r);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (
            c[0].field,
            c[0].sent.as_str(),
            c[0].seen.as_str(),
            c[0].after,
            c[0].at,
            c[0].partial
        ),
        (Field::Mss, "1460", "1200", Some(2), 3, false)
    );
    assert_eq!(marks(&c, 3), " [MSS 1460->1200]");
    assert_eq!(marks(&c, 4), "");
}

#[test]
fn a_short_quote_says_nothing_of_what_it_does_not_hold() {
    let sent = fields(Some(Some(1460)), 0);
    // 8-byte quotes: no window, no options.
    let short = fields(None, 0);
    let r = trace(vec![hop(1, sent, Some(short)), hop(2, sent, Some(short))]);
    assert!(changes(&r).is_empty());
    // A DSCP rewrite shows even in short quotes; the MSS is unknown there.
    let remarked = fields(None, 8 << 2);
    let r = trace(vec![
        hop(1, sent, Some(short)),
        hop(2, sent, Some(remarked)),
    ]);
    let c = changes(&r);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (c[0].field, c[0].sent.as_str(), c[0].seen.as_str()),
        (Field::Dscp, "0", "8")
    );
    assert_eq!((c[0].after, c[0].at), (Some(1), 2));
}

#[test]
fn a_clean_path_has_no_change() {
    let sent = fields(Some(Some(1460)), 0);
    let r = trace(vec![
        hop(1, sent, Some(sent)),
        hop(2, sent, None),
        hop(3, sent, Some(sent)),
    ]);
    assert!(changes(&r).is_empty());
}

/// A middlebox that strips the MSS option: the MSS and the option list
/// both change, between the same hops.
#[test]
fn a_stripped_option_shows_in_the_option_list() {
    let sent = fields(Some(Some(1460)), 0);
    let stripped = fields(Some(None), 0);
    let r = trace(vec![hop(1, sent, Some(sent)), hop(2, sent, Some(stripped))]);
    let c = changes(&r);
    let names: Vec<(&str, &str, &str)> = c
        .iter()
        .map(|c| (c.field.name(), c.sent.as_str(), c.seen.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("MSS", "1460", "none"),
            ("TCP options", "MSS,SACK-permitted", "SACK-permitted")
        ]
    );
    assert_eq!(marks(&c, 2), " [MSS 1460->none] [options -MSS]");
}

/// The checksum changes with every rewrite it covers; it is news only
/// when nothing the quote shows changed with it.
#[test]
fn a_checksum_change_is_news_only_when_nothing_else_explains_it() {
    let sent = fields(Some(Some(1460)), 0);
    let mut clamped = fields(Some(Some(1200)), 0);
    let r = trace(vec![hop(1, sent, Some(sent)), hop(2, sent, Some(clamped))]);
    let c = changes(&r);
    assert_eq!(
        c.iter().map(|c| c.field).collect::<Vec<_>>(),
        vec![Field::Mss]
    );
    clamped = sent;
    clamped.checksum = Some(0xbad);
    let r = trace(vec![hop(1, sent, Some(sent)), hop(2, sent, Some(clamped))]);
    let c = changes(&r);
    assert_eq!(
        c.iter().map(|c| c.field).collect::<Vec<_>>(),
        vec![Field::Checksum]
    );
    assert_eq!(marks(&c, 2), " [checksum rewritten]");
    // A home NAT that also rewrote the IP ID: named, not valued (it
    // differs from probe to probe).
    let mut natted = clamped;
    natted.ident = Some(0x1d2c);
    let r = trace(vec![hop(1, sent, Some(sent)), hop(2, sent, Some(natted))]);
    assert_eq!(
        marks(&changes(&r), 2),
        " [IP ID rewritten] [checksum rewritten]"
    );
}

/// A NAT rewrites address and port: one mark.
#[test]
fn a_nat_is_one_mark() {
    let sent = fields(None, 0);
    let mut natted = sent;
    natted.src = ip("198.18.50.1");
    natted.src_port = Some(1024);
    let r = trace(vec![hop(1, sent, Some(sent)), hop(2, sent, Some(natted))]);
    let c = changes(&r);
    assert_eq!(
        c.iter().map(|c| c.field).collect::<Vec<_>>(),
        vec![Field::Source, Field::SourcePort]
    );
    assert_eq!(marks(&c, 2), " [NAT]");
}
