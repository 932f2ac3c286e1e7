//! The command line, defined in one place: the original tool's flags
//! (-c -h -m -n -p -r -s -t -g -R -F -v -?) with their meanings, and the
//! additions. `Cli::config` turns it into what the tracer runs.
//!
//! Only main imports it: nothing below the command line (engine, record,
//! report, diagnosis, output) may depend on it.

use crate::engine::Confidence;
use crate::words;
use clap::{ArgAction, Parser};
use std::net::IpAddr;
use std::path::PathBuf;
use tracetcp_strategies::Protocol;

/// The exit codes, as `-?` and the man page list them (main.rs's `exit`).
pub const EXIT_CODES: &str = "Exit codes: 0 done, 1 network or capture failure, 2 bad input, \
     3 missing privileges, 4 trace done but its recording (-w) incomplete, 130 interrupted.";

/// Default timeout per probe: all probes are in flight together, so a
/// trace waits about one timeout in all, not one per hop.
pub const DEFAULT_TIMEOUT_MS: u64 = 2000;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "tracetcp",
    version,
    about = "Trace the route to a host with TCP SYN, UDP or ICMP echo probes.",
    disable_help_flag = true,
    disable_version_flag = true,
    override_usage = "tracetcp host[:port|:service] [options]",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Target: host[:port|:service], [IPv6]:port (without a port: 80 for
    /// TCP, 33434 for UDP)
    #[arg(value_name = "host[:port|:service]")]
    pub target: Option<String>,

    /// More targets, traced in the same run (see --rate)
    #[arg(value_name = "more hosts", hide = true)]
    pub more: Vec<String>,

    /// Trace every target in FILE too: one host[:port] a line, # comments;
    /// - reads standard input
    #[arg(long = "targets", value_name = "FILE")]
    pub targets: Option<String>,

    /// With several targets: at most PPS probes a second in all (100 by
    /// default)
    #[arg(long = "rate", value_name = "PPS", value_parser = number(1u32, 1_000_000))]
    pub rate: Option<u32>,

    /// With several targets: probe every hop of every target, even hops
    /// an earlier target's trace found on the way (its stop set)
    #[arg(long = "no-stop-set")]
    pub no_stop_set: bool,

    /// RIPE Atlas traceroute results, one a line (ripe.atlas.sagan,
    /// pantrace and tracevis read them); with --replay, of any capture
    #[arg(long = "atlas-json", conflicts_with_all = ["json", "condensed", "csv", "jsonl", "cycles", "watch"])]
    pub atlas: bool,

    /// scamper's JSON trace records, one a line (as sc_warts2json prints
    /// them); with --replay, of any capture
    #[arg(long = "scamper-json", conflicts_with_all = ["json", "condensed", "csv", "jsonl", "cycles", "watch", "atlas"])]
    pub scamper: bool,

    /// The path as a Graphviz graph (dot -Tsvg draws it); with
    /// --multipath every interface and link; with several targets one
    /// graph of them all
    #[arg(long = "dot", conflicts_with_all = ["json", "condensed", "csv", "jsonl", "cycles", "watch", "atlas", "scamper"])]
    pub dot: bool,

    /// With several targets: one JSON document per target, a line each,
    /// printed as each finishes
    #[arg(long = "jsonl", conflicts_with_all = ["json", "condensed", "csv"])]
    pub jsonl: bool,

    /// Condensed output: one line per hop
    #[arg(short = 'c')]
    pub condensed: bool,

    /// Start hop: TTL of the first probes (traceroute's -f, --first-hop)
    #[arg(short = 'h', visible_short_alias = 'f', long = "first-hop", value_name = "TTL",
          default_value_t = 1, value_parser = number(1u8, 255))]
    pub start_hop: u8,

    /// Maximum hops: how many TTLs to probe from the start hop
    #[arg(short = 'm', long = "max-hops", value_name = "HOPS", default_value_t = 30,
          value_parser = number(1u8, 255))]
    pub max_hops: u8,

    /// No reverse DNS lookups
    #[arg(short = 'n')]
    pub numeric: bool,

    /// Show the autonomous system (AS) of every hop (mtr's -z)
    #[arg(short = 'A', long = "as", visible_short_alias = 'z')]
    pub owners: bool,

    /// Where AS numbers come from (implies --as): cymru (Team Cymru's
    /// DNS zones, the default), dns:ORIGIN4,ORIGIN6,NAMES (zones of the
    /// same format), or a file (iptoasn TSV, CAIDA prefix-to-AS, .mmdb)
    #[arg(long = "as-source", value_name = "SOURCE")]
    pub as_source: Option<String>,

    /// DNS server for AS look-ups and, given, for reverse names
    #[arg(long = "dns-server", value_name = "ADDR[:PORT]", value_parser = dns_server)]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Probes per hop, 3 by default; 1 a round with --cycles or --watch
    /// (traceroute's -q, --queries)
    #[arg(short = 'p', visible_short_alias = 'q', long = "queries", value_name = "N",
          value_parser = number(1u8, 16))]
    pub probes: Option<u8>,

    /// One trace per port from P1 to P2, all run at once
    #[arg(short = 'r', num_args = 2, value_names = ["P1", "P2"])]
    pub range: Option<Vec<u16>>,

    /// Port scan: same as -c -n -r P1 P2 -h 128 -m 1 -p 1
    #[arg(short = 's', num_args = 2, value_names = ["P1", "P2"], conflicts_with = "range")]
    pub scan: Option<Vec<u16>>,

    /// Timeout per probe in milliseconds
    #[arg(short = 't', value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS,
          value_parser = number(1u64, 600_000))]
    pub timeout_ms: u64,

    /// Timeout per probe in seconds, as traceroute's -w (--timeout too)
    #[arg(long = "wait", visible_alias = "timeout", value_name = "SECONDS",
          conflicts_with = "timeout_ms", value_parser = parse_seconds)]
    pub wait: Option<u64>,

    /// Probes in flight at most (traceroute's -N)
    #[arg(short = 'N', long = "sim-queries", value_name = "N",
          value_parser = number(1u16, 16384))]
    pub in_flight: Option<u16>,

    /// Destination port, for those used to --port (same as host:port)
    #[arg(long = "port", value_name = "PORT")]
    pub port: Option<String>,

    /// TCP SYN probes (same as -P tcp)
    #[arg(short = 'T', conflicts_with_all = ["udp", "icmp", "protocol"])]
    pub tcp: bool,

    /// UDP probes (same as -P udp)
    #[arg(short = 'U', conflicts_with_all = ["icmp", "protocol"])]
    pub udp: bool,

    /// ICMP echo probes (same as -P icmp)
    #[arg(short = 'I', conflicts_with = "protocol")]
    pub icmp: bool,

    /// Gateway for injected ethernet frames (implies --inject)
    #[arg(short = 'g', value_name = "ADDR")]
    pub gateway: Option<IpAddr>,

    /// Send through raw sockets (the default on Linux)
    #[arg(short = 'R', conflicts_with_all = ["inject", "gateway"])]
    pub raw: bool,

    /// Send by injecting ethernet frames through libpcap
    #[arg(long = "inject")]
    pub inject: bool,

    /// Trace through ordinary sockets, as without privileges (the
    /// automatic choice without CAP_NET_RAW)
    #[arg(long = "unprivileged", conflicts_with_all = ["inject", "gateway", "raw"])]
    pub unprivileged: bool,

    /// Disable pacing ("anti-flood"): send every probe at once
    #[arg(short = 'F')]
    pub no_pacing: bool,

    /// Print the version
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// Print this help
    #[arg(short = '?', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Use IPv4 only
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 only
    #[arg(short = '6')]
    pub ipv6: bool,

    /// Probe kind: tcp, udp or icmp
    #[arg(short = 'P', long = "protocol", value_name = "PROTO", default_value = "tcp",
          value_parser = ProtocolParser, hide_possible_values = true)]
    pub protocol: Protocol,

    /// Print one JSON document instead of text
    #[arg(long = "json", conflicts_with = "condensed")]
    pub json: bool,

    /// Classic output (the default; with --replay, overrides the recording's)
    #[arg(long = "classic", conflicts_with_all = ["condensed", "json"])]
    pub classic: bool,

    /// Network interface to capture (and inject) on
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,

    /// Source address of the probes
    #[arg(long = "source", value_name = "ADDR")]
    pub source: Option<IpAddr>,

    /// Write every packet of the session (probes and answers) to FILE
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Replay a recorded session from FILE (no privileges, no network)
    #[arg(long = "replay", value_name = "FILE", conflicts_with_all = [
        "write", "target", "start_hop", "max_hops", "probes", "range", "scan", "timeout_ms",
        "gateway", "raw", "inject", "unprivileged", "no_pacing", "ipv4", "as_source", "dns_server",
        "more", "targets", "rate", "no_stop_set", "jsonl", "ipv6", "protocol", "interface",
        "source", "compare", "flow", "no_paris", "multipath", "confidence", "wait", "in_flight",
        "port", "tcp", "udp", "icmp", "mtu", "cycles", "watch", "interval",
    ])]
    pub replay: Option<PathBuf>,

    /// With --replay of a capture tracetcp did not record: the inferred
    /// traceroute session to show (1 is the first; all by default)
    #[arg(long = "session", value_name = "N", requires = "replay")]
    pub session: Option<usize>,

    /// With --replay: show every packet and what the tracer made of it
    /// (text; JSON and CSV carry no packet lines)
    #[arg(long = "show-packets", conflicts_with_all = ["json", "csv"])]
    pub show_packets: bool,

    /// Trace several probe kinds at once and compare them side by side;
    /// --compare=tcp:80,tcp:135,udp,icmp (default: tcp on the port, udp, icmp)
    #[arg(long = "compare", value_name = "SPEC", num_args = 0..=1, default_missing_value = "", require_equals = true,
          conflicts_with_all = ["range", "scan", "protocol", "condensed"])]
    pub compare: Option<String>,

    /// Do not print the diagnosis after the report
    #[arg(long = "no-diagnosis")]
    pub no_diagnosis: bool,

    /// List every silent hop at the end of a trace (by default a tail of
    /// silent hops is one line: "7-30  *  No answer from hop 7 to hop 30.")
    #[arg(long = "all-hops")]
    pub all_hops: bool,

    /// Send every probe of a trace on this flow (TCP/UDP source port,
    /// ICMP checksum) instead of the one picked at random, to walk
    /// another of several load-balanced paths
    #[arg(long = "flow", value_name = "N", conflicts_with_all = ["no_paris"],
          value_parser = number(1u16, 65534))]
    pub flow: Option<u16>,

    /// A new flow for every probe, as classic traceroutes do (hops may
    /// then mix load-balanced paths)
    #[arg(long = "no-paris")]
    pub no_paris: bool,

    /// Find every load-balanced path: every interface at every hop and
    /// the links between them (Multipath Detection Algorithm)
    #[arg(long = "multipath", conflicts_with_all = ["no_paris", "flow", "scan", "range"])]
    pub multipath: bool,

    /// Path MTU, hop by hop: probes start at the outgoing interface's MTU
    /// with don't-fragment set, follow "fragmentation needed" / "packet
    /// too big", and a size that vanishes silently (a black hole) is
    /// searched for
    #[arg(long = "mtu", conflicts_with_all = ["multipath", "scan", "range"])]
    pub mtu: bool,

    /// Show ICMP extensions (MPLS labels, interfaces): traceroute's -e;
    /// tracetcp always shows them, this is accepted for the habit
    #[arg(short = 'e', long = "extensions")]
    pub extensions: bool,

    /// Run N rounds, then print each hop's statistics (mtr's report)
    #[arg(long = "cycles", value_name = "N", conflicts_with = "watch",
          value_parser = number(1u64, 100_000_000))]
    pub cycles: Option<u64>,

    /// Run rounds until stopped (q or Ctrl-C): a live view on a terminal,
    /// a line per round otherwise; statistics at the end
    #[arg(long = "watch")]
    pub watch: bool,

    /// Seconds from one round to the next (default 1)
    #[arg(long = "interval", value_name = "SECONDS", value_parser = parse_seconds)]
    pub interval: Option<u64>,

    /// Statistics of rounds as CSV, one row per hop
    #[arg(long = "csv", conflicts_with_all = ["json", "condensed", "classic"])]
    pub csv: bool,

    /// Print the man page or a shell's completions: man, bash, zsh, fish,
    /// elvish or powershell
    #[arg(long = "generate", value_name = "WHAT", value_parser = generate::WHAT,
          hide_possible_values = true)]
    pub generate: Option<String>,

    /// Confidence of --multipath's stopping rule, in percent: 95 or 99
    #[arg(long = "confidence", value_name = "PCT", requires = "multipath",
          value_parser = parse_confidence)]
    pub confidence: Option<Confidence>,
}

/// Seconds (fractions allowed) as milliseconds, 1 ms to 600 s.
fn parse_seconds(s: &str) -> std::result::Result<u64, String> {
    let wrong = || format!("must be {} seconds", words::range(0.001, 600));
    let secs: f64 = s.parse().map_err(|_| wrong())?;
    let ms = (secs * 1000.0).round();
    if (1.0..=600_000.0).contains(&ms) {
        Ok(ms as u64)
    } else {
        Err(wrong())
    }
}

/// A whole number from `low` to `high`. Every flag's range is worded the
/// same way (clap prints the value given before it).
fn number<T>(low: T, high: T) -> impl Fn(&str) -> std::result::Result<T, String> + Clone
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |s: &str| match s.parse::<T>() {
        Ok(n) if n >= low && n <= high => Ok(n),
        _ => Err(format!(
            "must be a whole number from {}",
            words::range(low, high)
        )),
    }
}

/// A DNS server: ADDR, ADDR:PORT or [IPv6]:PORT.
fn dns_server(s: &str) -> std::result::Result<std::net::SocketAddr, String> {
    crate::dns::conf::server(s)
        .ok_or_else(|| "must be an address, with :PORT if not 53".to_string())
}

fn parse_protocol(s: &str) -> std::result::Result<Protocol, String> {
    s.parse::<Protocol>()
        .map_err(|_| "must be tcp, udp or icmp".to_string())
}

/// -P's values, named so that shell completion offers them.
#[derive(Clone)]
struct ProtocolParser;

impl clap::builder::TypedValueParser for ProtocolParser {
    type Value = Protocol;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<Protocol, clap::Error> {
        clap::builder::TypedValueParser::parse_ref(&parse_protocol, cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = ["tcp", "udp", "icmp"];
        Some(Box::new(
            names.into_iter().map(clap::builder::PossibleValue::new),
        ))
    }
}

fn parse_confidence(s: &str) -> std::result::Result<Confidence, String> {
    s.trim_end_matches('%')
        .parse::<u8>()
        .ok()
        .and_then(Confidence::from_percent)
        .ok_or_else(|| "must be 95 or 99 (percent)".to_string())
}

#[cfg(test)]
mod tests;

mod config;
pub mod generate;
pub mod habits;
mod ports;

pub use config::Mode;
pub use ports::{DEFAULT_TCP_PORT, DEFAULT_UDP_PORT};
