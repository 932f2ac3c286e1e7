//! The benchmark: tracetcp against the tools people would otherwise use,
//! side by side in one run, in the namespace lab with link delay. Run by
//! hand, as root, after tests/bench.sh installed the peers:
//!
//!     cargo run --release --example bench [clean silent range scan replay]
//!
//! It prints, per scenario, each tool's median wall time, its ratio to
//! tracetcp, its peak RSS and the answers it lost.

#[path = "delay.rs"]
mod delay;
#[path = "mod.rs"]
mod lab;
#[path = "measure.rs"]
mod measure;

use delay::DelayLine;
use lab::{rules, Lab};
use measure::{measure, print_header, print_rows, s, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Delay per router, each way.
const DELAY: Duration = Duration::from_millis(5);

fn tracetcp() -> PathBuf {
    lab::tracetcp_beside_me()
}

/// The clean path and the silent tail: every tool that traces.
fn trace_tools(
    scenario: &'static str,
    lab: &Lab,
    server: &str,
    timeout_s: u32,
    runs: usize,
    stop: &str,
) -> Vec<Row> {
    let t = timeout_s.to_string();
    let tms = (timeout_s * 1000).to_string();
    let bin = tracetcp();
    let mut rows = vec![measure(
        scenario,
        lab,
        "tracetcp",
        bin.to_str().unwrap(),
        s(&[server, "-n", "-t", &tms, "--no-diagnosis"]),
        runs,
        Some(stop),
    )];
    let peers: Vec<(&str, &str, Vec<String>)> = vec![
        (
            "traceroute -T",
            "traceroute",
            s(&["-T", "-n", "-p", "80", "-w", &t, server]),
        ),
        (
            "tcptraceroute",
            "tcptraceroute",
            s(&["-n", "-w", &t, server, "80"]),
        ),
        (
            "mtr --report",
            "mtr",
            s(&[
                "--report", "-n", "-c", "1", "--tcp", "-P", "80", "-G", &t, server,
            ]),
        ),
        (
            "nmap --traceroute",
            "nmap",
            s(&["-sS", "-Pn", "-n", "-p", "80", "--traceroute", server]),
        ),
        (
            "trippy",
            "trip",
            s(&[
                server,
                "--protocol",
                "tcp",
                "--target-port",
                "80",
                "--mode",
                "pretty",
                "--report-cycles",
                "1",
                "--max-round-duration",
                &format!("{timeout_s}s"),
            ]),
        ),
    ];
    for (name, program, args) in peers {
        if lab::installed(program) {
            let stop_at = if program == "nmap" { None } else { Some(stop) };
            rows.push(measure(scenario, lab, name, program, args, runs, stop_at));
        } else {
            eprintln!("{name}: not installed, skipped (tests/bench.sh installs it)");
        }
    }
    rows
}

/// A bench lab: 7 routers, and lab names in the client's hosts file, so
/// that a tool's reverse DNS (trippy always does it) answers at once.
fn lab7() -> Lab {
    let lab = Lab::new(7);
    lab.name_hosts();
    lab
}

fn clean() -> Vec<Row> {
    let mut lab = lab7();
    let server = lab.server_addr(false).to_string();
    let srv = lab.server().to_string();
    lab.listen(&srv, &[80]);
    let _delay = DelayLine::start(&lab, DELAY);
    trace_tools("clean 8 hops", &lab, &server, 2, 5, &server)
}

fn silent_tail() -> Vec<Row> {
    let mut lab = lab7();
    let server = lab.server_addr(false).to_string();
    let srv = lab.server().to_string();
    lab.listen(&srv, &[80]);
    lab.nft(
        lab.router(3),
        "table inet wall {\n chain transit { type filter hook forward priority 0; drop; }\n}",
    );
    lab.nft(lab.router(3), rules::SILENT_ROUTER);
    let _delay = DelayLine::start(&lab, DELAY);
    let r2 = lab.router_addr(2, false).to_string();
    trace_tools("silent after hop 2", &lab, &server, 2, 1, &r2)
}

fn port_range() -> Vec<Row> {
    let lab = lab7();
    let server = lab.server_addr(false).to_string();
    lab.nft(lab.router(1), "table inet b1 {\n chain transit { type filter hook forward priority 0; tcp dport { 131, 135 } drop; }\n}");
    lab.nft(lab.router(2), "table inet b2 {\n chain transit { type filter hook forward priority 0; tcp dport 137-139 drop; }\n}");
    let _delay = DelayLine::start(&lab, DELAY);
    let name = "-r 130 140 -h 1 -m 3 -p 1";
    let bin = tracetcp();
    let base = s(&[
        &server,
        "-h",
        "1",
        "-m",
        "3",
        "-p",
        "1",
        "-t",
        "2000",
        "-c",
        "-n",
        "--no-diagnosis",
        "-r",
        "130",
        "140",
    ]);
    let mut unpaced = base.clone();
    unpaced.push("-F".into());
    let mut rows = vec![
        measure(name, &lab, "tracetcp", bin.to_str().unwrap(), base, 3, None),
        measure(
            name,
            &lab,
            "tracetcp -F",
            bin.to_str().unwrap(),
            unpaced,
            3,
            None,
        ),
    ];
    // The peers trace one port after another.
    let script = |tool: &str| -> Vec<String> {
        let each = match tool {
            "traceroute" => format!("traceroute -T -n -f 1 -m 3 -q 1 -w 2 -p $p {server}"),
            _ => format!("tcptraceroute -n -f 1 -m 3 -q 1 -w 2 {server} $p"),
        };
        s(&["-c", &format!("for p in $(seq 130 140); do {each}; done")])
    };
    for (name_tool, program) in [
        ("traceroute -T, per port", "traceroute"),
        ("tcptraceroute, per port", "tcptraceroute"),
    ] {
        if lab::installed(program) {
            rows.push(measure(
                name,
                &lab,
                name_tool,
                "sh",
                script(program),
                1,
                None,
            ));
        }
    }
    rows
}

fn scan() -> Vec<Row> {
    let mut lab = lab7();
    let server = lab.server_addr(false).to_string();
    let srv = lab.server().to_string();
    lab.listen(&srv, &[22, 80, 443]);
    let _delay = DelayLine::start(&lab, DELAY);
    let name = "-s 1 1024";
    let bin = tracetcp();
    let mut rows = vec![measure(
        name,
        &lab,
        "tracetcp",
        bin.to_str().unwrap(),
        s(&["-s", "1", "1024", &server, "-t", "1000", "--no-diagnosis"]),
        3,
        None,
    )];
    if lab::installed("nmap") {
        rows.push(measure(
            name,
            &lab,
            "nmap -sS",
            "nmap",
            s(&["-sS", "-Pn", "-n", "-p", "1-1024", &server]),
            3,
            None,
        ));
    }
    rows
}

/// A recording of `ports` one-probe traces (a probe and its answer each):
/// 2 * ports packets, built with the same packet code as the fixtures.
fn synthetic_recording(path: &Path, ports: u16) {
    use tracetcp::engine::Settings;
    use tracetcp::record::{pcapng, SessionInfo};
    use tracetcp::trace::TraceSpec;
    use tracetcp_strategies::{
        answer, strategy_for, Instance, ProbeKey, ProbeSpec, Protocol, Session,
    };
    let session = Session::new(
        "198.18.0.1".parse().unwrap(),
        "198.18.7.2".parse().unwrap(),
        Instance::new(0x4242).unwrap(),
    )
    .unwrap();
    let settings = Settings {
        first_ttl: 128,
        max_hops: 1,
        probes_per_hop: 1,
        timeout: Duration::from_secs(1),
        ..Settings::default()
    };
    let info = SessionInfo {
        host: "198.18.7.2".into(),
        session,
        specs: (1..=ports)
            .map(|p| TraceSpec::new(Protocol::Tcp, p))
            .collect(),
        settings,
        format: tracetcp::report::Format::Condensed,
        rounds: None,
    };
    let file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut w = pcapng::Writer::new(file, 1, 512, &info.to_json()).expect("pcapng");
    let tcp = strategy_for(Protocol::Tcp, session);
    let eth = [2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let mut ts = 1_700_000_000_000_000_000u64;
    for (i, port) in (1..=ports).enumerate() {
        let probe = tcp.build_probe(&ProbeSpec {
            ttl: 128,
            key: ProbeKey::for_index(i as u64),
            dst_port: port,
            flow: session.flow(),
            size: None,
        });
        let reply =
            answer::tcp_answer(&probe, if port % 100 == 0 { 0x02 } else { 0x04 }).expect("answer");
        for p in [probe, reply] {
            let mut frame = eth.to_vec();
            frame.extend_from_slice(&p);
            w.packet(ts, &frame, None).expect("write");
            ts += 10_000;
        }
    }
    w.finish(&[], "{\"interrupted\":false,\"expired_until_ns\":0}")
        .expect("finish");
}

fn replay() -> Vec<Row> {
    let lab = Lab::new(1);
    let path = std::env::temp_dir().join("tracetcp-bench-100k.pcapng");
    synthetic_recording(&path, 50_000);
    let bin = tracetcp();
    let file = path.to_str().unwrap();
    vec![
        measure(
            "replay 100,000 packets",
            &lab,
            "tracetcp --replay",
            bin.to_str().unwrap(),
            s(&["--replay", file, "-n", "--no-diagnosis"]),
            5,
            None,
        ),
        measure(
            "replay 100,000 packets",
            &lab,
            "tracetcp --replay (diagnosis)",
            bin.to_str().unwrap(),
            s(&["--replay", file, "-n"]),
            5,
            None,
        ),
        measure(
            "replay tcp-open (8 KB)",
            &lab,
            "tracetcp --replay",
            bin.to_str().unwrap(),
            s(&["--replay", &fixture("captures/tcp-open.pcap"), "-n"]),
            5,
            None,
        ),
        measure(
            "replay hostile (4 KB)",
            &lab,
            "claims every port, 255 hops",
            bin.to_str().unwrap(),
            s(&[
                "--replay",
                &fixture("fuzz/corpus/recording/claims-every-port.pcapng"),
                "-n",
            ]),
            5,
            None,
        ),
    ]
}

fn fixture(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    if let Some(why) = lab::unavailable() {
        eprintln!("bench: {why}");
        std::process::exit(1);
    }
    let floor = 2.0 * DELAY.as_secs_f64() * 7.0;
    println!("lab: client - r1..r7 - server (8 hops), {} ms per router each way: floor (RTT to the server) {:.0} ms\n", DELAY.as_millis(), floor * 1000.0);
    print_header();
    type Scenario = fn() -> Vec<Row>;
    let all: [(&str, Scenario); 5] = [
        ("clean", clean),
        ("silent", silent_tail),
        ("range", port_range),
        ("scan", scan),
        ("replay", replay),
    ];
    let chosen: Vec<String> = std::env::args().skip(1).collect();
    for (name, scenario) in all {
        if !chosen.is_empty() && !chosen.iter().any(|c| c == name) {
            continue;
        }
        let rows = scenario();
        print_rows(&rows);
    }
}
