//! Other tools' traceroutes in the lab, each under tcpdump: the lab of a
//! corpus scenario (tests/support/corpus.rs names them) and one run.

#[path = "../support/corpus.rs"]
pub mod corpus;

use super::tcpdump::Tcpdump;
use super::{rules, Lab};
use corpus::{Place, Tool};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The lab of corpus scenario `place`: three routers, the server
/// listening on TCP port 80; r2 silent ("silent-router") or dropping what
/// is aimed at port 135 ("blocked-port").
pub fn build(place: &str) -> Lab {
    let mut lab = Lab::new(3);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    lab.no_dns();
    match place {
        "clean" => {}
        "silent-router" => lab.nft(lab.router(2), rules::SILENT_ROUTER),
        "blocked-port" => lab.nft(lab.router(2), &rules::block_all_to(135)),
        other => panic!("no corpus scenario {other}"),
    }
    lab
}

/// Runs `command` (sh) in the client while tcpdump captures on `dev`;
/// the capture is moved to `pcap`. Returns what the command printed on
/// stdout, or why it printed nothing.
pub fn record(lab: &Lab, command: &str, dev: &str, pcap: &Path) -> Result<String, String> {
    let dump = Tcpdump::start(lab.client(), dev, "");
    // `cargo install trippy` puts trip in ~/.cargo/bin.
    let path = format!(
        "{}:{}/.cargo/bin",
        std::env::var("PATH").unwrap_or_default(),
        std::env::var("HOME").unwrap_or_default()
    );
    let out = lab
        .command("sh")
        .args(["-c", command])
        .env("PATH", path)
        .output()
        .map_err(|e| format!("{command}: {e}"))?;
    let file: PathBuf = dump.stop();
    std::fs::copy(&file, pcap).map_err(|e| format!("{}: {e}", pcap.display()))?;
    let _ = std::fs::remove_file(&file);
    // Some tools exit non-zero when the destination does not answer
    // (tcptraceroute): what they printed is what counts.
    if out.stdout.is_empty() {
        return Err(format!(
            "{command}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Records the mixed capture (corpus::MIXED: several tools at once among
/// other traffic) in `lab` (the clean scenario) into `dir`, checked as
/// `record_checked` does.
pub fn record_mixed(lab: &Lab, dir: &Path, bin: &Path) -> Result<(), String> {
    let name = corpus::MIXED_NAME;
    let pcap = dir.join(format!("{name}.pcap"));
    let outputs = std::env::temp_dir().join(format!("tracetcp-mixed-{}", std::process::id()));
    let script = corpus::mixed_script(
        bin.to_str().expect("utf-8 path"),
        &lab.server_addr(false).to_string(),
        &lab.server_addr(true).to_string(),
        outputs.to_str().expect("utf-8 path"),
    );
    let printed = record(lab, &script, "east", &pcap).map_err(|e| format!("{name}: {e}"))?;
    std::fs::write(pcap.with_extension("out"), &printed).map_err(|e| e.to_string())?;
    let doc = replay_json(bin, &pcap)?;
    corpus::check_mixed(&printed, &doc).map_err(|e| format!("{name}: {e}\n{printed}"))
}

/// `tracetcp --replay PCAP -n FLAGS`.
fn replay(bin: &Path, pcap: &Path, flags: &[&str]) -> std::process::Output {
    Command::new(bin)
        .arg("--replay")
        .arg(pcap)
        .arg("-n")
        .args(flags)
        .output()
        .expect("tracetcp --replay")
}

fn replay_json(bin: &Path, pcap: &Path) -> Result<serde_json::Value, String> {
    let out = replay(bin, pcap, &["--json"]);
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{}: no JSON ({e}): {}",
            pcap.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Runs `tool` at `place` in `lab` (built for it) into
/// `dir`/TOOL-PLACE.pcap, with what it printed in TOOL-PLACE.out, and
/// checks that `tracetcp` (`bin`) rebuilds the hops it printed from the
/// bare capture. The error shows both sides.
pub fn record_checked(
    lab: &Lab,
    tool: &Tool,
    place: &Place,
    dir: &Path,
    bin: &Path,
) -> Result<(), String> {
    let name = corpus::capture_name(tool, place);
    let pcap = dir.join(format!("{name}.pcap"));
    let command = corpus::command_line(
        tool,
        place.port,
        &lab.server_addr(false).to_string(),
        &lab.server_addr(true).to_string(),
        bin.to_str().expect("utf-8 path"),
    );
    let printed = record(lab, &command, tool.dev, &pcap).map_err(|e| format!("{name}: {e}"))?;
    std::fs::write(pcap.with_extension("out"), &printed).map_err(|e| e.to_string())?;
    let doc = replay_json(bin, &pcap)?;
    corpus::check(tool, &printed, &doc).map_err(|e| {
        let out = replay(bin, &pcap, &["--show-packets"]);
        format!(
            "{name}: {e}\n--- printed by `{command}`\n{printed}--- replayed\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
