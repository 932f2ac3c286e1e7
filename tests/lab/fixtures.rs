//! The lab helper's fixtures: the recordings in captures/ and
//! captures/foreign, and their expected reports (recorded in the lab,
//! crafted, or rewritten from the recordings as they are).

use super::{lab, tracetcp};
use std::path::Path;
use std::process::{Command, ExitCode};

/// The report formats a fixture's expected outputs are kept in.
const FORMATS: [(&str, &[&str]); 3] = [
    ("classic", &["--classic"]),
    ("condensed", &["-c"]),
    ("json", &["--json"]),
];

fn replay(path: &Path, flags: &[&str]) -> String {
    let out = Command::new(tracetcp())
        .arg("--replay")
        .arg(path)
        .arg("-n")
        .args(flags)
        .output()
        .expect("replay");
    assert!(
        out.status.success(),
        "replay {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Records every scenario into `dir`: NAME.pcap, and its expected
/// reports NAME.classic, NAME.condensed and NAME.json. The live output
/// must equal its own replay, or nothing is written for that scenario.
/// With `only` names, records those scenarios alone and leaves the index
/// (README.md) as it is.
pub(super) fn record_fixtures(dir: &Path, only: &[String]) -> ExitCode {
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    std::fs::create_dir_all(dir).expect("fixture dir");
    let (mut index, kept) = index_kept(dir);
    let chosen = lab::scenarios::ALL
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|n| n == s.name));
    for s in chosen {
        let pcap = dir.join(format!("{}.pcap", s.name));
        let mut recorded = None;
        for _attempt in 0..5 {
            let lab = s.build();
            let args = s.args(&lab);
            let out = lab
                .command(tracetcp().to_str().unwrap())
                .args(&args)
                .arg("-w")
                .arg(&pcap)
                .output()
                .expect("tracetcp");
            let live = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() && (s.shows)(&live) {
                recorded = Some((args, live));
                break;
            }
        }
        let Some((args, live)) = recorded else {
            eprintln!("{}: no recording showed what it is about", s.name);
            return ExitCode::FAILURE;
        };
        let own = replay(&pcap, &[]);
        if own != live {
            eprintln!(
                "{}: replay differs from the live output\n--- live\n{live}--- replay\n{own}",
                s.name
            );
            return ExitCode::FAILURE;
        }
        write_expected(&pcap, args.iter().any(|a| a.starts_with("--compare")));
        let size = std::fs::metadata(&pcap).map(|m| m.len()).unwrap_or(0);
        index += &format!(
            "| {} | `tracetcp {}` | {} | {} KB |\n",
            s.name,
            args.join(" "),
            s.about,
            size.div_ceil(1024)
        );
        println!("recorded {} ({} KB)", s.name, size.div_ceil(1024));
    }
    if !only.is_empty() {
        println!(
            "captures index left as it is: add rows for {}",
            only.join(", ")
        );
        return ExitCode::SUCCESS;
    }
    if craft_mpls(dir) != ExitCode::SUCCESS {
        return ExitCode::FAILURE;
    }
    index +=
        &format!("| {MPLS} | crafted from tcp-open by `lab craft-mpls` | {MPLS_ABOUT} | - |\n");
    index += &kept;
    std::fs::write(dir.join("README.md"), index).expect("README");
    ExitCode::SUCCESS
}

/// Records the corpus of other tools' traceroutes into `dir`
/// (captures/foreign): each tool of tests/support/corpus.rs in each
/// scenario, its bare tcpdump capture and what it printed, checked
/// against tracetcp's replay. With `only` tool names, records those and
/// leaves the index (README.md) as it is.
pub(super) fn record_foreign(dir: &Path, only: &[String]) -> ExitCode {
    use lab::foreign::{corpus, record_checked};
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    std::fs::create_dir_all(dir).expect("corpus dir");
    let mut failed = 0;
    let mut index = String::from(FOREIGN_HEAD);
    for place in corpus::PLACES {
        let lab = lab::foreign::build(place.name);
        for tool in corpus::TOOLS {
            if !only.is_empty() && !only.iter().any(|n| n == tool.name) {
                continue;
            }
            let name = corpus::capture_name(tool, place);
            match record_checked(&lab, tool, place, dir, &tracetcp()) {
                Ok(()) => println!("recorded {name}"),
                Err(e) => {
                    failed += 1;
                    eprintln!("FAILED {e}");
                }
            }
            let command = corpus::command_line(tool, place.port, "SERVER", "SERVER6", "tracetcp");
            index += &format!(
                "| {name} | `{command}` (on {}) | {} |\n",
                tool.dev, place.about
            );
        }
    }
    if only.is_empty() || only.iter().any(|n| n == corpus::MIXED_NAME) {
        let lab = lab::foreign::build("clean");
        match lab::foreign::record_mixed(&lab, dir, &tracetcp()) {
            Ok(()) => println!("recorded {}", corpus::MIXED_NAME),
            Err(e) => {
                failed += 1;
                eprintln!("FAILED {e}");
            }
        }
    }
    if only.is_empty() {
        index += &format!(
            "| {} | {} started {} s apart, among ping and an HTTP request to SERVER \
             (tests/support/corpus.rs: `mixed_script`) (on east) | one session per tool |\n",
            corpus::MIXED_NAME,
            corpus::MIXED.join(", "),
            corpus::STAGGER
        );
        std::fs::write(dir.join("README.md"), index).expect("README");
    }
    if failed > 0 {
        eprintln!("{failed} recordings do not show what their tool printed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

const FOREIGN_HEAD: &str = "# captures/foreign/

Other tools' traceroutes, captured by `tcpdump -w` in the project's
namespace lab (client - r1 - r2 - r3 - server; SERVER is 198.18.3.2,
SERVER6 2001:db8:3::2) while each ran, with what the tool printed:
`NAME.pcap` is the bare capture (no tracetcp metadata, every packet the
client's interface saw), `NAME.out` the tool's own output. `cargo test`
(tests/foreign.rs, no privileges) replays each with `tracetcp --replay
NAME.pcap` and checks that the hops rebuilt are the hops the tool printed
(probe by probe for tools that print each probe).

Regenerate them (as root; this file is rewritten too):

    cargo run --example lab -- record-foreign captures/foreign [TOOL...]

| capture | command (in the client) | scenario |
|---|---|---|
";

/// The recording of a run with many targets (stop sets: learned hops,
/// and a target nearer than the start).
const MANY: &str = "many-stop-sets";

/// Records `dir`/many-stop-sets.pcap: the server's address and three
/// more behind the same three routers, and r2's own address (nearer than
/// where the later traces start), one run; with its expected reports.
pub(super) fn record_many(dir: &Path) -> ExitCode {
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    let lab = lab::Lab::new(3);
    let extra = "ip addr add 198.18.3.10/24 dev west; ip addr add 198.18.3.11/24 dev west; \
                 ip addr add 198.18.3.12/24 dev west";
    lab.sh(lab.server(), extra);
    let pcap = dir.join(format!("{MANY}.pcap"));
    let targets = [
        "198.18.3.2",
        "198.18.3.10",
        "198.18.1.2",
        "198.18.3.11",
        "198.18.3.12",
    ];
    let out = lab
        .command(tracetcp().to_str().unwrap())
        .args(targets)
        .args(["-P", "icmp", "-n", "--rate", "400", "-t", "1000", "-w"])
        .arg(&pcap)
        .output()
        .expect("tracetcp");
    let live = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || !live.contains("not probed again") {
        eprintln!(
            "lab: record-many: {live}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return ExitCode::FAILURE;
    }
    if replay(&pcap, &[]) != live {
        eprintln!("lab: record-many: the replay differs from the live run");
        return ExitCode::FAILURE;
    }
    write_expected(&pcap, false);
    println!("recorded {}", pcap.display());
    ExitCode::SUCCESS
}

const MPLS: &str = "mpls-core";
const MPLS_ABOUT: &str = "hops 2 and 3 in an MPLS core: label stacks (RFC 4950) after padded quotes, hop 2 naming its interface (RFC 5837)";

/// Crafts `dir`/mpls-core.pcap from `dir`/tcp-open.pcap, with its
/// expected reports (no privileges).
pub(super) fn craft_mpls(dir: &Path) -> ExitCode {
    let out = dir.join(format!("{MPLS}.pcap"));
    if let Err(e) = lab::mpls::craft(&dir.join("tcp-open.pcap"), &out) {
        eprintln!("lab: craft-mpls: {e}");
        return ExitCode::FAILURE;
    }
    write_expected(&out, false);
    println!("crafted {}", out.display());
    ExitCode::SUCCESS
}

/// Writes the expected reports of the recording `pcap` beside it (and
/// its own-format replay as NAME.compare for `--compare` sessions).
fn write_expected(pcap: &Path, compare: bool) {
    for (format, flags) in FORMATS {
        std::fs::write(pcap.with_extension(format), replay(pcap, flags)).expect("write expected");
    }
    if compare {
        std::fs::write(pcap.with_extension("compare"), replay(pcap, &[])).expect("write expected");
    }
}

/// Rewrites the expected reports of every recording in `dir` from the
/// recordings as they are (when only the reports changed): no lab, no
/// privileges.
pub(super) fn refresh_expected(dir: &Path) -> ExitCode {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("lab: cannot read {}", dir.display());
        return ExitCode::FAILURE;
    };
    let mut pcaps: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .filter(|p| p.with_extension("classic").exists())
        .collect();
    pcaps.sort();
    for pcap in pcaps {
        write_expected(&pcap, pcap.with_extension("compare").exists());
        println!("refreshed {}", pcap.display());
    }
    ExitCode::SUCCESS
}

/// The table's header: captures/README.md's text down to it is kept as it
/// is (it describes the lab), and so are the rows of fixtures no scenario
/// records (kept recordings from elsewhere): every other row is rewritten.
const TABLE_HEAD: &str =
    "| fixture | live command (in the lab) | what it shows | size |\n|---|---|---|---|\n";

/// The README's text before the table, and the rows to keep.
fn index_kept(dir: &Path) -> (String, String) {
    let old = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let Some(at) = old.find(TABLE_HEAD) else {
        return (format!("# captures/\n\n{TABLE_HEAD}"), String::new());
    };
    let rows = old[at + TABLE_HEAD.len()..]
        .lines()
        .filter(|row| {
            let name = row.trim_start_matches("| ").split(' ').next().unwrap_or("");
            name != MPLS && !lab::scenarios::ALL.iter().any(|s| s.name == name)
        })
        .map(|row| format!("{row}\n"))
        .collect();
    (old[..at + TABLE_HEAD.len()].to_string(), rows)
}
