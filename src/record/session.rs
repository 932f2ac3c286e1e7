//! The session description a recording carries: what the live run was
//! (target, traces, settings, format, rounds) in the section comment, and
//! how it ended (interrupted or not, the owners found) in the closing
//! block; read back with every check a live run would have passed.
//!
//! Owns the description's JSON; must not depend on the command line, the
//! engine's internals or the reports.

use crate::engine::{Confidence, Paths, Settings, Transport};
use crate::report::Format;
use crate::run::{printable, Origin};
use crate::trace::TraceSpec;
use crate::watch::Schedule;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{Flow, Instance, Protocol, Session};

/// A session description that is ours but cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    Damaged,
    /// Written in a format no tracetcp this old or new reads (its number).
    OldFormat(u64),
    /// Claims what no live run does (why), or contradicts itself.
    Refused(String),
}

/// Marks the section comment as a tracetcp session; its value is the
/// format. Format 2 keeps one flow per trace (format 1 varied the source
/// port per probe and put the key there). Every format a release wrote is
/// read forever: a new one comes with a reader for the old.
const MAGIC: &str = "tracetcp-session";
pub const FORMAT: u64 = 2;

/// The session a recording holds: everything the engine and the report
/// need, as the live run had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub host: String,
    pub session: Session,
    pub specs: Vec<TraceSpec>,
    pub settings: Settings,
    pub format: Format,
    /// Rounds (`--cycles`, `--watch`); `None`: one trace.
    pub rounds: Option<Schedule>,
}

impl SessionInfo {
    /// What a live run could not have recorded is refused: more probes a
    /// hop, a longer timeout, more in flight than its options allow, or
    /// a trace listed twice.
    fn check(&self) -> std::result::Result<(), Unreadable> {
        let s = &self.settings;
        let refuse = |why: String| Err(Unreadable::Refused(why));
        if !(1..=16).contains(&s.probes_per_hop) {
            return refuse(format!(
                "its session claims {} probes a hop (a live run sends 1 to 16)",
                s.probes_per_hop
            ));
        }
        if s.first_ttl == 0 || s.max_hops == 0 {
            return refuse("its session claims no hop to probe".into());
        }
        if s.timeout.is_zero() || s.timeout > Duration::from_secs(600) {
            return refuse(format!(
                "its session claims a timeout of {} ms (a live run waits 1 to 600,000)",
                s.timeout.as_millis()
            ));
        }
        if !(1..=usize::from(tracetcp_strategies::KEY_SPAN) / 2).contains(&s.max_in_flight) {
            return refuse(format!(
                "its session claims {} probes in flight",
                s.max_in_flight
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for spec in &self.specs {
            if !seen.insert(*spec) {
                return refuse(format!("its session lists the trace {} twice", spec.name()));
            }
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        json!({
            MAGIC: FORMAT,
            "host": self.host,
            "address": self.session.dst().to_string(),
            "source": self.session.src().to_string(),
            "instance": self.session.instance().get(),
            "flow": self.session.flow().get(),
            "traces": traces_json(&self.specs),
            "settings": settings_json(&self.settings),
            "rounds": self.rounds.map(|r| json!({
                "cycles": r.cycles, "interval_ms": r.interval.as_millis() as u64,
            })),
            "format": format_name(self.format),
        })
        .to_string()
    }

    /// The session in a section comment; `None` if it is not ours, and
    /// an error if it is ours but damaged.
    pub fn from_json(text: &str) -> Option<std::result::Result<SessionInfo, Unreadable>> {
        let v: Value = serde_json::from_str(text).ok()?;
        let format = v.get(MAGIC)?.as_u64();
        Some(match format {
            // Format 1: the first release's, before one flow per trace.
            Some(f @ (1 | FORMAT)) => parse(&v, f)
                .ok_or(Unreadable::Damaged)
                .and_then(|info| info.check().map(|()| info)),
            Some(other) => Err(Unreadable::OldFormat(other)),
            None => Err(Unreadable::Damaged),
        })
    }
}

/// A session description of `format` (1 or 2). Format 1 (the first
/// release) has no flow: every probe had its own, its key in the source
/// port (TCP, UDP) or the echo sequence (ICMP).
fn parse(v: &Value, format: u64) -> Option<SessionInfo> {
    let addr = |k: &str| v[k].as_str()?.parse::<IpAddr>().ok();
    let num = |v: &Value, k: &str| v[k].as_u64();
    let instance = Instance::new(u16::try_from(num(v, "instance")?).ok()?)?;
    let session = Session::new(addr("source")?, addr("address")?, instance)?;
    let session = if format == 1 {
        session.with_first_release_keys()
    } else {
        session.with_flow(Flow::new(u16::try_from(num(v, "flow")?).ok()?))
    };
    let specs = traces(&v["traces"])?;
    let settings = settings(&v["settings"], format)?;
    let format = format_of(&v["format"])?;
    let rounds = match &v["rounds"] {
        Value::Null => None,
        r => Some(Schedule {
            cycles: match &r["cycles"] {
                Value::Null => None,
                c => Some(c.as_u64()?),
            },
            interval: Duration::from_millis(num(r, "interval_ms")?),
        }),
    };
    (!specs.is_empty()).then_some(SessionInfo {
        rounds,
        host: printable(v["host"].as_str()?),
        session,
        specs,
        settings,
        format,
    })
}

/// The traces as JSON: runs of consecutive ports of one protocol.
pub(super) fn traces_json(specs: &[TraceSpec]) -> Value {
    runs(specs)
        .iter()
        .map(|(p, from, to)| json!({ "protocol": p.name(), "from": from, "to": to }))
        .collect()
}

/// The traces `traces_json` wrote.
pub(super) fn traces(v: &Value) -> Option<Vec<TraceSpec>> {
    let num = |v: &Value, k: &str| v[k].as_u64();
    let mut specs = Vec::new();
    for t in v.as_array()? {
        let protocol: Protocol = t["protocol"].as_str()?.parse().ok()?;
        let from = u16::try_from(num(t, "from")?).ok()?;
        let to = u16::try_from(num(t, "to")?).ok()?;
        if from > to || (protocol.has_port() && from == 0) || (!protocol.has_port() && to > 0) {
            return None;
        }
        // More than every port of every kind can only repeat traces,
        // which check() refuses; stop before building them.
        if specs.len() + usize::from(to - from) >= 3 * 65536 {
            return None;
        }
        specs.extend((from..=to).map(|port| TraceSpec::new(protocol, port)));
    }
    Some(specs)
}

pub(super) fn settings_json(s: &Settings) -> Value {
    json!({
        "first_ttl": s.first_ttl, "max_hops": s.max_hops,
        "probes_per_hop": s.probes_per_hop,
        "timeout_ms": s.timeout.as_millis() as u64,
        "max_in_flight": s.max_in_flight, "pacing": s.pacing,
        "adaptive_pacing": s.adaptive_pacing,
        "moot_syns_dropped": s.moot_syns_dropped,
        "paths": s.paths.name(),
        "confidence": match s.paths {
            Paths::All { confidence } => Some(confidence.percent()),
            _ => None,
        },
        "mtu": s.mtu,
        "transport": s.transport.name(),
        "ahead": s.ahead,
    })
}

/// The settings `settings_json` wrote, in a description of `format`.
pub(super) fn settings(s: &Value, format: u64) -> Option<Settings> {
    let num = |v: &Value, k: &str| v[k].as_u64();
    let small = |v: &Value, k: &str| num(v, k).and_then(|n| u8::try_from(n).ok());
    Some(Settings {
        first_ttl: small(s, "first_ttl")?,
        max_hops: small(s, "max_hops")?,
        probes_per_hop: small(s, "probes_per_hop")?,
        timeout: Duration::from_millis(num(s, "timeout_ms")?),
        max_in_flight: usize::try_from(num(s, "max_in_flight")?).ok()?,
        pacing: s["pacing"].as_bool()?,
        adaptive_pacing: s["adaptive_pacing"].as_bool().unwrap_or(false),
        moot_syns_dropped: s["moot_syns_dropped"].as_bool().unwrap_or(false),
        paths: match s["paths"]
            .as_str()
            .or((format == 1).then_some("per-probe"))?
        {
            "one-flow" => Paths::OneFlow,
            "per-probe" => Paths::PerProbe,
            "multipath" => Paths::All {
                confidence: Confidence::from_percent(small(s, "confidence")?)?,
            },
            _ => return None,
        },
        ahead: match &s["ahead"] {
            Value::Null => Settings::default().ahead,
            a => u32::try_from(a.as_u64()?)
                .ok()
                .filter(|a| (1..=4096).contains(a))?,
        },
        transport: match s["transport"].as_str().unwrap_or("capture") {
            "capture" => Transport::Capture,
            "sockets" => Transport::Sockets,
            _ => return None,
        },
        mtu: match &s["mtu"] {
            Value::Null => None,
            m => Some(u16::try_from(m.as_u64()?).ok().filter(|&m| m >= 68)?),
        },
    })
}

pub(super) fn format_name(format: Format) -> &'static str {
    match format {
        Format::Classic => "classic",
        Format::Condensed => "condensed",
        Format::Json => "json",
        Format::Atlas => "atlas",
        Format::Scamper => "scamper",
        Format::Dot => "dot",
        Format::Compare => "compare",
        Format::Csv => "csv",
    }
}

/// The format `format_name` wrote (classic for one it does not know).
pub(super) fn format_of(v: &Value) -> Option<Format> {
    Some(match v.as_str()? {
        "condensed" => Format::Condensed,
        "json" => Format::Json,
        "atlas" => Format::Atlas,
        "scamper" => Format::Scamper,
        "dot" => Format::Dot,
        "compare" => Format::Compare,
        "csv" => Format::Csv,
        _ => Format::Classic,
    })
}

/// Traces as runs of consecutive ports of one protocol: a session of
/// 65,535 ports stays a few bytes (libpcap refuses section headers over
/// 1 MiB).
fn runs(specs: &[TraceSpec]) -> Vec<(Protocol, u16, u16)> {
    let mut out: Vec<(Protocol, u16, u16)> = Vec::new();
    for s in specs {
        match out.last_mut() {
            Some((p, _, to)) if *p == s.protocol && to.checked_add(1) == Some(s.port) => {
                *to = s.port
            }
            _ => out.push((s.protocol, s.port, s.port)),
        }
    }
    out
}

/// How the live session ended, written in the closing block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub interrupted: bool,
    /// Probes whose timeout passed before this were given up live.
    pub expired_until_ns: u64,
    /// The autonomous systems found for the addresses seen (`--as`), so
    /// that a replay shows them with no network and no database.
    pub owners: Vec<(IpAddr, Vec<Origin>)>,
}

impl Closing {
    pub fn to_json(&self) -> String {
        let mut v =
            json!({ "interrupted": self.interrupted, "expired_until_ns": self.expired_until_ns });
        if !self.owners.is_empty() {
            v["owners"] = self
                .owners
                .iter()
                .map(|(a, o)| json!({ "address": a.to_string(), "as": o.iter().map(Origin::to_json).collect::<Vec<_>>() }))
                .collect();
        }
        v.to_string()
    }

    pub fn from_json(text: &str) -> Option<Closing> {
        let v: Value = serde_json::from_str(text).ok()?;
        let owners = v["owners"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| {
                        let addr = e["address"].as_str()?.parse().ok()?;
                        let origins = e["as"]
                            .as_array()?
                            .iter()
                            .filter_map(Origin::from_json)
                            .collect();
                        Some((addr, origins))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Closing {
            interrupted: v["interrupted"].as_bool()?,
            expired_until_ns: v["expired_until_ns"].as_u64()?,
            owners,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips() {
        let s = SessionInfo {
            host: "server.lab".into(),
            session: Session::new(
                "2001:db8::1".parse().unwrap(),
                "2001:db8:3::2".parse().unwrap(),
                Instance::new(0x4242).unwrap(),
            )
            .unwrap(),
            specs: vec![
                TraceSpec::new(Protocol::Tcp, 134),
                TraceSpec::new(Protocol::Tcp, 135),
            ],
            settings: Settings {
                first_ttl: 3,
                max_hops: 1,
                ..Settings::default()
            },
            format: Format::Condensed,
            rounds: Some(Schedule {
                cycles: None,
                interval: Duration::from_millis(500),
            }),
        };
        let back = SessionInfo::from_json(&s.to_json()).unwrap().unwrap();
        assert_eq!(back, s);
        let wide = SessionInfo {
            specs: (1..=65535)
                .map(|p| TraceSpec::new(Protocol::Tcp, p))
                .chain([TraceSpec::new(Protocol::Icmp, 0)])
                .collect(),
            ..s.clone()
        };
        let text = wide.to_json();
        assert!(text.len() < 1024, "{} bytes", text.len());
        assert_eq!(SessionInfo::from_json(&text).unwrap().unwrap(), wide);
        assert!(SessionInfo::from_json("{\"other\":1}").is_none());
        assert!(SessionInfo::from_json("not json").is_none());
        assert!(matches!(
            SessionInfo::from_json("{\"tracetcp-session\":1}"),
            Some(Err(_))
        ));
        let c = Closing {
            interrupted: true,
            expired_until_ns: 42,
            owners: Vec::new(),
        };
        assert_eq!(Closing::from_json(&c.to_json()), Some(c));
        let origin = Origin {
            number: 64501,
            prefix: Some("198.18.1.0/24".into()),
            name: Some("LAB-TRANSIT".into()),
            country: None,
            registry: Some("lab".into()),
        };
        let with = Closing {
            interrupted: false,
            expired_until_ns: 7,
            owners: vec![("198.18.1.2".parse().unwrap(), vec![origin])],
        };
        assert_eq!(Closing::from_json(&with.to_json()), Some(with));
    }
}
