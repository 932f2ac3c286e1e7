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
    assert!(dest.join("usr/local/bin/tracetcp").exists());
    let _ = std::fs::remove_dir_all(&dest);
}
