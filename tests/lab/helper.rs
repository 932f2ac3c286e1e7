//! The lab helper: builds the project's namespace lab and runs tracetcp in
//! it, for the README demo (and by hand). Run as root:
//!
//!     cargo run --example lab -- demo
//!
//! The demo path: client - r1 - r2 - r3 - r4 - server, where r2 sends no
//! time-exceeded (a silent router) and r3 drops TCP port 135 (a blocked
//! port). It traces port 80 (which gets through) and port 135.

#[path = "mod.rs"]
mod lab;

use std::path::PathBuf;
use std::process::ExitCode;

fn tracetcp() -> PathBuf {
    // target/<profile>/examples/lab -> target/<profile>/tracetcp
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("tracetcp"))
        .expect("target dir")
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

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("demo") => demo(),
        _ => {
            eprintln!("usage: lab demo");
            ExitCode::from(2)
        }
    }
}
