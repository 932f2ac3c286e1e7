//! What a trace means, in plain sentences drawn only from what the probes
//! showed, each citing the hop and address it rests on (in the spirit of
//! reading-traceroute-output: silent routers, firewalls, targets that do
//! not answer, busy routers, load balancing, unreachables; across several
//! traces: blocked ports and transparent proxies).
//!
//! Owns the findings and their rules; reads the trace model and the run.
//! Must not depend on the reports (they call it, not the reverse), the
//! engine's internals or any I/O.

use crate::run::RunInfo;
use crate::trace::{TraceEnd, TraceResult};
use std::collections::HashMap;
use std::net::IpAddr;
use tracetcp_strategies::{ReplyKind, Unreachable};

/// The kind of a finding (stable names, used in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reached,
    SilentRouter,
    NoAnswerPast,
    DestinationSilent,
    BlockedPort,
    TransparentProxy,
    PartialLoss,
    LoadBalancing,
    Unreachable,
    /// Answers up to the last hop asked for: the trace ended at -m.
    MaxHops,
    /// The quotes show the path rewriting a field of the probes.
    PathRewrite,
    /// `--mtu`: a router announced a smaller MTU for the link after it.
    PathMtu,
    /// `--mtu`: sizes vanish past a hop with no "too big" answer.
    MtuBlackHole,
    /// `--mtu`: a SYN's MSS is more than the path MTU carries.
    MssTooBig,
    /// Rounds: loss that starts at a hop and lasts to the destination.
    PathLoss,
    /// Rounds: a hop loses answers that later hops do not.
    IcmpLimited,
    /// Rounds: a latency step that lasts to the destination.
    SlowLink,
    /// Rounds: one hop answers slowly, later hops do not.
    SlowReplies,
    /// Rounds: a hop's responder changed.
    RouteChange,
    /// Rounds: a hop's responders alternate on one flow.
    PerPacketBalancing,
    /// Rounds, compared: one kind loses at a hop, another does not.
    KindLimited,
    /// Rounds: a difference in loss too small, for the rounds so far, to
    /// carry a finding; what the counts show and how many rounds would.
    TooFewRounds,
}

impl Kind {
    /// Order of telling: what blocks the path first, what is fine last.
    fn rank(self) -> u8 {
        match self {
            Kind::TransparentProxy => 0,
            Kind::BlockedPort => 1,
            Kind::Unreachable => 2,
            Kind::DestinationSilent => 3,
            Kind::NoAnswerPast => 4,
            Kind::SilentRouter => 5,
            Kind::PartialLoss => 6,
            Kind::MtuBlackHole => 2,
            Kind::PathRewrite => 7,
            Kind::PathMtu => 7,
            Kind::MssTooBig => 7,
            Kind::LoadBalancing => 7,
            Kind::PathLoss => 1,
            Kind::RouteChange => 4,
            Kind::SlowLink => 5,
            Kind::IcmpLimited | Kind::KindLimited | Kind::SlowReplies => 6,
            Kind::PerPacketBalancing => 7,
            Kind::MaxHops | Kind::TooFewRounds => 8,
            Kind::Reached => 9,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Reached => "reached",
            Kind::SilentRouter => "silent-router",
            Kind::NoAnswerPast => "no-answer-past",
            Kind::DestinationSilent => "destination-silent",
            Kind::BlockedPort => "blocked-port",
            Kind::TransparentProxy => "transparent-proxy",
            Kind::PartialLoss => "partial-loss",
            Kind::LoadBalancing => "load-balancing",
            Kind::Unreachable => "unreachable",
            Kind::MaxHops => "max-hops",
            Kind::PathRewrite => "path-rewrite",
            Kind::PathMtu => "path-mtu",
            Kind::MtuBlackHole => "mtu-black-hole",
            Kind::MssTooBig => "mss-too-big",
            Kind::PathLoss => "path-loss",
            Kind::IcmpLimited => "icmp-limited",
            Kind::SlowLink => "slow-link",
            Kind::SlowReplies => "slow-replies",
            Kind::RouteChange => "route-change",
            Kind::PerPacketBalancing => "per-packet-balancing",
            Kind::KindLimited => "kind-limited",
            Kind::TooFewRounds => "too-few-rounds",
        }
    }
}

/// One conclusion, with what it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// The hop it is about.
    pub hop: Option<u8>,
    /// The address it is about.
    pub address: Option<IpAddr>,
    /// The traces it concerns (indices), by name in `text`.
    pub traces: Vec<usize>,
    /// The conclusion, in a sentence or two.
    pub text: String,
    /// The observations it rests on.
    pub evidence: String,
}

/// Where a trace stopped: its last hop with an answer, and who gave it.
type Stop = Option<(u8, IpAddr)>;

/// How far a trace got: the destination's hop, or its last answer.
fn reach(r: &TraceResult) -> Option<u8> {
    match r.end {
        TraceEnd::Reached { ttl, .. } | TraceEnd::Unreachable { ttl, .. } => Some(ttl),
        _ => r.last_answer().map(|(t, _)| t),
    }
}

/// Whether `a` and `b` share a /24 (IPv4) or /64 (IPv6).
fn same_subnet(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..3] == b.octets()[..3],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..8] == b.octets()[..8],
        _ => false,
    }
}

/// Hops back an answer travelled, from its TTL and the usual initial TTLs.
fn hops_back(ttl: u8) -> u8 {
    let initial = [64u16, 128, 255]
        .into_iter()
        .find(|&i| i >= u16::from(ttl))
        .unwrap_or(255);
    (initial - u16::from(ttl) + 1) as u8
}

/// "about 1 hop back", "about 5 hops back".
fn about_hops(n: u8) -> String {
    format!("about {} back", crate::words::count(n.into(), "hop"))
}

/// What the field an answer arrives with is called: TTL (IPv4) or hop
/// limit (IPv6).
fn ttl_word(from: IpAddr) -> &'static str {
    if from.is_ipv6() {
        "hop limit"
    } else {
        "TTL"
    }
}

fn what_reached(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::SynAck => "the port is open (SYN-ACK)",
        ReplyKind::Rst => "the port is closed (RST)",
        ReplyKind::PortUnreachable => "the port is closed (ICMP port unreachable)",
        ReplyKind::EchoReply => "it answers ping (echo reply)",
        _ => "it answered",
    }
}

fn unreachable_meaning(u: Unreachable) -> &'static str {
    match u {
        Unreachable::AdminProhibited | Unreachable::Port => "a firewall there rejects these probes",
        Unreachable::Network => "it has no route onward to the destination's network",
        Unreachable::Host => "it cannot reach the destination host (down, or not on its link)",
        Unreachable::Protocol => "the destination does not speak this protocol",
        Unreachable::FragmentationNeeded { .. } => "the probes are too big for the next link",
        _ => "it will not forward these probes",
    }
}

fn thin(run: &RunInfo) -> &'static str {
    if run.settings.probes_per_hop == 1 {
        " (one probe per hop: thin evidence)"
    } else {
        ""
    }
}

fn hop_range(a: u8, b: u8) -> String {
    if a == b {
        format!("Hop {a}")
    } else {
        format!("Hops {a}-{b}")
    }
}

/// Every finding about these traces of one run, in a stable order.
pub fn diagnose(run: &RunInfo, results: &[TraceResult]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    if scan::is_scan(run) {
        scan::scan(run, results, &mut out);
        return out;
    }
    let names: Vec<String> = results.iter().map(|r| r.spec.name()).collect();
    for (i, r) in results.iter().enumerate() {
        single::single(run, i, r, &names[i], &mut out);
        rewrites::rewrites(i, r, &names[i], &mut out);
        mtu::findings(run.address.is_ipv6(), i, r, &names[i], &mut out);
    }
    silent_tails(run, results, &names, &mut out);
    across::across(results, &names, run.multipath(), &mut out);
    // A proxy's SYN-ACK is not the destination's: one story, the proxy's.
    let proxied: Vec<usize> = out
        .iter()
        .filter(|f| f.kind == Kind::TransparentProxy)
        .filter_map(|f| f.traces.first().copied())
        .collect();
    out.retain(|f| {
        !(f.kind == Kind::Reached && f.traces.len() == 1 && proxied.contains(&f.traces[0]))
    });
    if results.len() > MAX_REACHED_LINES {
        summarise_reached(run, results, &mut out);
    }
    merge(out)
}

/// Beyond this many traces (a -r range, a scan), "reached" findings are
/// summarised in one.
const MAX_REACHED_LINES: usize = 8;

fn summarise_reached(run: &RunInfo, results: &[TraceResult], out: &mut Vec<Finding>) {
    out.retain(|f| f.kind != Kind::Reached);
    let reached: Vec<(usize, u8, ReplyKind)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.end {
            TraceEnd::Reached { ttl, kind, .. } => Some((i, ttl, kind)),
            _ => None,
        })
        .collect();
    if reached.is_empty() {
        return;
    }
    let open: Vec<String> = reached
        .iter()
        .filter(|(_, _, k)| matches!(k, ReplyKind::SynAck | ReplyKind::EchoReply))
        .map(|(i, _, _)| results[*i].spec.name())
        .collect();
    let shown: Vec<&str> = open.iter().take(20).map(String::as_str).collect();
    let more = if open.len() > shown.len() {
        format!(" and {} more", open.len() - shown.len())
    } else {
        String::new()
    };
    let open_text = if open.is_empty() {
        "none open".to_string()
    } else {
        format!("open: {}{more}", shown.join(", "))
    };
    let (lo, hi) = reached
        .iter()
        .fold((u8::MAX, 0), |(lo, hi), (_, t, _)| (lo.min(*t), hi.max(*t)));
    let hops = if lo == hi {
        format!("hop {lo}")
    } else {
        format!("hops {lo}-{hi}")
    };
    out.push(Finding {
        kind: Kind::Reached,
        hop: Some(lo),
        address: Some(run.address),
        traces: reached.iter().map(|(i, _, _)| *i).collect(),
        text: format!(
            "{} of {} traces reach {} at {hops}; {open_text}.",
            reached.len(),
            results.len(),
            run.address
        ),
        evidence: format!("{} answers from the destination", reached.len()),
    });
}

/// The traces that ended at the maximum hop count with a silent tail that
/// `keep` accepts (given where they stopped), grouped by that place.
fn stopped_by_place(
    results: &[TraceResult],
    keep: impl Fn(Stop) -> bool,
) -> Vec<(Stop, Vec<usize>)> {
    let mut groups: Vec<(Stop, Vec<usize>)> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let stop = r.last_answer();
        if r.end != TraceEnd::MaxHops || !keep(stop) {
            continue;
        }
        match groups.iter_mut().find(|(s, _)| *s == stop) {
            Some((_, list)) => list.push(i),
            None => groups.push((stop, vec![i])),
        }
    }
    groups
}

/// Traces that go silent before their last hop with nothing getting
/// further: a firewall, or a destination that does not answer. Traces that
/// stop at the same place make one finding.
fn silent_tails(run: &RunInfo, results: &[TraceResult], names: &[String], out: &mut Vec<Finding>) {
    let furthest = results.iter().filter_map(reach).max();
    let last_ttl = run.settings.last_ttl();
    let groups = stopped_by_place(results, |stop| {
        stop.map_or(0, |(t, _)| t) < last_ttl && furthest <= stop.map(|(t, _)| t)
    });
    let dst = run.address;
    for (stop, traces) in groups {
        let who = names::joined(traces.iter().map(|&i| names[i].as_str()));
        out.push(match stop {
            Some((k, addr)) if same_subnet(addr, dst) => Finding {
                kind: Kind::DestinationSilent,
                hop: Some(k),
                address: Some(addr),
                traces,
                text: format!(
                    "{dst} never answers {who}; the last hop to answer, {addr} at hop {k}, shares its \
                     subnet and is probably its local router: the destination (or its own firewall) \
                     drops these probes."
                ),
                evidence: format!("answers up to hop {k}, none after; {addr} and {dst} share a subnet"),
            },
            Some((k, addr)) => Finding {
                kind: Kind::NoAnswerPast,
                hop: Some(k),
                address: Some(addr),
                traces,
                text: format!(
                    "{who}: no answer past hop {k} ({addr}): a firewall after it drops the probes or \
                     their answers, or the destination does not answer."
                ),
                evidence: format!("hops {}-{last_ttl} silent", k + 1),
            },
            None => Finding {
                kind: Kind::NoAnswerPast,
                hop: None,
                address: None,
                traces,
                text: format!("{who}: no hop answered at all: something near this host drops the probes or their answers."),
                evidence: "every probe lost".into(),
            },
        });
    }
}

/// One finding for the same conclusion reached from several traces (a
/// silent router seen by every probe kind); problems first.
fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut seen: HashMap<(u8, Option<u8>, String), usize> = HashMap::new();
    for f in findings {
        // Findings about the path (not a trace) merge by hop and address.
        let about_the_path = matches!(
            f.kind,
            Kind::SilentRouter | Kind::LoadBalancing | Kind::PartialLoss
        );
        let key = if about_the_path {
            (f.kind.rank(), f.hop, format!("{:?}", f.address))
        } else {
            (f.kind.rank(), f.hop, f.text.clone())
        };
        match seen.get(&key) {
            Some(&i) => out[i].traces.extend(f.traces),
            None => {
                seen.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out.sort_by_key(|f| f.kind.rank());
    out
}

/// The findings as text, after a report.
pub fn render(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nDiagnosis:\n");
    for f in findings {
        s.push_str(&format!("- {} [{}]\n", f.text, f.evidence));
    }
    s
}

mod across;
mod mtu;
mod names;
pub mod owners;
mod rewrites;
pub mod rounds;
mod scan;
mod single;

#[cfg(test)]
mod tests;
