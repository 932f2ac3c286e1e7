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
    let (what, detail) = describe(verdict, specs);
    format!("{ts}  {:<7} {detail}\n", what.word())
}

/// The verdict as a packet's comment in a recording, for Wireshark:
/// "probe tcp:80 ttl 3 #2", "answer to probe tcp:80 ttl 3 #2:
/// time-exceeded from 198.18.1.2 ...", "ignored: ...".
pub fn comment(verdict: &Verdict, specs: &[TraceSpec]) -> String {
    let (what, detail) = describe(verdict, specs);
    match what {
        What::Probe => format!("probe {detail}"),
        What::Answer => format!("answer to probe {detail}"),
        What::Ignored => format!("ignored: {detail}"),
    }
}

/// What the tracer took a packet for.
enum What {
    Probe,
    Answer,
    Ignored,
}

impl What {
    fn word(&self) -> &'static str {
        match self {
            What::Probe => "probe",
            What::Answer => "answer",
            What::Ignored => "ignored",
        }
    }
}

fn describe(verdict: &Verdict, specs: &[TraceSpec]) -> (What, String) {
    match verdict {
        Verdict::Probe {
            trace,
            ttl,
            index,
            again,
        } => {
            let again = match again {
                true => {
                    ", sent again: the first went unanswered while its router answered others, as under a rate limit"
                }
                false => "",
            };
            let name = trace_name(specs, *trace);
            (What::Probe, format!("{name} ttl {ttl} #{index}{again}"))
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
            let detail = format!(
                "{} ttl {ttl} #{index}: {}{flag} from {}{icmp}{mpls}{quote}",
                trace_name(specs, *trace),
                reply.kind.name(),
                reply.from
            );
            (What::Answer, detail)
        }
        Verdict::Ignored(why) => (What::Ignored, why.to_string()),
        Verdict::NotIp => (What::Ignored, "not an IP packet".to_string()),
    }
}
