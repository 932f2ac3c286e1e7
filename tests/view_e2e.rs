//! tracetcp on a terminal, end to end through a pseudo-terminal: the live
//! view (tracetcp --watch in the lab draws its table, follows keys (pause,
//! display) and a resize, quits on q with the terminal given back:
//! alternate screen left, cursor shown; the report printed), and the
//! progress line and pacing note of a long run. Needs root: ignored
//! unless asked for with `--include-ignored` (tests/test.sh asks), failing
//! loudly without.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn winsize(cols: u16, rows: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A pseudo-terminal of `cols` x `rows`: (master, slave).
fn pty(cols: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let ws = winsize(cols, rows);
    let ok = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    };
    assert_eq!(ok, 0, "openpty: {}", std::io::Error::last_os_error());
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Waits until the screen output holds `what` after `from` bytes; where
/// it ends. (ratatui draws only the cells that changed: look for text
/// that is new where it is drawn.)
fn wait_for(screen: &Arc<Mutex<Vec<u8>>>, from: usize, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = {
            let s = screen.lock().unwrap();
            s[from.min(s.len())..].to_vec()
        };
        if let Some(i) = text.windows(what.len()).position(|w| w == what.as_bytes()) {
            return from + i + what.len();
        }
        let shown = String::from_utf8_lossy(&text).into_owned();
        assert!(
            Instant::now() < deadline,
            "no {what:?} on the screen: {shown}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Everything written to the terminal whose master end is `reader`, as
/// it comes (read on a thread of its own).
fn screen_of(mut reader: File) -> Arc<Mutex<Vec<u8>>> {
    let screen = Arc::new(Mutex::new(Vec::new()));
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    screen
}

/// The exit code of `child`, which must end within 10 s (`why` if not).
fn exit_code(child: &mut std::process::Child, why: &str) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        assert!(Instant::now() < deadline, "{why}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn the_live_view_follows_keys_and_resizes_and_gives_the_terminal_back() {
    let lab = lab3();
    let (master, slave) = pty(100, 20);
    let to = target(lab.server_addr(false), 80);
    let mut cmd = lab.command(BIN);
    cmd.args([&to, "--watch", "--interval", "0.3", "-n"])
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // The pty becomes the child's controlling terminal, so that a resize
    // reaches it as SIGWINCH.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start tracetcp on the pty");
    let mut keys = File::from(master.try_clone().unwrap());
    let screen = screen_of(File::from(master.try_clone().unwrap()));
    let mut at = wait_for(&screen, 0, "\x1b[?1049h");
    at = wait_for(&screen, at, "Loss%");
    at = wait_for(&screen, at, "198.18.0.2");
    keys.write_all(b"p").unwrap();
    at = wait_for(&screen, at, "[paused]");
    keys.write_all(b"d").unwrap();
    at = wait_for(&screen, at, "RTTs");
    // Smaller: the help line is drawn again on the new last row (the
    // cursor moved to row 12, column 1).
    let ws = winsize(50, 12);
    assert_eq!(
        unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) },
        0
    );
    at = wait_for(&screen, at, "\x1b[12;1Hq");
    keys.write_all(b"q").unwrap();
    assert_eq!(exit_code(&mut child, "q did not end the view"), Some(0));
    let rest = wait_for(&screen, at, "Destination reached in");
    let tail = String::from_utf8_lossy(&screen.lock().unwrap()[at..rest]).into_owned();
    let left = tail.find("\x1b[?1049l").expect("alternate screen left");
    assert!(tail.contains("\x1b[?25h"), "cursor shown again");
    assert!(
        tail[left..].contains("Loss%"),
        "the report after the view: {tail}"
    );
}

/// A long paced run on a terminal (routers limiting their answers): the
/// note says how long and what
/// shortens it, a progress line counts traces on stderr, and the report's
/// lines never mix with it (each starts on a wiped line). Ctrl-C ends it.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_long_run_shows_its_progress_on_the_terminal() {
    let lab = lab3();
    // Routers that limit their answers as Linux does: pacing holds 40
    // ports for about 34 s.
    for k in 1..=3 {
        lab.default_icmp_ratelimit(k);
    }
    let (master, slave) = pty(200, 40);
    let server = lab.server_addr(false).to_string();
    let mut child = lab
        .command(BIN)
        .args([&server, "-r", "1", "40", "-p", "1", "-n"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("start tracetcp on the pty");
    let screen = screen_of(File::from(master));
    let at = wait_for(
        &screen,
        0,
        "tracetcp: note: pacing to the routers' ICMP rate limits",
    );
    let at = wait_for(&screen, at, "will make this run take about ");
    let at = wait_for(&screen, at, "-F sends at full speed");
    let at = wait_for(&screen, at, "\r\x1b[Ktracetcp: ");
    let at = wait_for(&screen, at, "/40 traces, ");
    wait_for(&screen, at, " left");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(
        exit_code(&mut child, "Ctrl-C did not end the run"),
        Some(130)
    );
    let end = wait_for(&screen, 0, "on port 40\r\n");
    let end = wait_for(&screen, end, "Trace interrupted.");
    let text = String::from_utf8_lossy(&screen.lock().unwrap()[..end]).into_owned();
    let starts: Vec<usize> = text
        .match_indices("Tracing route to")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 40, "{text}");
    for i in starts {
        let before = &text[..i];
        assert!(
            before.is_empty() || before.ends_with('\n') || before.ends_with("\x1b[K"),
            "a report line mixed with the progress line: {:?}",
            &text[i.saturating_sub(80)..i + 20]
        );
    }
}

/// Many targets on a terminal: the progress line counts targets, reports
/// come as targets finish, and Ctrl-C ends the run with exit 130.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn many_targets_show_their_progress_on_the_terminal() {
    let lab = lab3();
    let mut script = String::from("sysctl -qw net.ipv4.icmp_ratelimit=0;");
    for k in 0..30 {
        script.push_str(&format!("ip addr add 198.18.3.{}/24 dev west;", 10 + k));
    }
    assert!(lab.sh(lab.server(), &script).status.success());
    let targets: Vec<String> = (0..30).map(|k| format!("198.18.3.{}", 10 + k)).collect();
    let (master, slave) = pty(200, 40);
    let mut child = lab
        .command(BIN)
        .args(&targets)
        .args(["-P", "icmp", "-n", "--rate", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("start tracetcp on the pty");
    let screen = screen_of(File::from(master));
    let at = wait_for(&screen, 0, "Trace Complete.");
    let at = wait_for(&screen, at, "\r\x1b[Ktracetcp: ");
    wait_for(&screen, at, "/30 targets, ");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(
        exit_code(&mut child, "Ctrl-C did not end the run"),
        Some(130)
    );
}
