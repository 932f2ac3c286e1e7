//! Look-ups about addresses in the background, in batches: an address is
//! queued as soon as it answers, one thread takes what is queued and
//! resolves it all at once (a batch of DNS questions, or a database),
//! and whoever needs a result waits for it a bounded time. Reverse names
//! and owners (`--as`) are both such look-ups.
//!
//! Owns the queue, the waiting and the results; what a look-up is, is
//! the resolving function's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

enum Entry<T> {
    Pending(Instant),
    Done(T),
}

struct State<T> {
    found: HashMap<IpAddr, Entry<T>>,
    queue: Vec<IpAddr>,
}

/// The service; clones share it.
pub struct Lookups<T> {
    state: Arc<(Mutex<State<T>>, Condvar)>,
    /// How long a result is waited for, from its look-up's start.
    max_wait: Duration,
}

impl<T> Clone for Lookups<T> {
    fn clone(&self) -> Self {
        Lookups {
            state: self.state.clone(),
            max_wait: self.max_wait,
        }
    }
}

impl<T: Clone + Send + 'static> Lookups<T> {
    /// Starts the thread `name`, which hands every batch queued to
    /// `resolve` and keeps what it returns.
    pub fn start(
        name: &str,
        max_wait: Duration,
        mut resolve: impl FnMut(Vec<IpAddr>) -> Vec<(IpAddr, T)> + Send + 'static,
    ) -> std::io::Result<Lookups<T>> {
        let state = Arc::new((
            Mutex::new(State {
                found: HashMap::new(),
                queue: Vec::new(),
            }),
            Condvar::new(),
        ));
        let shared = state.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let (lock, cvar) = &*shared;
                loop {
                    let batch = {
                        let Ok(mut s) = lock.lock() else { return };
                        while s.queue.is_empty() {
                            s = match cvar.wait(s) {
                                Ok(s) => s,
                                Err(_) => return,
                            };
                        }
                        std::mem::take(&mut s.queue)
                    };
                    let found = resolve(batch);
                    let Ok(mut s) = lock.lock() else { return };
                    for (addr, value) in found {
                        s.found.insert(addr, Entry::Done(value));
                    }
                    cvar.notify_all();
                }
            })?;
        Ok(Lookups { state, max_wait })
    }

    /// Queues `addr`, unless it was looked up already.
    pub fn request(&self, addr: IpAddr) {
        let (lock, cvar) = &*self.state;
        let Ok(mut s) = lock.lock() else { return };
        if s.found.contains_key(&addr) {
            return;
        }
        s.found.insert(addr, Entry::Pending(Instant::now()));
        s.queue.push(addr);
        cvar.notify_all();
    }

    /// Gives `addr` its result without looking it up.
    pub fn settle(&self, addr: IpAddr, value: T) {
        if let Ok(mut s) = self.state.0.lock() {
            s.found.entry(addr).or_insert(Entry::Done(value));
        }
    }

    /// Waits until every one of `addrs` (queued if need be) has its
    /// result, or has waited `max_wait` since its look-up started.
    pub fn wait(&self, addrs: &[IpAddr]) {
        for &a in addrs {
            self.request(a);
        }
        let (lock, cvar) = &*self.state;
        let Ok(mut s) = lock.lock() else { return };
        loop {
            let now = Instant::now();
            let Some(until) = self.waiting_until(&s, addrs, now) else {
                return;
            };
            s = match cvar.wait_timeout(s, until - now) {
                Ok((s, _)) => s,
                Err(_) => return,
            };
        }
    }

    /// Whether `wait` would return at once: every one of `addrs` (queued
    /// if need be) has its result or has waited long enough.
    pub fn ready(&self, addrs: &[IpAddr]) -> bool {
        for &a in addrs {
            self.request(a);
        }
        let Ok(s) = self.state.0.lock() else {
            return true;
        };
        self.waiting_until(&s, addrs, Instant::now()).is_none()
    }

    /// Until when `addrs` are waited for, from `now`; `None`: no longer.
    fn waiting_until(&self, s: &State<T>, addrs: &[IpAddr], now: Instant) -> Option<Instant> {
        addrs
            .iter()
            .filter_map(|a| match s.found.get(a) {
                Some(Entry::Pending(started)) => Some(*started + self.max_wait),
                _ => None,
            })
            .filter(|&t| t > now)
            .max()
    }

    /// Every result so far.
    pub fn found(&self) -> Vec<(IpAddr, T)> {
        self.state
            .0
            .lock()
            .map(|s| {
                s.found
                    .iter()
                    .filter_map(|(a, e)| match e {
                        Entry::Done(v) => Some((*a, v.clone())),
                        Entry::Pending(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn batches_are_resolved_and_waited_for() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let seen = batches.clone();
        let l = Lookups::start("test", Duration::from_secs(5), move |batch: Vec<IpAddr>| {
            seen.lock().unwrap().push(batch.len());
            batch.into_iter().map(|a| (a, a.is_ipv4())).collect()
        })
        .unwrap();
        l.settle(ip("198.18.0.9"), false);
        l.wait(&[ip("198.18.0.1"), ip("2001:db8::1"), ip("198.18.0.9")]);
        let mut found = l.found();
        found.sort();
        assert_eq!(
            found,
            [
                (ip("198.18.0.1"), true),
                (ip("198.18.0.9"), false),
                (ip("2001:db8::1"), false)
            ]
        );
        // Asked once each, however often requested.
        l.wait(&[ip("198.18.0.1")]);
        assert_eq!(batches.lock().unwrap().iter().sum::<usize>(), 2);
    }

    #[test]
    fn a_slow_resolver_is_waited_for_no_longer_than_the_bound() {
        let l = Lookups::start("slow", Duration::from_millis(100), |batch: Vec<IpAddr>| {
            std::thread::sleep(Duration::from_millis(400));
            batch.into_iter().map(|a| (a, ())).collect()
        })
        .unwrap();
        let started = Instant::now();
        l.wait(&[ip("198.18.0.1")]);
        assert!(
            started.elapsed() < Duration::from_millis(350),
            "{:?}",
            started.elapsed()
        );
        assert!(l.found().is_empty());
    }
}
