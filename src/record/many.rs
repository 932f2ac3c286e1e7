//! The description a recording of a run with many targets carries: the
//! run in the section comment (its source, settings, format), and each
//! target in notes written as the run goes (name resolution blocks with
//! only a comment): when it starts (its session, traces and start hop),
//! before any packet of it, and when it finishes, with what stood for the
//! hops below its start (stop sets). A replay meets each note before the
//! packets it concerns, and ends each target where the live run did.
//!
//! Owns the JSON of these notes; must not depend on the command line, the
//! engine's internals or the reports.

use super::session::{format_name, format_of, settings, settings_json, traces, traces_json};
use crate::engine::Settings;
use crate::report::Format;
use crate::run::printable;
use crate::trace::TraceSpec;
use serde_json::{json, Value};
use std::net::IpAddr;
use tracetcp_strategies::{Flow, Instance, Session};

/// Marks the section comment of a run with many targets; its value is
/// the format.
const MAGIC: &str = "tracetcp-many";
pub const MANY_FORMAT: u64 = 1;
/// Marks a target's note.
const TARGET: &str = "tracetcp-target";

/// The run, as its section comment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManyInfo {
    pub source: IpAddr,
    pub settings: Settings,
    pub format: Format,
    /// One JSON document a line (`--jsonl`).
    pub jsonl: bool,
    /// Targets in the list (some may not have been traced), when known
    /// (not for a list read from standard input).
    pub targets: Option<usize>,
}

impl ManyInfo {
    pub fn to_json(&self) -> String {
        json!({
            MAGIC: MANY_FORMAT,
            "source": self.source.to_string(),
            "settings": settings_json(&self.settings),
            "format": format_name(self.format),
            "jsonl": self.jsonl,
            "targets": self.targets,
        })
        .to_string()
    }

    /// The run a section comment describes: `None` if it is no run of
    /// many targets; `Some(Err(Some(n)))` in format n, which this
    /// tracetcp does not read; `Some(Err(None))` damaged.
    pub fn from_json(text: &str) -> Option<Result<ManyInfo, Option<u64>>> {
        let v: Value = serde_json::from_str(text).ok()?;
        let format = v.get(MAGIC)?.as_u64();
        if format != Some(MANY_FORMAT) {
            return Some(Err(format));
        }
        let info = (|| {
            Some(ManyInfo {
                source: v["source"].as_str()?.parse().ok()?,
                settings: settings(&v["settings"], 2)?,
                format: format_of(&v["format"])?,
                jsonl: v["jsonl"].as_bool()?,
                targets: match &v["targets"] {
                    Value::Null => None,
                    t => Some(usize::try_from(t.as_u64()?).ok()?),
                },
            })
        })();
        Some(info.ok_or(None))
    }
}

/// What stood for the hops below a target's start hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BelowNote {
    /// It started at hop 1.
    Nothing,
    /// Its own probes (in the block of keys after its own).
    Probed,
    /// Other targets' hops: the trace to `from` saw the router at the
    /// start hop; hop k is the hop k of target number `targets[k - 1]`.
    Learned { from: IpAddr, targets: Vec<usize> },
}

/// A target's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetNote {
    /// Before any packet of it.
    Started {
        number: usize,
        host: String,
        session: Session,
        specs: Vec<TraceSpec>,
        start: u8,
    },
    /// Its last packet is behind: its report is made here.
    Finished { number: usize, below: BelowNote },
}

impl TargetNote {
    pub fn to_json(&self) -> String {
        match self {
            TargetNote::Started {
                number,
                host,
                session,
                specs,
                start,
            } => json!({
                TARGET: "started", "number": number, "host": host,
                "address": session.dst().to_string(),
                "instance": session.instance().get(), "flow": session.flow().get(),
                "traces": traces_json(specs), "start": start,
            }),
            TargetNote::Finished { number, below } => json!({
                TARGET: "finished", "number": number,
                "below": match below {
                    BelowNote::Nothing => Value::Null,
                    BelowNote::Probed => json!("probed"),
                    BelowNote::Learned { from, targets } => {
                        json!({ "from": from.to_string(), "targets": targets })
                    }
                },
            }),
        }
        .to_string()
    }

    /// The note in a comment, for a run from `source`; `None` if it is no
    /// target's note or cannot be read.
    pub fn from_json(text: &str, source: IpAddr) -> Option<TargetNote> {
        let v: Value = serde_json::from_str(text).ok()?;
        let number = usize::try_from(v["number"].as_u64()?).ok()?;
        let small = |k: &str| u16::try_from(v[k].as_u64()?).ok();
        match v.get(TARGET)?.as_str()? {
            "started" => {
                let address: IpAddr = v["address"].as_str()?.parse().ok()?;
                let session = Session::new(source, address, Instance::new(small("instance")?)?)?
                    .with_flow(Flow::new(small("flow")?));
                let specs = traces(&v["traces"])?;
                Some(TargetNote::Started {
                    number,
                    host: printable(v["host"].as_str()?),
                    session,
                    start: u8::try_from(v["start"].as_u64()?)
                        .ok()
                        .filter(|&s| s >= 1)?,
                    specs: (!specs.is_empty()).then_some(specs)?,
                })
            }
            "finished" => Some(TargetNote::Finished {
                number,
                below: match &v["below"] {
                    Value::Null => BelowNote::Nothing,
                    Value::String(s) if s == "probed" => BelowNote::Probed,
                    b => BelowNote::Learned {
                        from: b["from"].as_str()?.parse().ok()?,
                        targets: b["targets"]
                            .as_array()?
                            .iter()
                            .map(|n| usize::try_from(n.as_u64()?).ok())
                            .collect::<Option<Vec<usize>>>()?,
                    },
                },
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracetcp_strategies::Protocol;

    #[test]
    fn the_run_and_its_notes_round_trip() {
        let source: IpAddr = "198.18.0.1".parse().unwrap();
        let info = ManyInfo {
            source,
            settings: Settings::default(),
            format: Format::Json,
            jsonl: true,
            targets: Some(3),
        };
        let unknown = ManyInfo {
            targets: None,
            ..info.clone()
        };
        assert_eq!(ManyInfo::from_json(&unknown.to_json()), Some(Ok(unknown)));
        assert_eq!(ManyInfo::from_json(&info.to_json()), Some(Ok(info)));
        assert_eq!(
            ManyInfo::from_json("{\"tracetcp-many\":9}"),
            Some(Err(Some(9)))
        );
        assert_eq!(
            ManyInfo::from_json("{\"tracetcp-many\":1}"),
            Some(Err(None))
        );
        assert_eq!(ManyInfo::from_json("{\"tracetcp-session\":2}"), None);
        let session = Session::new(
            source,
            "198.18.3.10".parse().unwrap(),
            Instance::new(0x4242).unwrap(),
        )
        .unwrap()
        .with_flow(Flow::new(33000));
        let notes = [
            TargetNote::Started {
                number: 2,
                host: "server.lab".into(),
                session,
                specs: vec![TraceSpec::new(Protocol::Tcp, 443)],
                start: 3,
            },
            TargetNote::Finished {
                number: 2,
                below: BelowNote::Nothing,
            },
            TargetNote::Finished {
                number: 2,
                below: BelowNote::Probed,
            },
            TargetNote::Finished {
                number: 2,
                below: BelowNote::Learned {
                    from: "198.18.3.11".parse().unwrap(),
                    targets: vec![0, 1],
                },
            },
        ];
        for note in notes {
            assert_eq!(TargetNote::from_json(&note.to_json(), source), Some(note));
        }
        assert_eq!(
            TargetNote::from_json("{\"interrupted\":false}", source),
            None
        );
    }
}
