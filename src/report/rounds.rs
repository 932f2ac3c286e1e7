//! Reports of rounds (`--cycles`, `--watch`): the statistics table per
//! trace the way `mtr --report` prints it (columns aligned), the kinds
//! side by side under `--compare`, CSV, and one plain line per round for
//! output that is not a terminal. Renders from the `Summary` alone.

use super::{Names, RunInfo};
use crate::trace::{TraceEnd, TraceResult};
use crate::watch::{HopStats, Schedule, Summary, TraceStats};
use std::net::IpAddr;
use std::time::Duration;

/// The statistics columns after the host, as mtr names them.
pub const COLUMNS: [&str; 10] = [
    "Snt", "Last", "Avg", "Best", "Wrst", "StDev", "Jttr", "Javg", "Jmax", "Jint",
];

/// Widest host cell before it is cut.
const HOST_MAX: usize = 46;

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(crate::watch::stats::millis)
}

/// A figure in ms: two decimals below 10 ms (LAN times are fractions of
/// a millisecond), one above.
fn cell(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(v) if v < 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// A responder as shown: "198.18.1.1 [r1.lab]".
fn host(addr: IpAddr, names: &Names) -> String {
    names.label(addr, " ").chars().take(HOST_MAX).collect()
}

/// A hop's host cells: each responder with its share of the answers when
/// there are several; "???" when none answered (mtr's word).
pub fn hosts(h: &HopStats, names: &Names) -> Vec<String> {
    let mut out: Vec<String> = match h.responders.as_slice() {
        [] => vec!["???".to_string()],
        [(a, _)] => vec![host(*a, names)],
        many => many
            .iter()
            .map(|(a, n)| {
                let share = 100.0 * *n as f64 / h.received.max(1) as f64;
                format!("{} ({share:.0}%)", host(*a, names))
            })
            .collect(),
    };
    if h.other_responders > 0 {
        out.push(format!("{} more answers from others", h.other_responders));
    }
    out
}

/// The figures after the host, as text cells.
pub fn figures(h: &HopStats) -> Vec<String> {
    vec![
        h.sent.to_string(),
        cell(ms(h.last)),
        cell(h.avg_ms()),
        cell(ms(h.best)),
        cell(ms(h.worst)),
        cell(h.stdev_ms()),
        cell(ms(h.jitter)),
        cell(h.jitter_avg_ms()),
        cell(ms(h.jitter_max)),
        cell(h.jitter_interarrival_ms()),
    ]
}

/// The report's first lines.
pub fn header(run: &RunInfo, schedule: &Schedule, summary: &Summary) -> String {
    let name = run
        .host_name()
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    let kinds: Vec<String> = summary.traces.iter().map(|t| t.spec.name()).collect();
    format!(
        "Watching {}{name} with {} from {}: {}, {} apart.\n{}",
        run.address,
        kinds.join(", "),
        run.source,
        crate::words::count(summary.rounds, "round"),
        interval(schedule.interval),
        run.flow_line()
    )
}

/// "1 s", "0.5 s", "0.826 s": to the millisecond, no trailing zeros.
fn interval(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
}

/// One trace's table.
pub fn table(t: &TraceStats, names: &Names) -> String {
    let hops = t.shown();
    let width = hops
        .iter()
        .flat_map(|h| hosts(h, names))
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!("{:>4}  {:<width$}  {:>6}", "Hop", "Host", "Loss%");
    for c in COLUMNS {
        out += &format!(" {c:>6}");
    }
    out = out.trim_end().to_string() + "\n";
    for h in hops {
        let hs = hosts(h, names);
        let mut line = format!(
            "{:>4}  {:<width$}  {:>5.1}%",
            h.ttl,
            hs[0],
            h.loss_percent()
        );
        for f in figures(h) {
            line += &format!(" {f:>6}");
        }
        out += line.trim_end();
        out.push('\n');
        for more in &hs[1..] {
            out += &format!("{:>4}  {more}\n", "");
        }
    }
    out += &match t.destination_ttl {
        Some(ttl) => format!(
            "Destination reached in {} of {} (hop {ttl}{}).\n",
            t.reached,
            crate::words::count(t.rounds, "round"),
            crate::diagnosis::rounds::beyond(t, ttl)
        ),
        None => format!(
            "Destination not reached in {}.\n",
            crate::words::count(t.rounds, "round")
        ),
    };
    out
}

/// One hop of the kinds side by side: its TTL, who answered it (the
/// first kind's main responder) and each kind's loss in percent and
/// average RTT; `None` where a kind sent nothing at that hop.
pub struct Across {
    pub ttl: Option<u8>,
    pub host: String,
    pub kinds: Vec<Option<(f64, Option<f64>)>>,
}

/// The hops of every kind, side by side.
pub fn across(summary: &Summary, names: &Names) -> Vec<Across> {
    let depth = summary
        .traces
        .iter()
        .map(|t| t.shown().len())
        .max()
        .unwrap_or(0);
    (0..depth)
        .map(|n| {
            let at = |t: &TraceStats| t.shown().get(n).cloned();
            Across {
                ttl: summary.traces.iter().find_map(|t| at(t).map(|h| h.ttl)),
                host: summary
                    .traces
                    .iter()
                    .find_map(|t| at(t).and_then(|h| h.main_responder()))
                    .map_or("???".to_string(), |a| host(a, names)),
                kinds: summary
                    .traces
                    .iter()
                    .map(|t| {
                        at(t)
                            .filter(|h| h.sent > 0)
                            .map(|h| (h.loss_percent(), h.avg_ms()))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The kinds side by side: per hop, each kind's loss and average.
pub fn side_by_side(summary: &Summary, names: &Names) -> String {
    let rows = across(summary, names);
    let width = rows
        .iter()
        .map(|r| r.host.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!("{:>4}  {:<width$}", "Hop", "Host");
    let mut second = format!("{:>4}  {:<width$}", "", "");
    for t in &summary.traces {
        out += &format!("  {:>14}", t.spec.name());
        second += &format!("  {:>6} {:>7}", "Loss%", "Avg");
    }
    out = format!("{}\n{}\n", out.trim_end(), second.trim_end());
    for r in rows {
        let cells: Vec<String> = r
            .kinds
            .iter()
            .map(|k| match k {
                Some((loss, avg)) => format!("{loss:>5.1}% {:>7}", cell(*avg)),
                None => format!("{:>14}", "-"),
            })
            .collect();
        let ttl = r.ttl.map_or(String::new(), |t| t.to_string());
        let line = format!("{ttl:>4}  {:<width$}  {}", r.host, cells.join("  "));
        out += line.trim_end();
        out.push('\n');
    }
    out
}

/// The whole text report: header, the side-by-side table when several
/// kinds ran, each kind's table.
pub fn text(run: &RunInfo, schedule: &Schedule, summary: &Summary, names: &Names) -> String {
    let mut out = header(run, schedule, summary);
    if summary.traces.len() > 1 {
        out += "\n";
        out += &side_by_side(summary, names);
    }
    for t in &summary.traces {
        out += &format!("\n{}:\n", t.spec.name());
        out += &table(t, names);
    }
    out
}

/// CSV: a header, then one row per hop of each trace.
pub fn csv(summary: &Summary, names: &Names) -> String {
    let mut out = String::from(
        "trace,ttl,host,name,loss_percent,sent,received,last_ms,avg_ms,best_ms,worst_ms,\
         stdev_ms,jitter_ms,jitter_avg_ms,jitter_max_ms,jitter_interarrival_ms,responders\n",
    );
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    for t in &summary.traces {
        for h in t.shown() {
            let main = h.main_responder();
            let responders: Vec<String> = h
                .responders
                .iter()
                .map(|(a, n)| format!("{a}={n}"))
                .collect();
            let row = [
                t.spec.name(),
                h.ttl.to_string(),
                main.map_or(String::new(), |a| a.to_string()),
                main.and_then(|a| names.get(&a))
                    .map_or(String::new(), |n| csv_field(n)),
                format!("{:.1}", h.loss_percent()),
                h.sent.to_string(),
                h.received.to_string(),
                num(ms(h.last)),
                num(h.avg_ms()),
                num(ms(h.best)),
                num(ms(h.worst)),
                num(h.stdev_ms()),
                num(ms(h.jitter)),
                num(h.jitter_avg_ms()),
                num(ms(h.jitter_max)),
                num(h.jitter_interarrival_ms()),
                responders.join(";"),
            ];
            out += &row.join(",");
            out.push('\n');
        }
    }
    out
}

/// A name in a CSV cell: quoted when it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One plain line for a finished round of one trace, for output that is
/// not a terminal: "round 3 tcp:80: 1 198.18.1.1 0.4 | 2 * | 3 ... [reached]".
pub fn round_line(round: u64, r: &TraceResult) -> String {
    let hops: Vec<String> = r
        .hops
        .iter()
        .map(|h| {
            let cells: Vec<String> = h
                .probes
                .iter()
                .map(|p| match p.answer() {
                    Some((a, rtt)) => format!("{} {:.1}", a.from, crate::watch::stats::millis(rtt)),
                    None => "*".to_string(),
                })
                .collect();
            format!("{} {}", h.ttl, cells.join(" "))
        })
        .collect();
    let end = match r.end {
        TraceEnd::Reached { .. } => " [reached]",
        TraceEnd::Unreachable { .. } => " [unreachable]",
        _ => "",
    };
    format!(
        "round {round} {}: {}{end}\n",
        r.spec.name(),
        hops.join(" | ")
    )
}

#[cfg(test)]
mod tests;
