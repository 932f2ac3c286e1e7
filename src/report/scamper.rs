//! scamper's JSON trace records (`--scamper-json`), one a line per
//! trace, as scamper and its sc_warts2json print them: `type: "trace"`,
//! `method`, `src`, `dst`, ports, `stop_reason`, `start`, the trace's
//! parameters, and `hops`, a member per answer (`addr`, `probe_ttl`,
//! `probe_id`, `rtt`, `reply_ttl`, `icmp_type` / `icmp_code` or
//! `tcp_flags`, `icmp_q_ttl`, MPLS in `icmpext`).
//!
//! Renders from data alone.

use super::RunInfo;
use crate::engine::Paths;
use crate::trace::{Outcome, TraceEnd, TraceResult};
use serde_json::{json, Value};
use tracetcp_strategies::{Protocol, ReplyKind};

fn method(run: &RunInfo, protocol: Protocol) -> &'static str {
    let paris = run.settings.paths == Paths::OneFlow;
    match (protocol, paris) {
        (Protocol::Tcp, _) => "tcp",
        (Protocol::Udp, true) => "udp-paris",
        (Protocol::Udp, false) => "udp",
        (Protocol::Icmp, true) => "icmp-echo-paris",
        (Protocol::Icmp, false) => "icmp-echo",
    }
}

fn stop_reason(end: &TraceEnd) -> &'static str {
    match end {
        TraceEnd::Reached { .. } => "COMPLETED",
        TraceEnd::Unreachable { .. } => "UNREACH",
        TraceEnd::MaxHops => "HOPLIMIT",
        TraceEnd::Interrupted => "HALTED",
    }
}

/// One scamper trace record for trace `r` of `run`.
pub fn record(run: &RunInfo, r: &TraceResult) -> Value {
    let start_ns = r
        .hops
        .iter()
        .flat_map(|h| &h.probes)
        .map(|p| p.sent.as_nanos())
        .min()
        .unwrap_or(0);
    let mut hops = Vec::new();
    for h in &r.hops {
        for p in &h.probes {
            let Outcome::Answered { answer: a, rtt } = &p.outcome else {
                continue;
            };
            let mut v = json!({
                "addr": a.from.to_string(),
                "probe_ttl": h.ttl,
                "probe_id": p.index,
                "probe_size": p.size.unwrap_or(0),
                "rtt": super::json::millis(*rtt),
                "reply_ttl": a.arrived_ttl().unwrap_or(0),
            });
            match (a.kind, a.icmp) {
                (ReplyKind::SynAck, _) => v["tcp_flags"] = json!(0x12),
                (ReplyKind::Rst, _) => v["tcp_flags"] = json!(0x14),
                (_, Some(c)) => {
                    v["icmp_type"] = json!(c.icmp_type);
                    v["icmp_code"] = json!(c.code);
                    v["icmp_q_ttl"] = json!(a.quoted_ttl.unwrap_or(0));
                }
                _ => {}
            }
            let labels: Vec<Value> = a
                .mpls
                .entries()
                .map(|e| json!({ "mpls_ttl": e.ttl, "mpls_s": u8::from(e.bottom), "mpls_exp": e.tc, "mpls_label": e.label }))
                .collect();
            if !labels.is_empty() {
                v["icmpext"] = json!([{ "ie_cn": 1, "ie_ct": 1, "ie_dl": 4 * labels.len(), "mpls_labels": labels }]);
            }
            hops.push(v);
        }
    }
    let mut v = json!({
        "type": "trace",
        "version": "0.1",
        "userid": 0,
        "method": method(run, r.spec.protocol),
        "src": run.source.to_string(),
        "dst": run.address.to_string(),
        "stop_reason": stop_reason(&r.end),
        "stop_data": 0,
        "start": {
            "sec": start_ns / 1_000_000_000,
            "usec": start_ns % 1_000_000_000 / 1000,
        },
        "hop_count": r.hops.len(),
        "attempts": run.settings.probes_per_hop,
        "hoplimit": u16::from(run.settings.first_ttl) + u16::from(run.settings.max_hops) - 1,
        "firsthop": run.settings.first_ttl,
        "wait": run.settings.timeout.as_secs(),
        "probe_count": r.hops.iter().map(|h| h.probes.len()).sum::<usize>(),
        "hops": hops,
    });
    if r.spec.protocol.has_port() {
        v["sport"] = json!(run.flow.get());
        v["dport"] = json!(r.spec.port);
    }
    v
}

/// Every trace of a run, a record a line.
pub fn render(run: &RunInfo, results: &[TraceResult]) -> String {
    results
        .iter()
        .map(|r| format!("{}\n", record(run, r)))
        .collect()
}
