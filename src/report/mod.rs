//! Reports of finished traces: classic and condensed (the original tool's
//! shapes, columns separated by tabs) and JSON.
//!
//! Owns the output format (Format). Renders from data alone (results, run,
//! names, findings): never resolves names, never drives the engine; calls
//! the diagnosis, which must not call it back.

pub mod atlas;
mod classic;
pub mod compare;
pub mod condensed;
pub mod dot;
pub mod json;
pub mod mtu;
pub mod multipath;
pub mod packets;
pub mod rounds;
pub mod rounds_json;
pub mod scamper;

use crate::diagnosis;
use crate::mtu::PathMtu;
use crate::quotes;
pub use crate::run::{Names, RunInfo};
use crate::trace::TraceSpec;
use crate::trace::{HopResult, TraceEnd, TraceResult};
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{MplsStack, NamedInterface, Protocol, ReplyKind};

/// The report to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Classic,
    Condensed,
    Json,
    /// The side-by-side comparison table (--compare).
    Compare,
    /// Comma-separated statistics of rounds (`--csv`); a single trace
    /// has none, and prints its classic report.
    Csv,
    /// RIPE Atlas traceroute results, one a line (`--atlas-json`).
    Atlas,
    /// scamper's JSON trace records, one a line (`--scamper-json`).
    Scamper,
    /// The path as a Graphviz graph (`--dot`).
    Dot,
}

/// The two text reports. Live output and batch rendering both go through
/// these three pieces, so a replayed report reads exactly like the live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Classic,
    Condensed,
}

impl Text {
    /// What comes before the hops of the `index`-th trace.
    pub fn trace_start(self, run: &RunInfo, index: usize, spec: &TraceSpec) -> String {
        let gap = if index > 0 && (self == Text::Classic || condensed::separates_traces(run)) {
            "\n"
        } else {
            ""
        };
        match self {
            Text::Classic => format!("{gap}{}", classic::header(run, spec)),
            Text::Condensed => gap.to_string(),
        }
    }

    /// A hop's lines; `marks` (what the path rewrote, first seen at this
    /// hop: " [MSS 1460->1200]") end its first line.
    pub fn hop(
        self,
        run: &RunInfo,
        spec: &TraceSpec,
        hop: &HopResult,
        names: &Names,
        marks: &str,
    ) -> String {
        let mut text = match self {
            Text::Classic => classic::hop(hop, run.settings.probes_per_hop, names),
            Text::Condensed => condensed::hop(run, spec, hop, names),
        };
        if let Some(end) = text.find('\n') {
            text.insert_str(end, marks);
        }
        text
    }

    /// A run of silent hops at the end of a trace, as one line.
    pub fn silent_tail_line(self, run: &RunInfo, spec: &TraceSpec, first: u8, last: u8) -> String {
        let line = format!("{first}-{last}\t*\tNo answer from hop {first} to hop {last}.\n");
        match self {
            Text::Classic => line,
            Text::Condensed => format!("{}  {line}", condensed::label(run.address, spec)),
        }
    }

    /// The hop lines of a trace from its `from`-th hop on, its silent
    /// tail (see the free function `silent_tail`) as one line.
    pub fn hops(self, run: &RunInfo, r: &TraceResult, names: &Names, from: usize) -> String {
        let marks = HopMarks::of(run, r);
        let tail = silent_tail(run, r);
        let mut out = String::new();
        for (k, h) in r.hops.iter().enumerate().skip(from) {
            if tail == Some(k) {
                let last = r.hops.last().map_or(h.ttl, |l| l.ttl);
                out.push_str(&self.silent_tail_line(run, &r.spec, h.ttl, last));
                break;
            }
            out.push_str(&self.hop(run, &r.spec, h, names, &marks.at(h)));
        }
        out
    }

    pub fn trace_end(self, run: &RunInfo, r: &TraceResult, names: &Names) -> String {
        let path_mtu = crate::mtu::analyse(r, run.address.is_ipv6())
            .filter(|_| !r.hops.is_empty())
            .map(|m| mtu::summary(&m, r))
            .unwrap_or_default();
        let steps: Vec<String> = as_path(r, names)
            .iter()
            .map(|s| s.iter().map(u32::to_string).collect::<Vec<_>>().join("/"))
            .collect();
        let mut path_mtu = match steps.is_empty() {
            true => path_mtu,
            false => format!("{path_mtu}AS path: {}\n", steps.join(" -> ")),
        };
        if let Some(l) = r.learned {
            let (hops, them) = match l.hops {
                1 => ("Hop 1".to_string(), "it"),
                n => (format!("Hops {}", crate::words::range(1, n)), "them"),
            };
            path_mtu.push_str(&format!(
                "{hops}: as the trace to {} found {them}, not probed again (--no-stop-set probes {them}).\n",
                l.from
            ));
        }
        match self {
            Text::Classic => classic::footer(&r.end).to_string() + &path_mtu,
            // A port an interrupted range never got to.
            Text::Condensed if r.hops.is_empty() && r.end == TraceEnd::Interrupted => {
                format!("{}  not probed\n", condensed::label(run.address, &r.spec))
            }
            Text::Condensed => path_mtu,
        }
    }

    /// A whole report of finished traces.
    pub fn render(self, run: &RunInfo, results: &[TraceResult], names: &Names) -> String {
        let mut out = String::new();
        for (i, r) in results.iter().enumerate() {
            out.push_str(&self.trace_start(run, i, &r.spec));
            out.push_str(&self.hops(run, r, names, 0));
            out.push_str(&self.trace_end(run, r, names));
        }
        out
    }
}

/// Where the silent tail of a finished trace starts (an index into its
/// hops) when it is shown as one line: two silent hops at least after a
/// hop that answered (a trace silent throughout, as a filtered port of a
/// range, keeps the original tool's lines), the trace not interrupted,
/// the full listing (`--all-hops`) not asked for.
pub fn silent_tail(run: &RunInfo, r: &TraceResult) -> Option<usize> {
    if run.every_hop || r.end == TraceEnd::Interrupted {
        return None;
    }
    let silent = r.hops.iter().rev().take_while(|h| h.all_lost()).count();
    (silent >= 2 && silent < r.hops.len()).then(|| r.hops.len() - silent)
}

/// The whole report of finished traces, with the diagnosis when asked
/// (after the text, or as the `diagnosis` array of the JSON document).
pub fn render(
    format: Format,
    run: &RunInfo,
    results: &[TraceResult],
    names: &Names,
    diagnosis: bool,
) -> String {
    let mut findings = if diagnosis {
        diagnosis::diagnose(run, results)
    } else {
        Vec::new()
    };
    diagnosis::owners::annotate(&mut findings, results, names);
    let report = match format {
        Format::Json => return json::render(run, results, names, &findings),
        Format::Atlas => return atlas::render(run, results),
        Format::Scamper => return scamper::render(run, results),
        Format::Dot => return dot::render(&[(run.clone(), results.to_vec())], names),
        _ if run.multipath() => multipath::render(run, results, names),
        Format::Compare => compare::render(run, results, names),
        Format::Classic | Format::Csv => Text::Classic.render(run, results, names),
        Format::Condensed => Text::Condensed.render(run, results, names),
    };
    report + &diagnosis::render(&findings)
}

/// The whole report of rounds, with the diagnosis over them when asked.
pub fn render_rounds(
    format: Format,
    run: &RunInfo,
    schedule: &crate::watch::Schedule,
    summary: &crate::watch::Summary,
    names: &Names,
    diagnosis: bool,
) -> String {
    let findings = if diagnosis {
        diagnosis::rounds::diagnose(run, summary)
    } else {
        Vec::new()
    };
    match format {
        // Rounds have no Atlas form (the command line refuses it): JSON.
        Format::Json | Format::Atlas | Format::Scamper | Format::Dot => {
            rounds_json::render(run, schedule, summary, names, &findings)
        }
        Format::Csv => rounds::csv(summary, names),
        _ => rounds::text(run, schedule, summary, names) + &diagnosis::render(&findings),
    }
}

/// What ends the hop lines of one trace, worked out once for it.
pub struct HopMarks {
    changes: Vec<quotes::Change>,
    mtu: Option<PathMtu>,
    first_ttl: u8,
}

impl HopMarks {
    pub fn of(run: &RunInfo, r: &TraceResult) -> Self {
        HopMarks {
            changes: quotes::changes(r),
            mtu: crate::mtu::analyse(r, run.address.is_ipv6()),
            first_ttl: run.settings.first_ttl,
        }
    }

    /// What ends a hop's first line: the rewrites first seen at it
    /// (" [MSS 1460->1200]"), the size probes went at where it changed
    /// (" [MTU 1400]") and the MPLS label stack its router reported
    /// (" [MPLS: L=24001 TC=0 S=0 TTL=1]", one per entry).
    pub fn at(&self, hop: &HopResult) -> String {
        let mut marks = quotes::marks(&self.changes, hop.ttl);
        if let Some(m) = &self.mtu {
            marks += &mtu::marks(m, hop.ttl, self.first_ttl);
        }
        let answers = hop.probes.iter().filter_map(|p| p.answer()).map(|(a, _)| a);
        if let Some(stack) = answers.map(|a| a.mpls).find(|s| !s.is_empty()) {
            marks += &mpls_marks(&stack);
        }
        marks
    }
}

/// An interface a router named (RFC 5837), for the debug view:
/// " [IF: ge-0/0/1 198.18.1.2 ifIndex 7 MTU 1500 incoming]".
pub fn interface_mark(i: &NamedInterface) -> String {
    let mut parts = Vec::new();
    if let Some(name) = i.name() {
        parts.push(crate::run::printable(&name));
    }
    if let Some(addr) = i.addr {
        parts.push(addr.to_string());
    }
    if let Some(index) = i.if_index {
        parts.push(format!("ifIndex {index}"));
    }
    if let Some(mtu) = i.mtu {
        parts.push(format!("MTU {mtu}"));
    }
    parts.push(i.role_name().to_string());
    format!(" [IF: {}]", parts.join(" "))
}

/// An MPLS label stack, one mark per entry: " [MPLS: L=24001 TC=0 S=1 TTL=1]".
pub fn mpls_marks(stack: &MplsStack) -> String {
    stack
        .entries()
        .map(|e| {
            format!(
                " [MPLS: L={} TC={} S={} TTL={}]",
                e.label,
                e.tc,
                u8::from(e.bottom),
                e.ttl
            )
        })
        .collect()
}

/// A round-trip time the way people read them: whole milliseconds, but
/// sub-millisecond times with two decimals ("0.05 ms", not "0 ms").
pub fn rtt(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1.0 {
        format!("{} ms", ms.round() as u64)
    } else if ms >= 0.01 {
        format!("{ms:.2} ms")
    } else {
        "<0.01 ms".to_string()
    }
}

/// A probe's cell in a hop line: its RTT (with an unreachable flag), "*"
/// when it was lost, or "not sent" when it never went out (an
/// interrupted run).
fn cell(hop: &HopResult, index: u8) -> String {
    let Some(probe) = hop.probes.iter().find(|p| p.index == index) else {
        return "not sent".to_string();
    };
    match probe.answer() {
        Some((a, t)) => match a.kind {
            ReplyKind::Unreachable(u) => format!("{} {}", rtt(t), u.flag()),
            _ => rtt(t),
        },
        None => "*".to_string(),
    }
}

/// The autonomous systems a trace crossed, in order, each once where the
/// path stays in it (a step of two numbers: a prefix of two origins);
/// hops with no known owner are passed over.
pub fn as_path(r: &TraceResult, names: &Names) -> Vec<Vec<u32>> {
    let mut path: Vec<Vec<u32>> = Vec::new();
    for h in &r.hops {
        let Some(owners) = h
            .responders()
            .into_iter()
            .map(|(a, _)| names.owners(&a))
            .find(|o| !o.is_empty())
        else {
            continue;
        };
        let step: Vec<u32> = owners.iter().map(|o| o.number).collect();
        if path.last() != Some(&step) {
            path.push(step);
        }
    }
    path
}

/// The cells of all the probes of a hop, "*" for those lost or never sent.
fn cells(hop: &HopResult, per_hop: u8) -> Vec<String> {
    (0..per_hop).map(|i| cell(hop, i)).collect()
}

/// The address with its name and owners, when known:
/// "198.18.1.1\t[r1.lab] [AS64500]".
fn address(addr: IpAddr, names: &Names) -> String {
    names.label(addr, "\t")
}

/// What the destination's answer says, in the classic wording.
fn reached_phrase(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::SynAck => "Connection established to",
        ReplyKind::EchoReply => "Echo reply from",
        _ => "Port closed on",
    }
}

/// How the trace's target is named in its header.
fn probe_phrase(spec: &TraceSpec) -> String {
    match spec.protocol {
        Protocol::Tcp => format!("on port {}", spec.port),
        Protocol::Udp => format!("on UDP port {}", spec.port),
        Protocol::Icmp => "with ICMP echo".to_string(),
    }
}

#[cfg(test)]
mod tests;
