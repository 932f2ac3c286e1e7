//! What a run was, as every report and the diagnosis tell it: the host as
//! typed, the addresses, the engine's settings, and the names found for
//! the addresses seen. Plain data; depends only on the engine's settings.

use crate::engine::{Paths, Settings, Transport};
use std::collections::HashMap;
use std::net::IpAddr;
use tracetcp_strategies::Flow;

/// Reverse-DNS names of the addresses seen; empty with -n.
pub type Names = HashMap<IpAddr, String>;

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
