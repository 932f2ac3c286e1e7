//! The fields of a probe a path may rewrite, as the quote diff names and
//! shows them.

use tracetcp_strategies::{Fields, TcpOptionFields};

/// A field a path may rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Dscp,
    Ecn,
    TotalLength,
    Ident,
    DontFragment,
    Source,
    Destination,
    SourcePort,
    DestinationPort,
    Sequence,
    Ack,
    DataOffset,
    Flags,
    Window,
    Mss,
    WindowScale,
    Timestamp,
    Options,
    UdpLength,
    IcmpId,
    IcmpSeq,
    Checksum,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Field::Dscp,
        Field::Ecn,
        Field::TotalLength,
        Field::Ident,
        Field::DontFragment,
        Field::Source,
        Field::Destination,
        Field::SourcePort,
        Field::DestinationPort,
        Field::Sequence,
        Field::Ack,
        Field::DataOffset,
        Field::Flags,
        Field::Window,
        Field::Mss,
        Field::WindowScale,
        Field::Timestamp,
        Field::Options,
        Field::UdpLength,
        Field::IcmpId,
        Field::IcmpSeq,
        Field::Checksum,
    ];

    /// Its name in text and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Dscp => "DSCP",
            Field::Ecn => "ECN",
            Field::TotalLength => "total length",
            Field::Ident => "IP ID",
            Field::DontFragment => "DF",
            Field::Source => "source",
            Field::Destination => "destination",
            Field::SourcePort => "source port",
            Field::DestinationPort => "destination port",
            Field::Sequence => "sequence",
            Field::Ack => "ack",
            Field::DataOffset => "data offset",
            Field::Flags => "TCP flags",
            Field::Window => "window",
            Field::Mss => "MSS",
            Field::WindowScale => "window scale",
            Field::Timestamp => "TSval",
            Field::Options => "TCP options",
            Field::UdpLength => "UDP length",
            Field::IcmpId => "ICMP id",
            Field::IcmpSeq => "ICMP sequence",
            Field::Checksum => "checksum",
        }
    }

    /// The field's value in `f`, as text; `None` when `f` does not hold
    /// it (a short quote, or a probe kind without the field).
    pub fn value(self, f: &Fields) -> Option<String> {
        fn option<T: ToString>(
            f: &Fields,
            get: impl Fn(&TcpOptionFields) -> Option<T>,
        ) -> Option<String> {
            f.options
                .map(|o| get(&o).map_or("none".into(), |v| v.to_string()))
        }
        let text = |v: Option<u32>| v.map(|v| v.to_string());
        match self {
            Field::Dscp => Some((f.tos >> 2).to_string()),
            Field::Ecn => Some((f.tos & 3).to_string()),
            Field::TotalLength => Some(f.total_len.to_string()),
            Field::Ident => text(f.ident.map(u32::from)),
            Field::DontFragment => Some(f.dont_fragment.to_string()),
            Field::Source => Some(f.src.to_string()),
            Field::Destination => Some(f.dst.to_string()),
            Field::SourcePort => text(f.src_port.map(u32::from)),
            Field::DestinationPort => text(f.dst_port.map(u32::from)),
            Field::Sequence => text(f.seq),
            Field::Ack => text(f.ack),
            Field::DataOffset => text(f.data_offset.map(u32::from)),
            Field::Flags => f.tcp_flags.map(|fl| format!("{fl:#04x}")),
            Field::Window => text(f.window.map(u32::from)),
            Field::Mss => option(f, |o| o.mss),
            Field::WindowScale => option(f, |o| o.window_scale),
            Field::Timestamp => option(f, |o| o.timestamp),
            Field::Options => f.options.map(|o| option_names(o.kinds)),
            Field::UdpLength => text(f.udp_length.map(u32::from)),
            Field::IcmpId => text(f.icmp_id.map(u32::from)),
            Field::IcmpSeq => text(f.icmp_seq.map(u32::from)),
            Field::Checksum => f.checksum.map(|c| format!("{c:#06x}")),
        }
    }

    /// Whether the transport checksum covers the field, so that its
    /// change explains a changed checksum.
    pub fn in_checksum(self) -> bool {
        !matches!(
            self,
            Field::Dscp | Field::Ecn | Field::Ident | Field::DontFragment | Field::Checksum
        )
    }

    /// The short mark of a change at the hop where it first shows:
    /// "MSS 1460->1200", "NAT", "DSCP 0->8".
    pub fn mark(self, sent: &str, seen: &str) -> String {
        match self {
            Field::Source | Field::SourcePort => "NAT".into(),
            Field::Destination | Field::DestinationPort => format!("DNAT {sent}->{seen}"),
            Field::Sequence => "ISN rewritten".into(),
            // Fields that differ from probe to probe: their values say
            // nothing on a hop line.
            Field::Ack | Field::Timestamp | Field::Checksum | Field::Ident => {
                format!("{} rewritten", self.name())
            }
            Field::Options => format!("options {}", options_delta(sent, seen)),
            _ => format!("{} {sent}->{seen}", self.name()),
        }
    }
}

/// TCP option kinds by name: "MSS,SACK-permitted,timestamps,WS".
fn option_names(kinds: u64) -> String {
    let names: Vec<String> = (2..64u8)
        .filter(|k| kinds & 1 << k != 0)
        .map(|k| match k {
            2 => "MSS".to_string(),
            3 => "WS".to_string(),
            4 => "SACK-permitted".to_string(),
            8 => "timestamps".to_string(),
            30 => "MPTCP".to_string(),
            34 => "TFO".to_string(),
            other => format!("kind {other}"),
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(",")
    }
}

/// The options removed and added between two option lists:
/// "-timestamps +kind 30".
pub fn options_delta(sent: &str, seen: &str) -> String {
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|n| *n != "none")
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (list(sent), list(seen));
    let removed = a.iter().filter(|n| !b.contains(n)).map(|n| format!("-{n}"));
    let added = b.iter().filter(|n| !a.contains(n)).map(|n| format!("+{n}"));
    removed.chain(added).collect::<Vec<_>>().join(" ")
}
