//! The lab's answer rewriter: Linux routers quote probes as RFC 1812 and
//! RFC 5508 ask; hardware and NATs on the Internet do not. A router of the
//! lab queues the ICMP errors it forwards toward the client (NFQUEUE 1,
//! through iptables: this kernel's nftables has no queue statement) and
//! one thread reshapes each as `tracetcp_strategies::reshape` says before
//! letting it go: what the hops beyond that router answer reaches the
//! client as such hardware would have sent it.

use super::Lab;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tracetcp_strategies::reshape::{reshape, Reshape};

const RULES: &str = "iptables -I FORWARD -p icmp -j NFQUEUE --queue-num 1 --queue-bypass; \
                     ip6tables -I FORWARD -p ipv6-icmp -j NFQUEUE --queue-num 1 --queue-bypass";

pub struct Reshaper {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Reshaper {
    /// Reshapes, as `how`, every ICMP error router `k` forwards.
    pub fn start(lab: &Lab, k: usize, how: Reshape) -> Reshaper {
        let ns = lab.router(k).to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut q = super::queue_in(&ns, 1);
            ready_tx.send(()).expect("ready");
            while !flag.load(Ordering::Relaxed) {
                match q.recv() {
                    Ok(mut msg) => {
                        if let Some(p) = reshape(msg.get_payload(), how) {
                            msg.set_payload(p);
                        }
                        msg.set_verdict(nfq::Verdict::Accept);
                        let _ = q.verdict(msg);
                    }
                    Err(_) => std::thread::sleep(Duration::from_micros(100)),
                }
            }
        });
        ready_rx.recv().expect("reshaper started");
        lab.sh(lab.router(k), RULES);
        Reshaper {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Reshaper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
