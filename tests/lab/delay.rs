//! Link delay for the lab without netem: every router queues the packets
//! it forwards to NFQUEUE 0, and one thread holds each for the delay
//! before accepting it. A probe to hop k and its answer cross k-1 routers
//! each way, so its round trip gains 2 (k-1) delays.

use super::Lab;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// This kernel has no nftables `queue` expression, but iptables' NFQUEUE
/// target (through nft's xtables compatibility) works.
const RULES: &str = "iptables -I FORWARD -j NFQUEUE --queue-num 0 --queue-bypass; \
                     ip6tables -I FORWARD -j NFQUEUE --queue-num 0 --queue-bypass";

pub struct DelayLine {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DelayLine {
    /// Delays every packet each router of `lab` forwards by `delay`.
    pub fn start(lab: &Lab, delay: Duration) -> DelayLine {
        let routers: Vec<String> = (1..=lab.routers())
            .map(|k| lab.router(k).to_string())
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut queues: Vec<nfq::Queue> = routers
                .iter()
                .map(|ns| crate::lab::queue_in(ns, 0))
                .collect();
            ready_tx.send(()).expect("ready");
            let mut held: VecDeque<(Instant, usize, nfq::Message)> = VecDeque::new();
            while !flag.load(Ordering::Relaxed) {
                let mut got = false;
                for (i, q) in queues.iter_mut().enumerate() {
                    while let Ok(msg) = q.recv() {
                        held.push_back((Instant::now() + delay, i, msg));
                        got = true;
                    }
                }
                let now = Instant::now();
                while held.front().is_some_and(|(t, _, _)| *t <= now) {
                    let (_, i, mut msg) = held.pop_front().expect("front");
                    msg.set_verdict(nfq::Verdict::Accept);
                    let _ = queues[i].verdict(msg);
                }
                if !got {
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
        });
        ready_rx.recv().expect("delay line started");
        for k in 1..=lab.routers() {
            lab.sh(lab.router(k), RULES);
        }
        DelayLine {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for DelayLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
