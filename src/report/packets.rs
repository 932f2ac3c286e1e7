//! The debug view of a replay: every packet, and what the tracer made of it.

use crate::engine::{TraceSpec, Verdict};
use crate::time::Timestamp;

fn trace_name(specs: &[TraceSpec], trace: usize) -> String {
    match specs.get(trace) {
        Some(s) if s.protocol.has_port() => format!("{}:{}", s.protocol, s.port),
        Some(s) => s.protocol.to_string(),
        None => format!("trace {trace}"),
    }
}

/// One line: timestamp, then the verdict in words.
pub fn line(ts: Timestamp, verdict: &Verdict, specs: &[TraceSpec]) -> String {
    let what = match verdict {
        Verdict::Probe { trace, ttl, index } => {
            format!("probe   {} ttl {ttl} #{index}", trace_name(specs, *trace))
        }
        Verdict::Answer {
            trace,
            ttl,
            index,
            reply,
        } => {
            let icmp = reply
                .icmp
                .map(|c| format!(" (icmp {}/{})", c.icmp_type, c.code))
                .unwrap_or_default();
            let flag = match reply.kind {
                tracetcp_strategies::ReplyKind::Unreachable(u) => format!(" {}", u.flag()),
                _ => String::new(),
            };
            format!(
                "answer  {} ttl {ttl} #{index}: {}{flag} from {}{icmp}",
                trace_name(specs, *trace),
                reply.kind.name(),
                reply.from
            )
        }
        Verdict::Ignored(why) => format!("ignored {why}"),
        Verdict::NotIp => "ignored not an IP packet".to_string(),
    };
    format!("{ts}  {what}\n")
}
