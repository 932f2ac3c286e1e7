//! A mutation fuzzer for `classify`, on stable Rust (cargo-fuzz needs a
//! nightly toolchain). Seeds are the byte fixtures and answers built
//! around them; mutations flip bits, overwrite length and header bytes
//! with boundary values, truncate, extend and splice. Every input goes to
//! every strategy of both families; none may panic, and the answer must
//! not depend on anything but the bytes.
//!
//! `cargo test` runs a short pass with a fresh seed, which it prints (a
//! failure names it too); `FUZZ_SEED=0x...` reruns exactly that pass. A
//! long run:
//! `FUZZ_SECONDS=600 cargo test --release -p tracetcp-strategies --test fuzz_classify -- --nocapture`

mod common;

use common::seeded::{seed, Rng};

use common::*;
use std::time::{Duration, Instant};
use tracetcp_strategies::{strategy_for, Classification, Protocol, Strategy};

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (protocol, v6, fixture) in cases() {
        let probe = hex(fixture);
        let router = ip(if v6 { ROUTER_V6 } else { ROUTER_V4 });
        seeds.push(time_exceeded(router, &probe, 8));
        seeds.push(time_exceeded(router, &probe, probe.len()));
        let (t, c) = if v6 { (1, 4) } else { (3, 3) };
        seeds.push(icmp_error(session(v6).dst(), &probe, 8, t, c, [0; 4]));
        if protocol == Protocol::Tcp {
            seeds.push(tcp_answer(v6, 0x12, 0x4242_0008));
        }
        seeds.extend(with_mpls(router, &probe));
        seeds.push(probe);
    }
    seeds
}

/// Errors with an RFC 4884 structure holding an MPLS stack after the
/// padded quote: extensions as routers send them, and hostile ones (an
/// object longer than the structure, a packet too big that may not carry
/// any), to mutate.
fn with_mpls(router: std::net::IpAddr, probe: &[u8]) -> Vec<Vec<u8>> {
    use tracetcp_strategies::answer;
    let ext = mpls_extension();
    let mut long_object = ext.clone();
    long_object[4..6].copy_from_slice(&0xffu16.to_be_bytes());
    let ptb = if router.is_ipv6() { 2 } else { 3 };
    [
        answer::time_exceeded_extended(router, probe, &ext),
        answer::time_exceeded_extended(router, probe, &long_object),
        answer::error_extended(router, probe, ptb, &ext),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                // boundary values into any byte: lengths, IHL, offsets, types
                let i = rng.below(b.len());
                b[i] = [0x00, 0x01, 0x0f, 0x40, 0x45, 0x4f, 0x60, 0x7f, 0x80, 0xff][rng.below(10)];
            }
            2 => b.truncate(rng.below(b.len() + 1)),
            3 => {
                for _ in 0..rng.below(64) {
                    b.push(rng.next() as u8);
                }
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let at = rng.below(b.len() + 1);
                let from = rng.below(other.len());
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            5 if b.len() >= 6 => {
                // the length fields of IPv4 (bytes 2-3) and IPv6 (bytes 4-5)
                let i = [2, 4][rng.below(2)];
                let v = rng.next() as u16;
                b[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            _ => {
                b = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
            }
        }
    }
    b
}

fn strategies() -> Vec<Box<dyn Strategy>> {
    let mut all = Vec::new();
    for v6 in [false, true] {
        for p in Protocol::ALL {
            all.push(strategy_for(p, session(v6)));
        }
    }
    all
}

fn run(seed: u64, budget: Duration, min_iterations: u64) -> (u64, u64) {
    let seeds = seeds();
    let strategies = strategies();
    // xorshift must not start at 0.
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let (mut tried, mut claimed) = (0u64, 0u64);
    while tried < min_iterations || start.elapsed() < budget {
        let input = mutate(&mut rng, &seeds);
        for s in &strategies {
            let first = s.classify(&input);
            assert_eq!(
                first,
                s.classify(&input),
                "not deterministic on {input:02x?} (rerun: FUZZ_SEED={seed:#x})"
            );
            if !matches!(first, Classification::NotOurs(_)) {
                claimed += 1;
            }
        }
        tried += 1;
    }
    (tried, claimed)
}

#[test]
fn classify_never_panics_on_mutated_packets() {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let seed = seed();
    // Printed first, so that a panic deep in a parser still leaves it.
    eprintln!("fuzz_classify: seed {seed:#x} (rerun with FUZZ_SEED={seed:#x})");
    let (tried, claimed) = run(seed, Duration::from_secs(seconds), 20_000);
    println!("fuzz_classify: seed {seed:#x}: {tried} inputs, each to 6 strategies; {claimed} classified as ours");
    assert!(tried >= 20_000);
    // The mutations must still reach the deep paths, not only parse errors.
    assert!(
        claimed > 0,
        "no mutated input reached a successful classification"
    );
}
