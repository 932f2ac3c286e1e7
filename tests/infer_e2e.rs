//! Traceroutes of other tools rebuilt from plain tcpdump captures taken in
//! the lab while they ran: the hops `tracetcp --replay` infers are the hops
//! the tool printed. Linux traceroute -T, -U and -I (IPv4 and IPv6),
//! tcptraceroute, mtr -T and ICMP (three rounds) and tracetcp itself
//! without -w, on a path whose r2 is
//! silent, captured on the client's interface (Ethernet) and on "any"
//! (Linux cooked). Need root and the tools: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without them.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::rules;
use lab::tcpdump::Tcpdump;
use serde_json::Value;

/// The first address (or "*") of each hop line a traceroute printed:
/// " 2  198.18.1.2  0.05 ms ..." or " 3  * * *", mtr's "  2.|-- ???".
fn printed_hops(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            // mtr's report: "  2.|-- ???  100.0 ..." ("???": silent).
            let l = l
                .replace(".|--", " ")
                .replace(".`--", " ")
                .replace("???", "*");
            let mut words = l.split_whitespace();
            words.next()?.parse::<u8>().ok()?;
            let first = words.find(|w| *w == "*" || w.parse::<std::net::IpAddr>().is_ok())?;
            Some(first.to_string())
        })
        .collect()
}

#[test]
#[ignore = "needs root (network namespaces) and traceroute, tcptraceroute: cargo test -- --include-ignored"]
fn other_tools_traces_are_rebuilt_from_tcpdump_captures() {
    for tool in ["traceroute", "tcptraceroute", "mtr", "tcpdump"] {
        assert!(
            lab::installed(tool),
            "{tool} is not installed (apt-get install {tool})"
        );
    }
    let lab = lab3();
    lab.nft(lab.router(2), rules::SILENT_ROUTER);
    let v4 = lab.server_addr(false).to_string();
    let v6 = lab.server_addr(true).to_string();
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    // One run captured on "any" (Linux cooked: tcptraceroute, one probe
    // at a time; bursts of 16 probes lost packets on "any" here), the rest
    // on the client's Ethernet interface.
    let runs: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "traceroute -T",
            words(&format!("traceroute -n -T -m 6 {v4}")),
            "east",
        ),
        (
            "traceroute -U",
            words(&format!("traceroute -n -U -m 6 {v4}")),
            "east",
        ),
        (
            "traceroute -I",
            words(&format!("traceroute -n -I -m 6 {v4}")),
            "east",
        ),
        (
            "traceroute -6 -T",
            words(&format!("traceroute -6 -n -T -m 6 {v6}")),
            "east",
        ),
        (
            "traceroute -6 -I",
            words(&format!("traceroute -6 -n -I -m 6 {v6}")),
            "east",
        ),
        (
            "tcptraceroute",
            words(&format!("tcptraceroute -n -m 6 {v4} 80")),
            "any",
        ),
        (
            "mtr -T",
            words(&format!("mtr -n -r -c 3 -m 6 -T -P 80 {v4}")),
            "east",
        ),
        (
            "mtr (icmp)",
            words(&format!("mtr -n -r -c 3 -m 6 {v4}")),
            "east",
        ),
        (
            "tracetcp without -w",
            words(&format!("{BIN} {v4}:80 -n -m 6 -t 500")),
            "east",
        ),
    ];
    for (name, argv, dev) in runs {
        let dump = Tcpdump::start(lab.client(), dev, "");
        let printed = finish(lab.command(&argv[0]).args(&argv[1..]).output().unwrap());
        let file = dump.stop();
        assert_eq!(printed.code, 0, "{name}: {}", printed.stderr);
        let replayed = tracetcp(&lab, &["--replay", file.to_str().unwrap(), "--json", "-n"]);
        let shown = tracetcp(
            &lab,
            &["--replay", file.to_str().unwrap(), "-n", "--show-packets"],
        );
        let _ = std::fs::remove_file(&file);
        assert_eq!(replayed.code, 0, "{name}: {}", replayed.stderr);
        let doc: Value = serde_json::from_str(&replayed.stdout).unwrap();
        let printed_hops = printed_hops(&printed.stdout);
        assert_eq!(
            hops(&doc["sessions"][0], 0),
            printed_hops,
            "{name}: printed\n{}\nreplayed\n{}",
            printed.stdout,
            shown.stdout
        );
        assert_eq!(doc["sessions"].as_array().unwrap().len(), 1, "{name}");
        assert!(
            printed_hops.contains(&"*".to_string()),
            "{name}: the silent r2"
        );
    }
}
