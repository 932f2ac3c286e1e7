//! The lab helper: builds the project's namespace lab and runs tracetcp in
//! it, for the README demo and to record the fixtures in captures/. Run as
//! root:
//!
//!     cargo run --example lab -- demo
//!     cargo run --example lab -- record-fixtures [DIR [NAME...]]
//!     cargo run --example lab -- record-foreign [DIR [TOOL...]]
//!     cargo run --example lab -- refresh-expected [DIR]
//!     cargo run --example lab -- craft-mpls [DIR]
//!     cargo run --example lab -- record-many [DIR]
//!     cargo run --example lab -- scenario NAME TRACETCP-ARGS (SERVER, SERVER6)
//!
//! The demo path: client - r1 - r2 - r3 - r4 - server, where r2 sends no
//! time-exceeded (a silent router) and r3 drops TCP port 135 (a blocked
//! port). It traces port 80 (which gets through), port 135, then both
//! side by side.

#[path = "fixtures.rs"]
mod fixtures;
#[path = "mod.rs"]
mod lab;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn tracetcp() -> PathBuf {
    lab::tracetcp_beside_me()
}

fn demo() -> ExitCode {
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    let mut lab = lab::Lab::new(4);
    lab.name_hosts();
    lab.listen(lab.server().to_string().as_str(), &[80]);
    lab.nft(lab.router(2), lab::rules::SILENT_ROUTER);
    lab.nft(lab.router(3), &lab::rules::block_port(135));
    let server = lab.server_addr(false).to_string();
    let bin = tracetcp();
    for (title, args) in [
        (
            "port 80: gets through; r2 is a silent router",
            vec![server.clone()],
        ),
        (
            "port 135: blocked after hop 3",
            vec![
                format!("{server}:135"),
                "-m".into(),
                "8".into(),
                "-t".into(),
                "1000".into(),
            ],
        ),
        (
            "both side by side: 135 is blocked, not the path",
            vec![
                server.clone(),
                "--compare=tcp:80,tcp:135".into(),
                "-m".into(),
                "8".into(),
                "-t".into(),
                "1000".into(),
            ],
        ),
    ] {
        println!("\n$ tracetcp {}    # {title}", args.join(" "));
        let status = lab
            .command(bin.to_str().unwrap())
            .args(&args)
            .status()
            .expect("tracetcp");
        if !status.success() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Runs tracetcp (with the given arguments, `SERVER` standing for the
/// server's IPv4 address and `SERVER6` for its IPv6 one) in the
/// load-balanced lab.
fn diamonds(args: &[String]) -> ExitCode {
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    run_in(&lab::diamond::diamonds(), args)
}

/// The lab of the recorded scenario `name`, running `args` as `diamonds`
/// does.
fn scenario(name: &str, args: &[String]) -> ExitCode {
    if let Some(why) = lab::unavailable() {
        eprintln!("lab: {why}");
        return ExitCode::FAILURE;
    }
    let Some(s) = lab::scenarios::ALL.iter().find(|s| s.name == name) else {
        eprintln!("lab: no scenario {name}");
        return ExitCode::from(2);
    };
    run_in(&s.build(), args)
}

/// Runs tracetcp with `args` in the client of `lab` (SERVER and SERVER6
/// stand for the server's addresses), or another program after "--".
fn run_in(lab: &lab::Lab, args: &[String]) -> ExitCode {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("SERVER6", &lab.server_addr(true).to_string())
                .replace("SERVER", &lab.server_addr(false).to_string())
        })
        .collect();
    // "--" runs another program instead (a peer, for comparison).
    let (program, args) = match args.split_first() {
        Some((first, rest)) if first == "--" && !rest.is_empty() => {
            (rest[0].clone(), rest[1..].to_vec())
        }
        _ => (tracetcp().to_str().unwrap().to_string(), args),
    };
    let status = lab
        .command(&program)
        .args(&args)
        .status()
        .expect("tracetcp");
    if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("demo") => demo(),
        Some("diamonds") => diamonds(&args[2..]),
        Some("scenario") if args.len() > 2 => scenario(&args[2], &args[3..]),
        Some("record-fixtures") => fixtures::record_fixtures(
            Path::new(args.get(2).map_or("captures", String::as_str)),
            args.get(3..).unwrap_or_default(),
        ),
        Some("record-foreign") => fixtures::record_foreign(
            Path::new(args.get(2).map_or("captures/foreign", String::as_str)),
            args.get(3..).unwrap_or_default(),
        ),
        Some("craft-mpls") => {
            fixtures::craft_mpls(Path::new(args.get(2).map_or("captures", String::as_str)))
        }
        Some("record-many") => {
            fixtures::record_many(Path::new(args.get(2).map_or("captures", String::as_str)))
        }
        Some("refresh-expected") => {
            fixtures::refresh_expected(Path::new(args.get(2).map_or("captures", String::as_str)))
        }
        _ => {
            eprintln!(
                "usage: lab demo | lab record-fixtures [DIR [NAME...]] | \
                 lab record-foreign [DIR [TOOL...]] | lab refresh-expected [DIR] | \
                 lab craft-mpls [DIR] | lab record-many [DIR] | lab scenario NAME ARGS | \
                 lab diamonds TRACETCP-ARGS"
            );
            ExitCode::from(2)
        }
    }
}
