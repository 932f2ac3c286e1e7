//! The corpus of other tools' traceroutes (captures/foreign/): which tool
//! ran how, in which lab scenario, and the check that the hops tracetcp
//! rebuilds from the bare tcpdump file are the hops the tool printed.
//! Shared by the corpus test (no privileges), the lab test that records
//! afresh, and the lab helper that writes the corpus.
#![allow(dead_code)]

use serde_json::Value;

/// A tool's command line: SERVER, SERVER6 and PORT stand for the target,
/// TRACETCP for the built binary. `dev` is where tcpdump listens ("any"
/// captures Linux cooked headers); `per_probe` says whether the tool
/// prints one result per probe (traceroute's "addr 0.1 ms * 0.2 ms"), so
/// that which probes each hop answered is compared too.
pub struct Tool {
    pub name: &'static str,
    pub command: &'static str,
    pub dev: &'static str,
    pub per_probe: bool,
}

const fn tool(name: &'static str, command: &'static str, per_probe: bool) -> Tool {
    Tool {
        name,
        command,
        dev: "east",
        per_probe,
    }
}

pub const TOOLS: &[Tool] = &[
    tool(
        "traceroute-T",
        "traceroute -n -w 1 -m 6 -T -p PORT SERVER",
        true,
    ),
    tool(
        "traceroute-U",
        "traceroute -n -w 1 -m 6 -U -p PORT SERVER",
        true,
    ),
    tool("traceroute-I", "traceroute -n -w 1 -m 6 -I SERVER", true),
    tool(
        "traceroute6-T",
        "traceroute -6 -n -w 1 -m 6 -T -p PORT SERVER6",
        true,
    ),
    tool(
        "traceroute6-U",
        "traceroute -6 -n -w 1 -m 6 -U -p PORT SERVER6",
        true,
    ),
    tool(
        "traceroute6-I",
        "traceroute -6 -n -w 1 -m 6 -I SERVER6",
        true,
    ),
    // One probe at a time: captured on "any" (Linux cooked v1); bursts of
    // 16 probes lost packets there.
    Tool {
        name: "tcptraceroute",
        command: "tcptraceroute -n -w 1 -m 6 SERVER PORT",
        dev: "any",
        per_probe: true,
    },
    tool("mtr-T", "mtr -n -r -c 3 -m 6 -T -P PORT SERVER", false),
    tool("mtr-U", "mtr -n -r -c 3 -m 6 -u -P PORT SERVER", false),
    tool("mtr-I", "mtr -n -r -c 3 -m 6 SERVER", false),
    tool("nmap", "nmap -n -Pn -sS -p PORT --traceroute SERVER", false),
    tool(
        "scamper-tcp",
        "scamper -O text -c 'trace -P tcp -d PORT -m 6 -w 1' -i SERVER",
        false,
    ),
    tool(
        "scamper-udp",
        "scamper -O text -c 'trace -P udp -m 6 -w 1' -i SERVER",
        false,
    ),
    tool(
        "scamper-udp-paris",
        "scamper -O text -c 'trace -P udp-paris -d PORT -m 6 -w 1' -i SERVER",
        false,
    ),
    tool(
        "scamper-icmp",
        "scamper -O text -c 'trace -P icmp -m 6 -w 1' -i SERVER",
        false,
    ),
    tool(
        "scamper-icmp-paris",
        "scamper -O text -c 'trace -P icmp-paris -m 6 -w 1' -i SERVER",
        false,
    ),
    tool(
        "trippy-tcp",
        "trip --tcp -P PORT -m pretty -C 3 --tui-address-mode ip -t 6 SERVER",
        false,
    ),
    tool(
        "trippy-udp",
        "trip --udp -m pretty -C 3 --tui-address-mode ip -t 6 SERVER",
        false,
    ),
    tool(
        "trippy-icmp",
        "trip --icmp -m pretty -C 3 --tui-address-mode ip -t 6 SERVER",
        false,
    ),
    tool("tracetcp", "TRACETCP SERVER:PORT -n -m 6 -t 500", false),
];

/// A lab scenario of the corpus and the port the tools aim at.
pub struct Place {
    pub name: &'static str,
    pub port: u16,
    pub about: &'static str,
}

pub const PLACES: &[Place] = &[
    Place {
        name: "clean",
        port: 80,
        about: "three routers, the server listening on TCP port 80",
    },
    Place {
        name: "silent-router",
        port: 80,
        about: "r2 sends no time-exceeded",
    },
    Place {
        name: "blocked-port",
        port: 135,
        about: "r2 drops TCP and UDP port 135 and ICMP echo requests in transit",
    },
];

/// A capture of several tools at once, started `STAGGER` apart in this
/// order (so their sessions start in it), among other traffic: ping and
/// an HTTP request to the server. Recorded in the clean scenario; the
/// output holds each tool's after a line "== TOOL ==".
pub const MIXED: &[&str] = &["traceroute-I", "traceroute6-T", "mtr-U", "nmap"];
pub const MIXED_NAME: &str = "mixed-clean";
pub const STAGGER: &str = "0.5";
pub const BACKGROUND: &str = "ping -q -i 0.2 -c 25 SERVER >/dev/null 2>&1 & \
     curl -s -m 2 http://SERVER/ >/dev/null 2>&1 &";

pub fn tool_named(name: &str) -> &'static Tool {
    TOOLS
        .iter()
        .find(|t| t.name == name)
        .expect("a corpus tool")
}

/// The sh script of the mixed capture toward `server` and `server6`
/// (`bin`: tracetcp), each tool's output kept in `outputs`.N meanwhile.
pub fn mixed_script(bin: &str, server: &str, server6: &str, outputs: &str) -> String {
    let mut script = format!("{}\n", BACKGROUND.replace("SERVER", server));
    for (i, name) in MIXED.iter().enumerate() {
        let command = command_line(tool_named(name), 80, server, server6, bin);
        script += &format!("{command} > \"{outputs}.{i}\" 2>&1 &\nsleep {STAGGER}\n");
    }
    script += "wait\n";
    for (i, name) in MIXED.iter().enumerate() {
        script += &format!("echo '== {name} =='; cat \"{outputs}.{i}\"; rm -f \"{outputs}.{i}\"\n");
    }
    script
}

/// The file name (without extension) of `tool`'s capture at `place`.
pub fn capture_name(tool: &Tool, place: &Place) -> String {
    format!("{}-{}", tool.name, place.name)
}

/// The sh command line of `tool` aimed at `port` (`bin`: tracetcp).
pub fn command_line(tool: &Tool, port: u16, server: &str, server6: &str, bin: &str) -> String {
    tool.command
        .replace("TRACETCP", bin)
        .replace("SERVER6", server6)
        .replace("SERVER", server)
        .replace("PORT", &port.to_string())
}

/// One hop as printed or rebuilt: its first responding address ("*" if
/// none answered) and, per probe in order, its responder or "*".
#[derive(Debug, PartialEq)]
pub struct Hop {
    pub first: String,
    pub probes: Vec<String>,
}

/// The hops a tool printed: lines that start with a hop number
/// (traceroute " 3  198.18.2.2  0.07 ms  *", mtr "  2.|-- ???",
/// trippy's "│ 2   ┆ ???   ┆", scamper, nmap "3   0.02 ms 198.18.2.2" and
/// its silent "2   ..." or "2   ... 4", tracetcp's silent tail "3-6  *").
pub fn printed_hops(out: &str) -> Vec<Hop> {
    let mut hops = Vec::new();
    for line in out.lines() {
        let line = line
            .replace(['│', '┆'], " ")
            .replace(".|--", " ")
            .replace(".`--", " ");
        let words: Vec<&str> = line.split_whitespace().collect();
        // tracetcp's silent tail in one line: "3-6  *  No answer ...".
        let range = words.first().and_then(|w| w.split_once('-'));
        if let Some((Ok(a), Ok(b))) = range.map(|(a, b)| (a.parse::<u8>(), b.parse::<u8>())) {
            hops.extend((a..=b).map(|_| silent()));
            continue;
        }
        let Some(Ok(ttl)) = words.first().map(|w| w.parse::<u8>()) else {
            continue;
        };
        // nmap's run of silent hops: "3   ... 5".
        if let [_, "...", last] = words[..] {
            let last: u8 = last.parse().unwrap_or(ttl);
            for _ in ttl..=last {
                hops.push(silent());
            }
            continue;
        }
        let mut hop = silent();
        let mut responder: Option<&str> = None;
        for (i, w) in words.iter().enumerate().skip(1) {
            if w.parse::<std::net::IpAddr>().is_ok() {
                if responder.is_none() {
                    hop.first = w.to_string();
                }
                responder = Some(w);
            } else if *w == "*" {
                hop.probes.push("*".into());
            } else if *w == "ms" && words[i - 1].parse::<f64>().is_ok() {
                if let Some(r) = responder {
                    hop.probes.push(r.to_string());
                }
            }
        }
        hops.push(hop);
    }
    hops
}

fn silent() -> Hop {
    Hop {
        first: "*".into(),
        probes: Vec::new(),
    }
}

/// The hops of one rebuilt trace (a JSON trace of `--json`, of one trace
/// or of rounds).
pub fn rebuilt_hops(trace: &Value) -> Vec<Hop> {
    let Some(hops) = trace["hops"].as_array() else {
        return Vec::new();
    };
    hops.iter()
        .map(|h| {
            let responders = h["responders"].as_array().cloned().unwrap_or_default();
            let sent = h["sent"].as_u64().unwrap_or(0) as usize;
            let mut probes = vec!["*".to_string(); sent];
            for r in &responders {
                let address = r["address"].as_str().unwrap_or("*");
                for p in r["probes"].as_array().into_iter().flatten() {
                    if let Some(slot) = p.as_u64().and_then(|p| probes.get_mut(p as usize)) {
                        *slot = address.to_string();
                    }
                }
            }
            // Rounds (mtr's, trippy's) count answers per responder.
            let answered = probes.iter().find(|p| *p != "*").map(String::as_str);
            let counted = responders.first().and_then(|r| r["address"].as_str());
            let first = answered.or(counted).unwrap_or("*").to_string();
            Hop { first, probes }
        })
        .collect()
}

/// Checks the replay (`--json -n` of the bare capture) against what the
/// tool printed: one inferred session, the same hops, and for tools that
/// print each probe, the same answers probe by probe.
pub fn check(tool: &Tool, printed: &str, replayed: &Value) -> Result<(), String> {
    let sessions = replayed["sessions"].as_array().map_or(0, Vec::len);
    if sessions != 1 || replayed["inferred"] != Value::Bool(true) {
        return Err(format!("{} inferred sessions, not one", sessions));
    }
    check_session(tool, printed, &replayed["sessions"][0])
}

/// Checks the mixed capture: one session per tool, in the order they
/// started, each showing what its tool printed.
pub fn check_mixed(printed: &str, replayed: &Value) -> Result<(), String> {
    let sessions = replayed["sessions"].as_array().cloned().unwrap_or_default();
    let parts: Vec<&str> = printed.split("== ").skip(1).collect();
    if sessions.len() != MIXED.len() || parts.len() != MIXED.len() {
        return Err(format!(
            "{} sessions and {} outputs for {} tools",
            sessions.len(),
            parts.len(),
            MIXED.len()
        ));
    }
    for ((name, part), session) in MIXED.iter().zip(parts).zip(&sessions) {
        let part = part.strip_prefix(&format!("{name} ==")).unwrap_or(part);
        check_session(tool_named(name), part, session).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Checks one inferred session against what its tool printed.
pub fn check_session(tool: &Tool, printed: &str, session: &Value) -> Result<(), String> {
    let mut rebuilt = rebuilt_hops(&session["traces"][0]);
    let printed = printed_hops(printed);
    // mtr and trippy show a run of silent hops at the end as one.
    if printed.last().is_some_and(|h| h.first == "*") {
        while rebuilt.len() > printed.len() && rebuilt.last().is_some_and(|h| h.first == "*") {
            rebuilt.pop();
        }
    }
    let firsts = |h: &[Hop]| h.iter().map(|h| h.first.clone()).collect::<Vec<_>>();
    if firsts(&rebuilt) != firsts(&printed) {
        return Err(format!(
            "hops rebuilt {:?}, printed {:?}",
            firsts(&rebuilt),
            firsts(&printed)
        ));
    }
    if tool.per_probe {
        for (ttl, (r, p)) in rebuilt.iter().zip(&printed).enumerate() {
            if r.probes != p.probes {
                return Err(format!(
                    "hop {}: probes rebuilt {:?}, printed {:?}",
                    ttl + 1,
                    r.probes,
                    p.probes
                ));
            }
        }
    }
    Ok(())
}
