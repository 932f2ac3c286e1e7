//! JSON of rounds: the document's head (as for a single trace), the
//! schedule, and per trace and hop the same figures as the text report,
//! per responder too, then the diagnosis. Schema in README.md.

use super::json::{finding_of, head, millis, name};
use super::{Names, RunInfo};
use crate::diagnosis::Finding;
use crate::watch::{RouteChange, Schedule, Summary, TraceStats};
use serde_json::{json, Value};
use std::time::Duration;

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(millis)
}

/// Figures rounded to the microsecond, as the other times.
fn round(v: Option<f64>) -> Option<f64> {
    v.map(|v| (v * 1000.0).round() / 1000.0)
}

fn change(c: &RouteChange) -> Value {
    let path = |p: &[Option<std::net::IpAddr>]| -> Vec<Value> {
        p.iter()
            .map(|a| a.map_or(Value::Null, |a| json!(a.to_string())))
            .collect()
    };
    json!({
        "round": c.round, "ttl": c.ttl,
        "from": c.from.to_string(), "to": c.to.to_string(),
        "before": path(&c.before), "after": path(&c.after),
    })
}

fn trace(t: &TraceStats, names: &Names) -> Value {
    let hops: Vec<Value> = t
        .shown()
        .iter()
        .map(|h| {
            json!({
                "ttl": h.ttl,
                "sent": h.sent,
                "received": h.received,
                "loss_percent": round(Some(h.loss_percent())),
                "last_ms": ms(h.last),
                "avg_ms": round(h.avg_ms()),
                "best_ms": ms(h.best),
                "worst_ms": ms(h.worst),
                "stdev_ms": round(h.stdev_ms()),
                "jitter_ms": ms(h.jitter),
                "jitter_avg_ms": round(h.jitter_avg_ms()),
                "jitter_max_ms": ms(h.jitter_max),
                "jitter_interarrival_ms": round(h.jitter_interarrival_ms()),
                "responder_changes": t.changes[usize::from(h.ttl - t.first_ttl)],
                "responders": h.responders.iter().map(|(a, n)| json!({
                    "address": a.to_string(),
                    "name": name(*a, names),
                    "answers": n,
                    "share_percent": round(Some(100.0 * *n as f64 / h.received.max(1) as f64)),
                })).collect::<Vec<_>>(),
                "other_answers": h.other_responders,
            })
        })
        .collect();
    json!({
        "trace": t.spec.name(),
        "protocol": t.spec.protocol.name(),
        "port": t.spec.protocol.has_port().then_some(t.spec.port),
        "rounds": t.rounds,
        "reached": t.reached,
        "destination_ttl": t.destination_ttl,
        "hops": hops,
        "first_route_change": t.first_change.as_ref().map(change),
        "latest_route_change": t.last_change.as_ref().map(change),
    })
}

/// The whole document, pretty-printed, with a final newline.
pub fn render(
    run: &RunInfo,
    schedule: &Schedule,
    summary: &Summary,
    names: &Names,
    findings: &[Finding],
) -> String {
    let v = document(run, schedule, summary, names, findings);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The whole document.
pub fn document(
    run: &RunInfo,
    schedule: &Schedule,
    summary: &Summary,
    names: &Names,
    findings: &[Finding],
) -> Value {
    let mut v = head(run);
    v["rounds"] = json!({
        "completed": summary.rounds,
        "cycles": schedule.cycles,
        "interval_ms": schedule.interval.as_millis() as u64,
    });
    v["traces"] = summary.traces.iter().map(|t| trace(t, names)).collect();
    let kinds: Vec<String> = summary.traces.iter().map(|t| t.spec.name()).collect();
    v["diagnosis"] = findings.iter().map(|f| finding_of(f, &kinds)).collect();
    v
}
