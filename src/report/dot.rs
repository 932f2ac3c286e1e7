//! The path as a Graphviz graph (`--dot`): every interface that answered
//! a node (its name and AS with it), the source and each target, and the
//! links the probes prove (one flow seen at an interface with TTL t and
//! at the next with TTL t + 1: `multipath::Topology`), so that with
//! `--multipath` the diamonds show as dublin-traceroute draws them. Hops
//! with no answer between two that answered are a dashed edge saying how
//! many. With many targets, one graph of them all, each interface drawn
//! once however many paths cross it.
//!
//! Renders from data alone.

use super::{Names, RunInfo};
use crate::multipath::Topology;
use crate::trace::TraceResult;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::IpAddr;

/// A DOT string: quotes and backslashes escaped, line breaks as \n.
fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// The graph of every run's traces.
pub fn render(runs: &[(RunInfo, Vec<TraceResult>)], names: &Names) -> String {
    let mut nodes: BTreeMap<String, String> = BTreeMap::new();
    let mut edges: BTreeSet<(String, String, Option<String>)> = BTreeSet::new();
    // A target is drawn as one, even where another path passed it first.
    let mut node = |id: String, attrs: String| {
        let target = attrs.ends_with("doublecircle");
        match nodes.entry(id) {
            std::collections::btree_map::Entry::Occupied(mut e) if target => {
                e.insert(attrs);
            }
            e => {
                e.or_insert(attrs);
            }
        }
    };
    for (run, results) in runs {
        let source = format!("source {}", run.source);
        node(
            source.clone(),
            format!(
                "label={}, shape=ellipse",
                quoted(&format!("{}\n(source)", run.source))
            ),
        );
        let target = run.address.to_string();
        let label = names.label(run.address, "\n");
        node(
            target.clone(),
            format!("label={}, shape=doublecircle", quoted(&label)),
        );
        for r in results {
            let t = Topology::of(r);
            let answered: Vec<(u8, Vec<IpAddr>)> = t
                .hops
                .iter()
                .map(|(ttl, ifs)| (*ttl, ifs.iter().map(|i| i.addr).collect::<Vec<_>>()))
                .filter(|(_, a)| !a.is_empty())
                .collect();
            for (_, addrs) in &answered {
                for a in addrs {
                    let shape = if *a == run.address {
                        "doublecircle"
                    } else {
                        "box"
                    };
                    node(
                        a.to_string(),
                        format!("label={}, shape={shape}", quoted(&names.label(*a, "\n"))),
                    );
                }
            }
            for l in &t.links {
                edges.insert((l.from.to_string(), l.to.to_string(), None));
            }
            // From the source to the first hop that answered, and across
            // silent stretches: drawn dashed, with how many hops.
            let mut before: (u8, Vec<String>) = (
                run.settings.first_ttl.saturating_sub(1),
                vec![source.clone()],
            );
            for (ttl, addrs) in &answered {
                let gap = ttl - before.0 - 1;
                let linked = t.links.iter().any(|l| l.ttl + 1 == *ttl);
                if gap > 0 || (!linked && before.1 == [source.clone()]) {
                    let label = (gap > 0).then(|| crate::words::count(gap.into(), "silent hop"));
                    for from in &before.1 {
                        for to in addrs {
                            edges.insert((from.clone(), to.to_string(), label.clone()));
                        }
                    }
                }
                before = (*ttl, addrs.iter().map(|a| a.to_string()).collect());
            }
        }
    }
    let mut out =
        String::from("digraph tracetcp {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
    for (id, attrs) in &nodes {
        let _ = writeln!(out, "  {} [{attrs}];", quoted(id));
    }
    for (from, to, label) in &edges {
        match label {
            None => {
                let _ = writeln!(out, "  {} -> {};", quoted(from), quoted(to));
            }
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  {} -> {} [style=dashed, label={}];",
                    quoted(from),
                    quoted(to),
                    quoted(l)
                );
            }
        }
    }
    out.push_str("}\n");
    out
}
