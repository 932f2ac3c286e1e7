//! JSON: one document per run. The schema is documented in README.md
//! ("JSON output"); `schema_version` changes when a field changes meaning
//! or goes away.
//!
//! Renders from data alone; never resolves names, never reads the engine.

use super::{Names, RunInfo};
use crate::diagnosis::Finding;
use crate::engine::Paths;
use crate::multipath::Topology;
use crate::quotes;
use crate::run::Origin;
use crate::trace::{HopResult, Outcome, ProbeResult, TraceEnd, TraceResult};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::ReplyKind;

pub const SCHEMA_VERSION: u32 = 1;

pub fn millis(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1000.0).round() / 1000.0
}

pub fn name(addr: IpAddr, names: &Names) -> Value {
    names.get(&addr).map_or(Value::Null, |n| json!(n))
}

fn probe(ttl: u8, p: &ProbeResult) -> Value {
    let reply = match &p.outcome {
        Outcome::Lost => Value::Null,
        Outcome::Answered { answer: a, rtt } => json!({
            "address": a.from.to_string(),
            "rtt_ms": millis(*rtt),
            "received_ns": a.at.as_nanos(),
            "kind": a.kind.name(),
            "flag": match a.kind {
                ReplyKind::Unreachable(u) => json!(u.flag()),
                _ => Value::Null,
            },
            "icmp_type": a.icmp.map(|c| c.icmp_type),
            "icmp_code": a.icmp.map(|c| c.code),
            "ttl": a.arrived_ttl(),
            "quoted_ttl": a.quoted_ttl,
            "mpls": a.mpls.entries().map(|e| json!({
                "label": e.label, "tc": e.tc, "s": e.bottom, "ttl": e.ttl,
            })).collect::<Vec<_>>(),
        }),
    };
    json!({
        "ttl": ttl,
        "index": p.index,
        "flow": p.flow.get(),
        "sent_ns": p.sent.as_nanos(),
        "reply": reply,
    })
}

fn hop(h: &HopResult, names: &Names) -> Value {
    let rtts: Vec<Duration> = h
        .probes
        .iter()
        .filter_map(|p| p.answer())
        .map(|(_, t)| t)
        .collect();
    let rtt = if rtts.is_empty() {
        Value::Null
    } else {
        let total: Duration = rtts.iter().sum();
        json!({
            "min": millis(*rtts.iter().min().unwrap_or(&Duration::ZERO)),
            "avg": millis(total / rtts.len() as u32),
            "max": millis(*rtts.iter().max().unwrap_or(&Duration::ZERO)),
        })
    };
    let responders: Vec<Value> = h
        .responders()
        .into_iter()
        .map(|(addr, probes)| {
            json!({
                "address": addr.to_string(),
                "name": name(addr, names),
                "as": names.owners(&addr).iter().map(Origin::to_json).collect::<Vec<_>>(),
                "probes": probes.iter().map(|p| p.index).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "ttl": h.ttl,
        "sent": h.probes.len(),
        "lost": h.lost(),
        "responders": responders,
        "rtt_ms": rtt,
        "destination": h.destination().is_some(),
    })
}

fn end(e: &TraceEnd) -> Value {
    match e {
        TraceEnd::Reached { ttl, kind, from } => json!({
            "reason": "reached", "ttl": ttl, "kind": kind.name(), "address": from.to_string(),
        }),
        TraceEnd::Unreachable { ttl, reason, from } => json!({
            "reason": "unreachable", "ttl": ttl, "flag": reason.flag(),
            "description": reason.describe(), "address": from.to_string(),
        }),
        TraceEnd::MaxHops => json!({ "reason": "max-hops" }),
        TraceEnd::Interrupted => json!({ "reason": "interrupted" }),
    }
}

/// `--mtu`: each hop's path MTU, each probe's size, the trace's `mtu`
/// object.
fn with_sizes(v: &mut Value, r: &TraceResult, m: &crate::mtu::PathMtu) {
    for (h, out) in r
        .hops
        .iter()
        .zip(v["hops"].as_array_mut().into_iter().flatten())
    {
        out["mtu"] = json!(m.at_hop(h.ttl));
    }
    let sizes = r.hops.iter().flat_map(|h| h.probes.iter().map(|p| p.size));
    for (size, out) in sizes.zip(v["probes"].as_array_mut().into_iter().flatten()) {
        out["size"] = json!(size);
    }
    v["mtu"] = super::mtu::json(m);
    if let Some(h) = r.mtu.as_ref().and_then(|p| p.search.as_ref()) {
        v["mtu"]["search"] = h
            .probes
            .iter()
            .map(|p| {
                let mut out = probe(h.ttl, p);
                out["size"] = json!(p.size);
                out
            })
            .collect();
    }
}

pub fn trace(run: &RunInfo, r: &TraceResult, names: &Names) -> Value {
    let mut v = json!({
        "protocol": r.spec.protocol.name(),
        "port": r.spec.protocol.has_port().then_some(r.spec.port),
        "end": end(&r.end),
        "hops": r.hops.iter().map(|h| hop(h, names)).collect::<Vec<_>>(),
        "probes": r.hops.iter().flat_map(|h| h.probes.iter().map(move |p| probe(h.ttl, p))).collect::<Vec<_>>(),
    });
    v["as_path"] = json!(super::as_path(r, names));
    if let Some(l) = r.learned {
        // Hops taken from another target's trace (stop sets).
        v["learned"] = json!({"hops": l.hops, "from": l.from.to_string()});
    }
    v["check"] = r.check.as_ref().map_or(Value::Null, |h| hop(h, names));
    v["changes"] = quotes::changes(r)
        .iter()
        .map(|c| {
            json!({
                "field": c.field.name(), "sent": c.sent, "seen": c.seen,
                "after_hop": c.after, "at_hop": c.at, "partial": c.partial,
            })
        })
        .collect();
    if let Some(m) = crate::mtu::analyse(r, run.address.is_ipv6()) {
        with_sizes(&mut v, r, &m);
    }
    if run.multipath() {
        let t = Topology::of(r);
        v["interfaces"] = t
            .hops
            .iter()
            .map(|(ttl, interfaces)| {
                json!({
                    "ttl": ttl,
                    "interfaces": interfaces.iter().map(|i| json!({
                        "address": i.addr.to_string(),
                        "name": name(i.addr, names),
                        "flows": i.flows.iter().map(|f| f.get()).collect::<Vec<_>>(),
                        "from": i.from.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                        "end": i.end,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        v["links"] = t
            .links
            .iter()
            .map(|l| json!({ "from": l.from.to_string(), "to": l.to.to_string(), "ttl": l.ttl }))
            .collect();
        v["diamonds"] = t
            .diamonds()
            .iter()
            .map(|&(from, to, width)| json!({ "first_ttl": from, "last_ttl": to, "width": width }))
            .collect();
    }
    v
}

fn finding(f: &Finding, results: &[TraceResult]) -> Value {
    let names: Vec<String> = results.iter().map(|r| r.spec.name()).collect();
    finding_of(f, &names)
}

/// A finding; `traces` names the run's traces in order.
pub fn finding_of(f: &Finding, traces: &[String]) -> Value {
    json!({
        "kind": f.kind.name(),
        "hop": f.hop,
        "address": f.address.map(|a| a.to_string()),
        "traces": f.traces.iter().filter_map(|&i| traces.get(i)).collect::<Vec<_>>(),
        "text": f.text,
        "evidence": f.evidence,
    })
}

pub fn document(
    run: &RunInfo,
    results: &[TraceResult],
    names: &Names,
    findings: &[Finding],
) -> Value {
    let mut v = head(run);
    v["traces"] = results.iter().map(|r| trace(run, r, names)).collect();
    v["diagnosis"] = findings.iter().map(|f| finding(f, results)).collect();
    v
}

/// What every document opens with: the tool, target, source, settings
/// and flow.
pub fn head(run: &RunInfo) -> Value {
    let s = &run.settings;
    // In reading order (serde_json keeps it): what was asked, of whom,
    // then what was found (traces, diagnosis: added after).
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "tracetcp", "version": env!("CARGO_PKG_VERSION") },
        "settings": {
            "first_ttl": s.first_ttl,
            "max_hops": s.max_hops,
            "probes_per_hop": s.probes_per_hop,
            "timeout_ms": s.timeout.as_millis() as u64,
            "pacing": s.pacing,
            "paths": s.paths.name(),
            "confidence": match s.paths {
                Paths::All { confidence } => Some(confidence.percent()),
                _ => None,
            },
            "mtu": s.mtu,
            "transport": s.transport.name(),
        },
        "target": {
            "host": run.host,
            "address": run.address.to_string(),
            "name": run.host_name(),
        },
        "source": run.source.to_string(),
        "flow": run.flow.get(),
    })
}

/// The document, pretty-printed, with a final newline.
pub fn render(
    run: &RunInfo,
    results: &[TraceResult],
    names: &Names,
    findings: &[Finding],
) -> String {
    let mut s =
        serde_json::to_string_pretty(&document(run, results, names, findings)).unwrap_or_default();
    s.push('\n');
    s
}
