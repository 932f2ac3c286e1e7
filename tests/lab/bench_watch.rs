//! The rounds benchmark: a watch of a 30-hop lab path at one round a
//! second, tracetcp (`--cycles`) against `mtr --report` and trippy
//! (`trip`, `cargo install trippy`), all three side by side in the same
//! lab; then the replay of a day-long recording (86,400 rounds, built with
//! the same packet code as the fixtures). Run by hand, as root:
//!
//!     cargo run --release --example bench-watch [SECONDS]
//!
//! SECONDS is the watch's length (600 by default). For each tool: CPU time
//! (user + system), peak RSS, and the rounds it reports; for the replay:
//! wall time, CPU and peak RSS.

#[path = "mod.rs"]
mod lab;

use lab::usage::reap;
use lab::Lab;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A tool still running at 1.5 times the rounds' length (and half a
/// minute) is stopped, by timeout(1), whose usage includes the tool's:
/// wait4 counts the children it waited for.
fn limit(secs: u64) -> u64 {
    secs + secs / 2 + 30
}

fn trippy() -> Option<String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let p = format!("{home}/.cargo/bin/trip");
    std::path::Path::new(&p)
        .exists()
        .then_some(p)
        .or_else(|| lab::installed("trip").then(|| "trip".into()))
}

fn watch(secs: u64) {
    let mut lab = Lab::new(29);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    let dst = lab.server_addr(false).to_string();
    let cycles = secs.to_string();
    let tracetcp = lab::tracetcp_beside_me();
    let mut runs: Vec<(&str, Vec<String>)> = vec![(
        "tracetcp --cycles",
        [
            tracetcp.to_str().unwrap(),
            &format!("{dst}:80"),
            "--cycles",
            &cycles,
            "--interval",
            "1",
            "-n",
            "--csv",
        ]
        .map(String::from)
        .to_vec(),
    )];
    if lab::installed("mtr") {
        runs.push((
            "mtr --report -T",
            [
                "mtr", "-n", "-r", "-c", &cycles, "-i", "1", "-T", "-P", "80", &dst,
            ]
            .map(String::from)
            .to_vec(),
        ));
    }
    match trippy() {
        Some(trip) => runs.push((
            "trippy (trip -m csv)",
            [
                &trip, "-m", "csv", "-C", &cycles, "-i", "1s", "--tcp", "-P", "80", &dst,
            ]
            .map(String::from)
            .to_vec(),
        )),
        None => eprintln!("trippy not installed (cargo install trippy): left out"),
    }
    let started = Instant::now();
    let children: Vec<(&str, Child)> = runs
        .iter()
        .map(|(name, argv)| {
            let child = lab
                .command("timeout")
                .args(["-s", "INT", &limit(secs).to_string()])
                .args(argv)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start");
            (*name, child)
        })
        .collect();
    println!("watch of a 30-hop path, {secs} rounds at 1 per second, side by side:");
    println!(
        "{:<24} {:>10} {:>12} {:>10}  hops reported",
        "tool", "CPU s", "peak RSS MiB", "CPU ratio"
    );
    let mut ours = None;
    for (name, child) in children {
        let (cpu, rss, out) = reap(child);
        let stopped = if out.starts_with("(stopped") {
            " (stopped)"
        } else {
            ""
        };
        let hops = out.lines().filter(|l| l.contains("198.18.")).count();
        let base = *ours.get_or_insert(cpu);
        println!(
            "{name:<24} {cpu:>10.2} {:>12.1} {:>10.2}  {hops}{stopped}",
            rss as f64 / 1024.0,
            cpu / base.max(1e-6)
        );
    }
    println!("(wall {:.0} s)", started.elapsed().as_secs_f64());
}

/// A recording of `rounds` rounds over `hops` hops (a router answering
/// each TTL, the destination the last), one TCP probe per hop a round,
/// one round a second.
fn day(path: &std::path::Path, rounds: u64, hops: u8) {
    use tracetcp::engine::Settings;
    use tracetcp::record::{pcapng, SessionInfo};
    use tracetcp::trace::TraceSpec;
    use tracetcp::watch::{round_instance, Schedule};
    use tracetcp_strategies::{
        answer, strategy_for, Instance, ProbeKey, ProbeSpec, Protocol, Session,
    };
    let (src, dst) = (
        "198.18.0.1".parse().unwrap(),
        "198.18.29.2".parse().unwrap(),
    );
    let base = Instance::new(0x4242).unwrap();
    let session = Session::new(src, dst, base).unwrap();
    let settings = Settings {
        max_hops: hops,
        probes_per_hop: 1,
        ..Settings::default()
    };
    let schedule = Schedule {
        cycles: Some(rounds),
        interval: Duration::from_secs(1),
    };
    let info = SessionInfo {
        host: dst.to_string(),
        session,
        specs: vec![TraceSpec::new(Protocol::Tcp, 80)],
        settings: settings.clone(),
        format: tracetcp::report::Format::Classic,
        rounds: Some(schedule),
    };
    let block = tracetcp::watch::block_for(&settings, 1);
    let file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut w = pcapng::Writer::new(file, 1, 512, &info.to_json()).expect("pcapng");
    let eth = [2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let t0 = 1_700_000_000_000_000_000u64;
    for n in 0..rounds {
        let s = Session::new(src, dst, round_instance(base, n, block))
            .unwrap()
            .with_flow(session.flow());
        let tcp = strategy_for(Protocol::Tcp, s);
        let start = t0 + n * 1_000_000_000;
        for ttl in 1..=hops {
            let probe = tcp.build_probe(&ProbeSpec {
                ttl,
                key: ProbeKey::for_index(u64::from(ttl - 1)),
                dst_port: 80,
                flow: s.flow(),
                size: None,
            });
            let router = format!("198.18.{}.2", ttl - 1).parse().unwrap();
            let reply = match ttl == hops {
                true => answer::tcp_answer(&probe, 0x02),
                false => answer::time_exceeded(router, &probe, 28),
            }
            .expect("answer");
            let sent = start + u64::from(ttl) * 10_000;
            for (at, p) in [(sent, probe), (sent + 200_000 + n % 7 * 10_000, reply)] {
                let mut frame = eth.to_vec();
                frame.extend_from_slice(&p);
                w.packet(at, &frame, None).expect("write");
            }
        }
    }
    w.finish(&[], "{\"interrupted\":false,\"expired_until_ns\":0}")
        .expect("finish");
}

fn replay_day() {
    let rounds = 86_400;
    let path = std::env::temp_dir().join("tracetcp-bench-day.pcapng");
    let made = Instant::now();
    day(&path, rounds, 10);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "\nday-long recording: {rounds} rounds x 10 hops, {} packets, {:.0} MiB (built in {:.1} s)",
        rounds * 20,
        size as f64 / 1048576.0,
        made.elapsed().as_secs_f64()
    );
    let bin = lab::tracetcp_beside_me();
    let t = Instant::now();
    let child = std::process::Command::new(&bin)
        .args(["--replay", path.to_str().unwrap(), "-n"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("replay");
    let (cpu, rss, out) = reap(child);
    println!(
        "replay: {:.1} s wall, {cpu:.1} s CPU, peak RSS {:.1} MiB; {}",
        t.elapsed().as_secs_f64(),
        rss as f64 / 1024.0,
        out.lines()
            .find(|l| l.starts_with("Destination"))
            .unwrap_or("no report")
    );
    let _ = std::fs::remove_file(&path);
}

fn main() {
    lab::require();
    let secs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    watch(secs);
    replay_day();
}
