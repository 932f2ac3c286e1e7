//! Habits from traceroute, mtr and tcpdump that clash with the original
//! tool's flags get one line with a hint and exit code 2, before anything
//! is sent. No privileges needed.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

#[test]
fn clashing_habits_answer_with_a_hint() {
    for (args, hint) in [
        (&["198.18.9.2", "-w", "2"][..], "-w writes a capture file"),
        (&["198.18.9.2", "-p", "443"], "the port goes in host:port"),
        (&["-help"], "help is --help or -?"),
        (&["198.18.9.2", "-h"], "help is --help or -?"),
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("tracetcp: ") && stderr.contains(hint),
            "{args:?}: {stderr}"
        );
    }
}

/// install.sh puts the binary, the man page and the completions in place
/// (staged under DESTDIR: no privileges, no setcap).
#[test]
fn install_sh_puts_man_page_and_completions_in_place() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dest = std::env::temp_dir().join(format!("tracetcp-install-{}", std::process::id()));
    let out = std::process::Command::new("bash")
        .arg(root.join("install.sh"))
        .arg("/usr/local")
        .env("TRACETCP_BIN", env!("CARGO_BIN_EXE_tracetcp"))
        .env("DESTDIR", &dest)
        .output()
        .expect("bash install.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |p: &str| std::fs::read_to_string(dest.join(p)).unwrap_or_default();
    assert!(read("usr/local/share/man/man1/tracetcp.1").contains(".TH tracetcp 1"));
    assert!(read("usr/local/share/bash-completion/completions/tracetcp").contains("_tracetcp()"));
    assert!(read("usr/local/share/zsh/site-functions/_tracetcp").starts_with("#compdef tracetcp"));
    assert!(
        read("usr/local/share/fish/vendor_completions.d/tracetcp.fish")
            .contains("complete -c tracetcp")
    );
    // Installed stripped: no debug info.
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let installed = size(&dest.join("usr/local/bin/tracetcp"));
    let built = size(std::path::Path::new(env!("CARGO_BIN_EXE_tracetcp")));
    assert!(
        installed > 0 && installed < built / 2,
        "{installed} of {built} bytes"
    );
    let _ = std::fs::remove_dir_all(&dest);
}

/// Every usage error is one line that ends with the same hint; a range is
/// always worded "LOW to HIGH", never as Rust (`1..=255`); the value given
/// is quoted once; a conflict names every flag in it.
#[test]
fn usage_errors_share_one_wording_for_ranges_and_hints() {
    let replay = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/icmp.pcap");
    for (args, says) in [
        (&["198.18.9.2", "-m", "0"][..], Some("1 to 255")),
        (&["198.18.9.2", "-h", "300"], Some("1 to 255")),
        (&["198.18.9.2", "-p", "0"], Some("1 to 16")),
        (&["198.18.9.2", "-t", "0"], Some("1 to 600000")),
        (&["198.18.9.2", "-N", "0"], Some("1 to 16384")),
        (&["198.18.9.2", "--flow", "0"], Some("1 to 65534")),
        (&["198.18.9.2", "--cycles", "0"], Some("1 to 100000000")),
        (&["198.18.9.2", "--interval", "0"], Some("0.001 to 600")),
        (&["198.18.9.2", "--wait", "900"], Some("0.001 to 600")),
        (&["198.18.9.2", "-r", "5", "2"], Some("1 to 65535")),
        (&["198.18.9.2", "-P", "sctp"], None),
        (&["198.18.9.2", "--multipath", "--confidence", "12"], None),
        (&[], None),
        (&["--replay", replay, "--session", "2"], None),
        (&["--replay", replay, "--show-packets", "--json"], None),
        // A conflict names every flag it is with.
        (&["198.18.9.2", "-T", "-U", "-I"], Some("-U, -I")),
        (
            &["198.18.9.2", "--json", "--csv", "--classic"],
            Some("--csv, --classic"),
        ),
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        let line = stderr.trim_end();
        assert!(line.starts_with("tracetcp: "), "{args:?}: {line}");
        assert!(line.ends_with(" (see tracetcp -?)"), "{args:?}: {line}");
        assert_eq!(line.matches("(see tracetcp -?)").count(), 1, "{line}");
        assert!(!line.contains("..="), "{args:?}: {line}");
        if let Some(says) = says {
            assert!(line.contains(says), "{args:?}: {line}");
        }
        if let Some(value) = args.last().filter(|v| !v.starts_with('-')) {
            assert!(line.matches(&format!("'{value}'")).count() <= 1, "{line}");
        }
    }
}

/// The help fits 100 columns when not on a terminal, lists every exit
/// code (4 too), gives UDP's default port, and names --generate's values
/// once; bash completes -P with the three kinds, not file names.
#[test]
fn help_and_completions_say_what_they_should() {
    let out = Command::new(BIN).arg("-?").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    let widest = help.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 100, "a help line of {widest} columns");
    for needed in [
        "0 done",
        "2 bad input",
        "3 missing privileges",
        "4 trace done",
        "130 interrupted",
        "33434",
    ] {
        assert!(help.contains(needed), "help lacks {needed}");
    }
    assert_eq!(help.matches("powershell").count(), 1, "{help}");
    let out = Command::new(BIN)
        .args(["--generate", "bash"])
        .output()
        .unwrap();
    let bash = String::from_utf8_lossy(&out.stdout);
    let p = bash.find("-P)").expect("-P in the bash completion");
    assert!(
        bash[p..]
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("tcp udp icmp")),
        "{}",
        &bash[p..p + 120]
    );
}
