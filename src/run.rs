//! What a run was, as every report and the diagnosis tell it: the host as
//! typed, the addresses, the engine's settings, and the names found for
//! the addresses seen. Plain data; depends only on the engine's settings.

use crate::engine::{Paths, Settings, Transport};
use std::collections::HashMap;
use std::net::IpAddr;
use tracetcp_strategies::{Flow, Session};

/// What was found out about the addresses seen: their reverse-DNS names
/// (none with -n) and, with `--as`, the autonomous systems that announce
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    names: HashMap<IpAddr, String>,
    owners: HashMap<IpAddr, Vec<Origin>>,
}

impl Names {
    pub fn new() -> Self {
        Self::default()
    }

    /// The reverse-DNS name of `addr`, if one was found.
    pub fn get(&self, addr: &IpAddr) -> Option<&String> {
        self.names.get(addr)
    }

    pub fn insert(&mut self, addr: IpAddr, name: String) {
        self.names.insert(addr, name);
    }

    /// Every name found, by address.
    pub fn iter(&self) -> impl Iterator<Item = (&IpAddr, &String)> {
        self.names.iter()
    }

    /// The autonomous systems that announce `addr` (several when its
    /// prefix has several origins); empty when not looked up or unknown.
    pub fn owners(&self, addr: &IpAddr) -> &[Origin] {
        self.owners.get(addr).map_or(&[], Vec::as_slice)
    }

    pub fn set_owners(&mut self, addr: IpAddr, origins: Vec<Origin>) {
        self.owners.insert(addr, origins);
    }

    /// Every address with its owners.
    pub fn all_owners(&self) -> impl Iterator<Item = (&IpAddr, &Vec<Origin>)> {
        self.owners.iter()
    }

    /// How a report shows `addr`: "198.18.1.1", then `between` and its
    /// name in brackets when it has one ("198.18.1.1\t[r1.lab]"), then
    /// its owners ("[AS64500]", "[AS64500/AS64501]" for several origins).
    pub fn label(&self, addr: IpAddr, between: &str) -> String {
        let mut s = addr.to_string();
        if let Some(name) = self.names.get(&addr) {
            s.push_str(&format!("{between}[{name}]"));
        }
        s + &self.owners_tag(addr)
    }

    /// " [AS64500]" (" [AS64502/AS64503]" for several origins) when the
    /// owners of `addr` are known, else nothing.
    pub fn owners_tag(&self, addr: IpAddr) -> String {
        let owners = self.owners(&addr);
        if owners.is_empty() {
            return String::new();
        }
        let numbers: Vec<String> = owners.iter().map(|o| format!("AS{}", o.number)).collect();
        format!(" [{}]", numbers.join("/"))
    }
}

impl FromIterator<(IpAddr, String)> for Names {
    fn from_iter<I: IntoIterator<Item = (IpAddr, String)>>(iter: I) -> Self {
        Names {
            names: iter.into_iter().collect(),
            owners: HashMap::new(),
        }
    }
}

impl Origin {
    /// As JSON reports and recordings have it: `number`, `prefix`,
    /// `name`, `country`, `registry` (null when unknown).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "number": self.number, "prefix": self.prefix, "name": self.name,
            "country": self.country, "registry": self.registry,
        })
    }

    /// Read back from `to_json`'s form (a recording's); `None` if it is
    /// not of that form. Its texts are made printable.
    pub fn from_json(v: &serde_json::Value) -> Option<Origin> {
        let text = |k: &str| v[k].as_str().map(printable);
        Some(Origin {
            number: u32::try_from(v["number"].as_u64()?).ok()?,
            prefix: text("prefix"),
            name: text("name"),
            country: text("country"),
            registry: text("registry"),
        })
    }
}

/// An autonomous system that announces an address: its number, the
/// prefix announced, and what the source knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub number: u32,
    /// The prefix announced ("198.18.0.0/15"), if the source says.
    pub prefix: Option<String>,
    /// The AS's name ("LAB-TRANSIT"), if known.
    pub name: Option<String>,
    pub country: Option<String>,
    /// The regional registry (arin, ripencc, ...), if known.
    pub registry: Option<String>,
}

/// What every report says about the run as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The host as the user gave it (name or address).
    pub host: String,
    pub address: IpAddr,
    pub source: IpAddr,
    /// The flow every probe of a trace keeps (unless the settings' paths
    /// say otherwise).
    pub flow: Flow,
    pub settings: Settings,
    /// List every silent hop at the end of a trace (`--all-hops`); by
    /// default a tail of silent hops is one line.
    pub every_hop: bool,
}

impl RunInfo {
    /// The run to `host` over `session` (its target, source and flow).
    pub fn of(host: String, session: &Session, settings: Settings, every_hop: bool) -> Self {
        RunInfo {
            host,
            address: session.dst(),
            source: session.src(),
            flow: session.flow(),
            settings,
            every_hop,
        }
    }

    /// The name the user typed, when it was not an address literal.
    pub fn host_name(&self) -> Option<&str> {
        let literal = self.host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok();
        (!literal).then_some(self.host.as_str())
    }

    /// Whether the run looked for every path (`--multipath`).
    pub fn multipath(&self) -> bool {
        matches!(self.settings.paths, Paths::All { .. })
    }

    /// Which flows the probes took, as a line of the report's header.
    pub fn flow_line(&self) -> String {
        match self.settings.paths {
            Paths::OneFlow => format!("All probes on one flow: {}.\n", self.flow),
            Paths::PerProbe if self.settings.transport == Transport::Sockets => {
                "A new flow for every probe (no privileges).\n".into()
            }
            Paths::PerProbe => "A new flow for every probe.\n".into(),
            Paths::All { confidence } => format!(
                "Every path: flows from {} on, {}% confidence.\n",
                self.flow,
                confidence.percent()
            ),
        }
    }
}

/// A string from outside (a reverse DNS answer, a recording's host or
/// names) made safe to print: control characters, which could move the
/// cursor or recolour a terminal (ESC sequences), become `\xNN` escapes,
/// and a backslash `\\`.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{code:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("r1.lab"), "r1.lab");
        assert_eq!(printable("evil\x1b[2Jname"), "evil\\x1b[2Jname");
        assert_eq!(printable("a\nb\tc\\"), "a\\x0ab\\x09c\\\\");
        assert_eq!(printable("caf\u{e9}\u{85}"), "caf\u{e9}\\x85");
    }
}

/// A run built by hand, for tests of what reads it.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// A run from 198.18.0.1 to 198.18.9.2 ("server.lab") with the
    /// default settings.
    pub fn run_info() -> RunInfo {
        RunInfo {
            host: "server.lab".into(),
            address: "198.18.9.2".parse().unwrap(),
            source: "198.18.0.1".parse().unwrap(),
            flow: Flow::new(45123),
            settings: Settings::default(),
            every_hop: false,
        }
    }
}
