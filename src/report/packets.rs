//! The debug view of a replay: every packet, and what the tracer made of it.
//!
//! Renders from data alone.

use crate::engine::Verdict;
use crate::quotes;
use crate::time::Timestamp;
use crate::trace::TraceSpec;

fn trace_name(specs: &[TraceSpec], trace: usize) -> String {
    specs
        .get(trace)
        .map_or_else(|| format!("trace {trace}"), TraceSpec::name)
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
            sent,
        } => {
            let icmp = reply
                .icmp
                .map(|c| format!(" (icmp {}/{})", c.icmp_type, c.code))
                .unwrap_or_default();
            let flag = match reply.kind {
                tracetcp_strategies::ReplyKind::Unreachable(u) => format!(" {}", u.flag()),
                _ => String::new(),
            };
            let quote = match (sent, &reply.quote) {
                (Some(sent), Some(quote)) => format!("; quote: {}", quotes::diff(sent, quote)),
                _ => String::new(),
            };
            let mpls = super::mpls_marks(&reply.mpls)
                + &reply
                    .interface
                    .map(|i| super::interface_mark(&i))
                    .unwrap_or_default()
                + &reply
                    .ignored
                    .map(|p| format!(" (ignored: {})", p.describe()))
                    .unwrap_or_default();
            format!(
                "answer  {} ttl {ttl} #{index}: {}{flag} from {}{icmp}{mpls}{quote}",
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
