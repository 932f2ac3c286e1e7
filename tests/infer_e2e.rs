//! Traceroutes of other tools rebuilt from plain tcpdump captures taken in
//! the lab while they ran, afresh with the tools installed here: every
//! tool of the corpus (tests/support/corpus.rs: Linux traceroute -T, -U
//! and -I over IPv4 and IPv6, tcptraceroute, mtr, nmap, scamper, trippy,
//! tracetcp without -w) on a path whose r2 is silent, captured on the
//! client's interface (Ethernet) or on "any" (Linux cooked): the hops
//! `tracetcp --replay` infers are the hops the tool printed. Need root and
//! the tools: ignored unless asked for with `--include-ignored`
//! (tests/test.sh asks), failing loudly without them.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::BIN;
use lab::foreign::{self, corpus};

#[test]
#[ignore = "needs root (network namespaces) and the tools of captures/foreign: cargo test -- --include-ignored"]
fn other_tools_traces_are_rebuilt_from_tcpdump_captures() {
    lab::require();
    for program in [
        "tcpdump",
        "traceroute",
        "tcptraceroute",
        "mtr",
        "nmap",
        "scamper",
    ] {
        assert!(
            lab::installed(program),
            "{program} is not installed (tests/setup.sh installs it)"
        );
    }
    let trip =
        std::path::Path::new(&std::env::var("HOME").unwrap_or_default()).join(".cargo/bin/trip");
    assert!(
        lab::installed("trip") || trip.exists(),
        "trip is not installed (cargo install trippy; tests/setup.sh does)"
    );
    let place = &corpus::PLACES[1];
    assert_eq!(place.name, "silent-router");
    let lab = foreign::build(place.name);
    let dir = std::env::temp_dir().join(format!("tracetcp-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let failures: Vec<String> = corpus::TOOLS
        .iter()
        .filter_map(|tool| {
            foreign::record_checked(&lab, tool, place, &dir, std::path::Path::new(BIN)).err()
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
