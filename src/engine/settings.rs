//! What the traces of a run are asked to do (the engine's settings).
//! Owned by the engine; built by the command line, stored in recordings.

pub use crate::multipath::Confidence;
use std::time::Duration;

/// The TTL a port scan (`-s`) probes with: far beyond any host, so that
/// every probe reaches it and hop numbers say nothing.
pub const SCAN_TTL: u8 = 128;

/// Settings shared by every trace of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// TTL of the first hop probed (-h).
    pub first_ttl: u8,
    /// How many TTLs are probed from the first (-m).
    pub max_hops: u8,
    /// Probes per hop (-p).
    pub probes_per_hop: u8,
    /// How long a probe waits for its answer (-t).
    pub timeout: Duration,
    /// At most this many probes wait for answers at once.
    pub max_in_flight: usize,
    /// Pace probes to stay under routers' ICMP rate limits (off with -F).
    pub pacing: bool,
    /// Pace a router only once its answers go missing as a rate limit's
    /// do, and send those probes again (see `ratelimit.rs`); applies to
    /// traces and port ranges without `--mtu` or `--multipath`. Live runs
    /// set it; recordings made before it existed replay without it.
    pub adaptive_pacing: bool,
    /// A SYN-ACK drops the other SYNs of its hop and flow still waiting
    /// (see `receive.rs`, `supersede`): a replay takes such a SYN seen
    /// leaving after the SYN-ACK for one the live run had sent before it
    /// read the SYN-ACK. Live runs set it; recordings made before it was
    /// written down replay as they always did.
    pub moot_syns_dropped: bool,
    /// Which flows the probes take.
    pub paths: Paths,
    /// Path MTU discovery (`--mtu`): the size probes start at (the
    /// outgoing interface's MTU; 0 from the command line until the route
    /// is known); `None`: bare probes.
    pub mtu: Option<u16>,
    /// Where probes leave and answers come from.
    pub transport: Transport,
    /// At most this many probes of a trace go beyond its farthest answer
    /// (`window.rs`): each could reach a target nearer than that.
    pub ahead: u32,
}

/// How a run meets the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Raw sockets out, libpcap in: every packet as it was on the wire.
    #[default]
    Capture,
    /// Ordinary sockets, no privileges (`sockets/`): answers are rebuilt
    /// from what the kernel reports, and their quotes are not seen (the
    /// rebuilt quote is the probe itself, so it is never compared).
    Sockets,
}

impl Transport {
    /// The name used in JSON and in recordings.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Capture => "capture",
            Transport::Sockets => "sockets",
        }
    }
}

/// Which flows a trace's probes take through load-balanced paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths {
    /// Every probe of a trace keeps one flow, so all follow one path
    /// (Paris traceroute); the default.
    OneFlow,
    /// Every probe takes a flow of its own, as classic traceroutes do
    /// (`--no-paris`): hops may mix paths.
    PerProbe,
    /// Every path: flows are varied under the Multipath Detection
    /// Algorithm's stopping rule at this confidence (`--multipath`).
    All { confidence: Confidence },
}

impl Paths {
    /// The name used on the command line, in JSON and in recordings.
    pub fn name(self) -> &'static str {
        match self {
            Paths::OneFlow => "one-flow",
            Paths::PerProbe => "per-probe",
            Paths::All { .. } => "multipath",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            first_ttl: 1,
            max_hops: 30,
            probes_per_hop: 3,
            timeout: Duration::from_millis(2000),
            max_in_flight: 1024,
            pacing: true,
            adaptive_pacing: false,
            moot_syns_dropped: false,
            paths: Paths::OneFlow,
            mtu: None,
            transport: Transport::Capture,
            ahead: super::window::AHEAD,
        }
    }
}

impl Settings {
    /// Whether pacing adapts to the routers (see `adaptive_pacing`).
    pub fn adapts(&self) -> bool {
        self.pacing
            && self.adaptive_pacing
            && self.mtu.is_none()
            && !matches!(self.paths, Paths::All { .. })
    }

    /// Whether this is a port scan: one TTL, the scan's, for every port
    /// (`-s`, or `-h 128 -m 1`). A one-hop trace at a low TTL is a trace.
    pub fn is_scan(&self) -> bool {
        self.max_hops == 1 && self.first_ttl == SCAN_TTL
    }

    /// The highest TTL probed.
    pub fn last_ttl(&self) -> u8 {
        let last = u16::from(self.first_ttl) + u16::from(self.max_hops.max(1)) - 1;
        last.min(255) as u8
    }
}
