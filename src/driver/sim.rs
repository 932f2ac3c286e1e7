//! A discrete-event path simulator for tests: a packet source and a sender
//! on one fake clock. Every probe is seen leaving 10 us after it is sent
//! and its answer, built by `tracetcp_strategies::answer` exactly as a
//! kernel builds it, arrives `rtt * ttl` later. The engine runs through
//! the same driver as live runs and replays.

use super::{run, Clock, Input, Io, Observer, Packet, PacketClock, PacketSource, Prober};
use crate::engine::{Engine, Event};
use crate::error::Result;
use crate::send::Sender;
use crate::time::Timestamp;
use middlebox::{as_forwarded, to_us};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::answer;
use tracetcp_strategies::wire::{IpView, Quoting};

pub const T0: u64 = 1_700_000_000_000_000_000;

/// The address the tests trace (the destination of `Hop::Closed`).
const DESTINATION: &str = "198.18.9.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// What sits at one hop of a scripted path.
#[derive(Clone, Copy)]
pub enum Hop {
    Router(&'static str),
    /// Answers from one of two routers, alternating per probe.
    Balanced(&'static str, &'static str),
    /// Answers from one of these routers, picked by hashing the probe's
    /// flow and this TTL (a per-flow load balancer before the hop).
    PerFlow(&'static [&'static str]),
    /// Like `PerFlow`, but every such hop hashes alike (one function and
    /// seed, as Linux routers share): the way a flow goes at one decides
    /// the way it goes at the next.
    PerFlowAlike(&'static [&'static str]),
    Silent,
    /// A router rate-limiting its ICMP errors as Linux does: 6 at once,
    /// then 1 a second.
    Limited(&'static str),
    Unreachable(&'static str, u8),
    /// A router whose firewall lets only TCP to this port go on: probes
    /// beyond it to other ports vanish.
    Passes(&'static str, u16),
    /// The destination: SYN-ACK (open), RST (closed) or nothing. An open
    /// port holds a SYN-RECEIVED state per 4-tuple until the client's RST
    /// to its SYN-ACK arrives; a SYN of that 4-tuple meanwhile goes
    /// unanswered (Linux answers a bare ACK, which is no probe's answer).
    Open,
    Closed,
    Mute,
    /// A router that forwards probes with their transport checksum
    /// rewritten, and writes nothing back into the quotes of the hops
    /// beyond it (a NAT that restored the address but not the checksum;
    /// hardware that recomputes it): it answers for itself as a router.
    RewritesChecksum(&'static str),
    /// A stateless NAT: probes go on from another source address and
    /// port (checksum rewritten with them), and the hops beyond quote
    /// them so; their answers still reach us (the NAT translates the
    /// destination of the ICMP error back, not its quote).
    StatelessNat(&'static str),
}

/// A link of a smaller MTU after hop `after`: bigger probes going past
/// it get "fragmentation needed" / "packet too big" from that hop's
/// router announcing `mtu` when `announced`, or vanish (a black hole).
#[derive(Clone, Copy)]
pub struct Narrow {
    pub after: u8,
    pub mtu: u16,
    pub announced: bool,
}

/// Probes handed to the sender, not yet on the simulated wire.
type Outbox = Rc<RefCell<Vec<(Timestamp, Vec<u8>)>>>;

struct SimSender {
    outbox: Outbox,
    clock: Rc<PacketClock>,
    sent: u64,
}

impl Sender for SimSender {
    fn send(&mut self, packet: &[u8], _dst: IpAddr) -> Result<()> {
        self.sent += 1;
        let seen = self.clock.now().after(Duration::from_micros(10));
        self.outbox.borrow_mut().push((seen, packet.to_vec()));
        Ok(())
    }
}

struct Wire {
    path: Vec<Hop>,
    narrow: Option<Narrow>,
    rtt: Duration,
    outbox: Outbox,
    clock: Rc<PacketClock>,
    queue: BinaryHeap<Reverse<(Timestamp, u64, Vec<u8>)>>,
    seq: u64,
    /// Probes seen per TTL, so that balanced hops alternate.
    per_ttl: HashMap<u8, u64>,
    /// Open port: until when the SYN-RECEIVED state of each pair of
    /// ports lasts.
    syn_received: HashMap<u32, Timestamp>,
    /// Limited routers: the answers each may send, in nanoseconds of
    /// credit (a second an answer), as of when.
    credit: HashMap<u8, (u64, Timestamp)>,
    lag: Duration,
    sockets: bool,
    current: Vec<u8>,
    log: Vec<(Timestamp, Vec<u8>)>,
}

impl Wire {
    fn push(&mut self, at: Timestamp, bytes: Vec<u8>) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, bytes)));
    }

    fn answer(&mut self, ttl: u8, probe: &[u8], nth: u64, seen: Timestamp) -> Option<Vec<u8>> {
        if let Some(n) = self
            .narrow
            .filter(|n| ttl > n.after && probe.len() > usize::from(n.mtu))
        {
            let Hop::Router(router) = self.path[usize::from(n.after) - 1] else {
                return None;
            };
            return n
                .announced
                .then(|| answer::too_big(ip(router), probe, n.mtu))
                .flatten();
        }
        // Every TTL at or beyond the last hop reaches the destination.
        let hop = *self.path.get(usize::from(ttl) - 1).or(self.path.last())?;
        let before = &self.path[..(usize::from(ttl) - 1).min(self.path.len())];
        let port = IpView::parse(probe, Quoting::Whole).ok().and_then(|v| {
            v.payload
                .get(2..4)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
        });
        if before
            .iter()
            .any(|h| matches!(h, Hop::Passes(_, only) if port != Some(*only)))
        {
            return None;
        }
        let forwarded = as_forwarded(probe, before);
        let answer = self.answer_to(hop, ttl, &forwarded, nth, seen)?;
        Some(to_us(answer, probe))
    }

    /// What `hop` answers to `probe` as it arrived there.
    fn answer_to(
        &mut self,
        hop: Hop,
        ttl: u8,
        probe: &[u8],
        nth: u64,
        seen: Timestamp,
    ) -> Option<Vec<u8>> {
        match hop {
            Hop::Router(a)
            | Hop::Passes(a, _)
            | Hop::RewritesChecksum(a)
            | Hop::StatelessNat(a) => answer::time_exceeded(ip(a), probe, 8),
            Hop::Balanced(a, b) => {
                answer::time_exceeded(ip(if nth.is_multiple_of(2) { a } else { b }), probe, 8)
            }
            Hop::PerFlow(routers) => {
                let pick = flow_hash(probe, ttl) % routers.len() as u64;
                answer::time_exceeded(ip(routers[pick as usize]), probe, 8)
            }
            Hop::PerFlowAlike(routers) => {
                let pick = flow_hash(probe, 1) % routers.len() as u64;
                answer::time_exceeded(ip(routers[pick as usize]), probe, 8)
            }
            Hop::Silent | Hop::Mute => None,
            Hop::Limited(a) => {
                const SECOND: u64 = 1_000_000_000;
                let (credit, stamp) = self.credit.entry(ttl).or_insert((6 * SECOND, seen));
                let gained = seen.since(*stamp).as_nanos() as u64;
                *credit = (*credit + gained).min(6 * SECOND);
                *stamp = (*stamp).max(seen);
                if *credit < SECOND {
                    return None;
                }
                *credit -= SECOND;
                answer::time_exceeded(ip(a), probe, 8)
            }
            Hop::Unreachable(a, code) => answer::unreachable(ip(a), probe, code),
            Hop::Open => {
                // The SYN reaches the server half a path's RTT after it
                // left; the RST to the SYN-ACK a whole RTT after that.
                let hops = self.path.len() as u32;
                let arrives = seen.after(self.rtt * hops / 2);
                let ports = IpView::parse(probe, Quoting::Whole)
                    .ok()
                    .and_then(|v| v.payload.get(..4).map(|p| [p[0], p[1], p[2], p[3]]))
                    .map_or(0, u32::from_be_bytes);
                if self.syn_received.get(&ports).is_some_and(|&t| t > arrives) {
                    return None;
                }
                self.syn_received
                    .insert(ports, arrives.after(self.rtt * hops));
                answer::tcp_answer(probe, 0x02)
            }
            Hop::Closed => match IpView::parse(probe, Quoting::Whole).map(|v| v.protocol) {
                // A closed UDP port, or an ICMP echo answered.
                Ok(17) => answer::unreachable(ip(DESTINATION), probe, 3),
                Ok(1 | 58) => answer::echo_reply(probe),
                _ => answer::tcp_answer(probe, 0x04),
            },
        }
    }

    /// Puts what was sent on the wire, with the answers it will get.
    fn absorb(&mut self) {
        let sent: Vec<_> = self.outbox.borrow_mut().drain(..).collect();
        for (seen, probe) in sent {
            let ttl = IpView::parse(&probe, Quoting::Whole).map_or(1, |v| v.ttl);
            let nth = self.per_ttl.entry(ttl).or_default();
            let n = *nth;
            *nth += 1;
            let answer = self.answer(ttl, &probe, n, seen);
            // Through ordinary sockets, the kernel's report of it.
            let answer = match (self.sockets, answer) {
                (true, Some(a)) => crate::sockets::rebuild::as_reported(&probe, &a),
                (_, a) => a,
            };
            self.push(seen, probe);
            if let Some(a) = answer {
                self.push(seen.after(self.rtt * u32::from(ttl)), a);
            }
        }
    }
}

/// What a load balancer hashing the 5-tuple (and `salt`, standing for
/// the router) makes of a probe: its source port (TCP, UDP) or its ICMP
/// identifier and sequence, which are what vary between flows.
fn flow_hash(probe: &[u8], salt: u8) -> u64 {
    let Ok(ip) = IpView::parse(probe, Quoting::Whole) else {
        return 0;
    };
    let flow = match ip.payload {
        [a, b, _, _, c, d, e, f, ..] if ip.protocol == ip.icmp_protocol() => {
            u64::from(u16::from_be_bytes([*c, *d]).wrapping_add(u16::from_be_bytes([*e, *f])))
                | u64::from(*a) << 16
                | u64::from(*b) << 24
        }
        [a, b, ..] => u64::from(u16::from_be_bytes([*a, *b])),
        _ => 0,
    };
    if salt == 0 {
        return flow;
    }
    (flow ^ u64::from(salt) << 32)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(23)
}

impl Wire {
    fn deliver(&mut self) -> Input<'_> {
        let Some(Reverse((t, _, bytes))) = self.queue.pop() else {
            return Input::Idle;
        };
        self.clock.saw(t);
        self.log.push((t, bytes.clone()));
        self.current = bytes;
        Input::Packet(Packet {
            ts: t,
            frame: &self.current,
            ip_offset: Some(0),
        })
    }

    fn head(&self) -> Option<Timestamp> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }
}

impl PacketSource for Wire {
    fn next(&mut self, until: Option<Timestamp>) -> Result<Input<'_>> {
        self.absorb();
        // A wake-up is for what was captured before it: with a lag, that
        // is known only the lag later (as CaptureSource waits).
        let wake = until.map(|t| t.after(self.lag + Duration::from_nanos(1)));
        match (self.head(), wake) {
            (Some(t), Some(w)) if t > w => {
                self.clock.advance_to(w);
                Ok(Input::Idle)
            }
            (Some(_), _) => Ok(self.deliver()),
            (None, Some(w)) => {
                self.clock.advance_to(w);
                Ok(Input::Idle)
            }
            (None, None) => panic!("engine stalled: nothing to wait for"),
        }
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        self.absorb();
        match self.head() {
            Some(t) if t <= self.clock.now() => Ok(self.deliver()),
            _ => Ok(Input::Idle),
        }
    }

    fn lag(&self) -> Duration {
        self.lag
    }
}

/// Collects the prober's events.
#[derive(Default)]
struct Events(Vec<Event>);

impl Observer<Engine> for Events {
    fn step(&mut self, engine: &mut Engine) -> Result<()> {
        while let Some(e) = engine.poll_event() {
            self.0.push(e);
        }
        Ok(())
    }
}

/// One simulated run's path and what it saw.
pub struct Sim {
    pub path: Vec<Hop>,
    pub narrow: Option<Narrow>,
    pub rtt: Duration,
    /// How long after its timestamp a packet reaches the driver (a live
    /// capture's is 25 ms); none by default.
    pub lag: Duration,
    /// Probes sent.
    pub sent: u64,
    /// Every packet delivered, probes and answers, for replaying.
    pub log: Vec<(Timestamp, Vec<u8>)>,
    pub events: Vec<Event>,
    /// Answers as the sockets transport rebuilds them from the kernel's
    /// reports (a run without privileges), not as captured.
    pub sockets: bool,
    /// The fake clock when the run finished.
    pub now: Timestamp,
}

impl Sim {
    pub fn new(path: Vec<Hop>) -> Self {
        Sim {
            path,
            narrow: None,
            rtt: Duration::from_millis(1),
            lag: Duration::ZERO,
            sent: 0,
            log: Vec::new(),
            events: Vec::new(),
            sockets: false,
            now: Timestamp::from_nanos(T0),
        }
    }

    /// Runs `engine` over the path through the session driver.
    pub fn run(&mut self, engine: &mut Engine) {
        let mut events = Events::default();
        self.run_prober(engine, &mut events);
        self.events.extend(events.0);
    }

    /// Runs any prober over the path through the session driver.
    pub fn run_prober<P: Prober, O: Observer<P>>(&mut self, prober: &mut P, observer: &mut O) {
        let clock = Rc::new(PacketClock::starting_at(self.now));
        let outbox = Outbox::default();
        let mut sender = SimSender {
            outbox: outbox.clone(),
            clock: clock.clone(),
            sent: 0,
        };
        let mut wire = Wire {
            path: self.path.clone(),
            narrow: self.narrow,
            rtt: self.rtt,
            outbox,
            clock: clock.clone(),
            queue: BinaryHeap::new(),
            seq: 0,
            per_ttl: HashMap::new(),
            syn_received: HashMap::new(),
            credit: HashMap::new(),
            lag: self.lag,
            sockets: self.sockets,
            current: Vec::new(),
            log: Vec::new(),
        };
        let io = Io {
            source: &mut wire,
            clock: &*clock,
            sender: &mut sender,
        };
        run(prober, io, observer, &AtomicBool::new(false)).expect("simulated run");
        self.sent += sender.sent;
        self.log.extend(wire.log);
        self.now = clock.now();
    }

    pub fn elapsed(&self) -> Duration {
        self.now.since(Timestamp::from_nanos(T0))
    }
}

mod middlebox;
