//! Counting packets on a lab link with tcpdump, for the benchmarks: start
//! it (and wait until it captures), run something, stop it and count.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct Tcpdump {
    child: Child,
    file: PathBuf,
}

impl Tcpdump {
    /// tcpdump in namespace `ns` on `dev`, writing what `filter` matches;
    /// returns once it captures.
    pub fn start(ns: &str, dev: &str, filter: &str) -> Tcpdump {
        let file = std::env::temp_dir().join(format!(
            "lab-tcpdump-{}-{}.pcap",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                ns,
                "tcpdump",
                "-i",
                dev,
                "-nn",
                "-U",
                "--immediate-mode",
            ])
            .arg("-w")
            .arg(&file)
            .arg(filter)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump");
        // tcpdump says "listening on DEV" once it captures.
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut stderr, &mut line).unwrap_or(0) > 0 {
            if line.contains("listening on") {
                break;
            }
            line.clear();
        }
        Tcpdump { child, file }
    }

    /// Stops it; the capture it wrote (the caller removes it).
    pub fn stop(mut self) -> PathBuf {
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        self.file.clone()
    }

    /// Stops it and counts the packets it wrote.
    pub fn count(mut self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        let read = Command::new("tcpdump")
            .args(["-nn", "-r"])
            .arg(&self.file)
            .stderr(Stdio::null())
            .output()
            .expect("tcpdump -r");
        let _ = std::fs::remove_file(&self.file);
        String::from_utf8_lossy(&read.stdout).lines().count()
    }
}

/// Runs `script` (sh) in the client of `lab`, counting with tcpdump on
/// the client's `dev` what the client sends meanwhile (our kernel's RSTs
/// to SYN-ACKs left out): wall time, packets, the script's stdout.
pub fn run_counted(lab: &super::Lab, dev: &str, script: &str) -> (f64, usize, String) {
    // The client holds .1 of link 0 in every lab.
    let filter = "src host 198.18.0.1 and not (tcp and tcp[tcpflags] & tcp-rst != 0)";
    let dump = Tcpdump::start(lab.client(), dev, filter);
    let started = std::time::Instant::now();
    let out = Command::new("ip")
        .args(["netns", "exec", lab.client(), "sh", "-c", script])
        .output()
        .expect("run");
    let secs = started.elapsed().as_secs_f64();
    // Let the last answers' packets be written.
    std::thread::sleep(Duration::from_millis(900));
    (
        secs,
        dump.count(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
