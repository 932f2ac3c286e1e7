//! What a run was, as every report and the diagnosis tell it: the host as
//! typed, the addresses, the engine's settings, and the names found for
//! the addresses seen. Plain data; depends only on the engine's settings.

use crate::engine::{Paths, Settings};
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
            Paths::PerProbe => "A new flow for every probe.\n".into(),
            Paths::All { confidence } => format!(
                "Every path: flows from {} on, {}% confidence.\n",
                self.flow,
                confidence.percent()
            ),
        }
    }
}
