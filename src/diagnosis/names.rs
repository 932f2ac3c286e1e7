//! Trace names in findings, with runs of consecutive ports as ranges, so
//! that a firewall's eighty dropped ports read as two ranges, not eighty
//! names.

/// `names` joined by ", ", consecutive ports of one protocol as a range:
/// "tcp:40-79, tcp:81-120, icmp".
pub(super) fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<String> = Vec::new();
    // The run of ports being gathered: protocol, first and last port.
    let mut run: Option<(&str, u32, u32)> = None;
    let flush = |run: Option<(&str, u32, u32)>, out: &mut Vec<String>| match run {
        Some((p, a, b)) if a == b => out.push(format!("{p}:{a}")),
        Some((p, a, b)) => out.push(format!("{p}:{a}-{b}")),
        None => {}
    };
    for name in names {
        let port = name
            .split_once(':')
            .and_then(|(p, n)| Some((p, n.parse::<u32>().ok()?)));
        match (port, run) {
            (Some((p, n)), Some((rp, a, b))) if rp == p && n == b + 1 => run = Some((rp, a, n)),
            (Some((p, n)), _) => {
                flush(run, &mut out);
                run = Some((p, n, n));
            }
            (None, _) => {
                flush(run.take(), &mut out);
                out.push(name.to_string());
            }
        }
    }
    flush(run, &mut out);
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_ports_read_as_ranges() {
        let ports: Vec<String> = (40..=120)
            .filter(|&p| p != 80)
            .map(|p| format!("tcp:{p}"))
            .collect();
        assert_eq!(
            joined(ports.iter().map(String::as_str)),
            "tcp:40-79, tcp:81-120"
        );
        assert_eq!(
            joined(["tcp:135", "tcp:137", "tcp:138", "udp:139", "icmp", "tcp:140"]),
            "tcp:135, tcp:137-138, udp:139, icmp, tcp:140"
        );
        assert_eq!(joined([]), "");
    }
}
