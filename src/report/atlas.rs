//! RIPE Atlas traceroute results (`--atlas-json`): one result a line per
//! trace, in the shape that Atlas publishes and its consumers read
//! (ripe.atlas.sagan, pantrace, tracevis): `af`, `dst_addr`, `dst_name`,
//! `src_addr`, `from`, `proto`, `paris_id`, `size`, `timestamp`,
//! `endtime`, `type: "traceroute"`, and `result`, a hop a member, each
//! probe `{from, rtt, ttl}` (with `err` for an unreachable and `icmpext`
//! for an MPLS stack) or `{"x": "*"}`. Fields Atlas has for its own
//! probes (`prb_id`, `msm_id`, `msm_name`, `fw`, `lts`) are there with neutral values;
//! `fw` says 5080, the firmware whose result format this follows.
//!
//! Renders from data alone.

use super::RunInfo;
use crate::trace::{HopResult, Outcome, TraceResult};
use serde_json::{json, Value};
use tracetcp_strategies::{Protocol, ReplyKind};

/// The firmware version whose result format this is.
const FIRMWARE: u32 = 5080;

fn probe(p: &crate::trace::ProbeResult) -> Value {
    let Outcome::Answered { answer: a, rtt } = &p.outcome else {
        return json!({ "x": "*" });
    };
    let mut v = json!({
        "from": a.from.to_string(),
        "rtt": super::json::millis(*rtt),
    });
    if let Some(ttl) = a.arrived_ttl() {
        v["ttl"] = json!(ttl);
    }
    if let ReplyKind::Unreachable(u) = a.kind {
        v["err"] = json!(u.flag().trim_start_matches('!'));
    }
    let mpls: Vec<Value> = a
        .mpls
        .entries()
        .map(|e| json!({ "label": e.label, "exp": e.tc, "s": u8::from(e.bottom), "ttl": e.ttl }))
        .collect();
    if !mpls.is_empty() {
        v["icmpext"] = json!({
            "version": 2, "rfc4884": 1,
            "obj": [{ "class": 1, "type": 1, "mpls": mpls }],
        });
    }
    v
}

fn hop(h: &HopResult) -> Value {
    json!({
        "hop": h.ttl,
        "result": h.probes.iter().map(probe).collect::<Vec<_>>(),
    })
}

/// One Atlas result for trace `r` of `run`.
pub fn result(run: &RunInfo, r: &TraceResult) -> Value {
    let probes = r.hops.iter().flat_map(|h| &h.probes);
    let start = probes.clone().map(|p| p.sent.as_nanos()).min().unwrap_or(0);
    let end = probes
        .filter_map(|p| {
            p.answer()
                .map(|(a, _)| a.at.as_nanos())
                .or(Some(p.sent.as_nanos()))
        })
        .max()
        .unwrap_or(start);
    let size = r
        .hops
        .iter()
        .flat_map(|h| &h.probes)
        .find_map(|p| p.size)
        .unwrap_or(0);
    json!({
        "af": if run.address.is_ipv6() { 6 } else { 4 },
        "dst_addr": run.address.to_string(),
        "dst_name": run.host,
        "src_addr": run.source.to_string(),
        "from": run.source.to_string(),
        "proto": match r.spec.protocol {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Icmp => "ICMP",
        },
        "paris_id": run.flow.get(),
        "size": size,
        "timestamp": start / 1_000_000_000,
        "endtime": end / 1_000_000_000,
        "type": "traceroute",
        "msm_id": 0,
        "msm_name": "Traceroute",
        "prb_id": 0,
        "fw": FIRMWARE,
        "lts": -1,
        "result": r.hops.iter().map(hop).collect::<Vec<_>>(),
    })
}

/// Every trace of a run, a result a line.
pub fn render(run: &RunInfo, results: &[TraceResult]) -> String {
    results
        .iter()
        .map(|r| format!("{}\n", result(run, r)))
        .collect()
}
