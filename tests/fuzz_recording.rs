//! A mutation fuzzer for the recording reader and the replay behind it,
//! on stable Rust (the libFuzzer targets in fuzz/ need nightly). Seeds are
//! the recordings in captures/ and other tools' captures; mutations flip
//! bits, overwrite bytes (block lengths and option lengths included) with
//! boundary values, truncate, splice and duplicate blocks. Every input replays in every
//! report format, in this process: none may panic.
//!
//! `cargo test` runs a short pass with the seed tests/test.sh prints
//! (FUZZ_SEED), or a fresh one, which a failure names; `FUZZ_SEED=0x...`
//! reruns exactly that pass. A long run:
//! `FUZZ_SECONDS=600 cargo test --release --test fuzz_recording -- --nocapture`

#[path = "../strategies/tests/common/seeded.rs"]
mod seeded;

#[path = "support/replay_any.rs"]
mod replay_any;

use replay_any::replay_in_every_format;
use seeded::{seed, Rng};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The recordings of captures/, other tools' bare captures
/// (captures/foreign: inference) and the libFuzzer corpus (hostile ones
/// included: every port claimed, cut in the middle of a packet; other
/// tools' captures as pcapng, nanosecond pcap, two sections).
fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = ["captures", "captures/foreign", "fuzz/corpus/recording"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

const BOUNDARY: [u32; 8] = [0, 1, 4, 12, 0x7fff_ffff, 0xffff_ffff, 0x0001_0000, 28];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let len = b.len().max(1);
        match rng.below(6) {
            0 => {
                let i = rng.below(len);
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
            1 => {
                // A 32-bit field (a block or packet length) set to a
                // boundary value, at a 4-byte boundary.
                let i = rng.below(len / 4) * 4;
                let v = BOUNDARY[rng.below(BOUNDARY.len())].to_le_bytes();
                if i + 4 <= b.len() {
                    b[i..i + 4].copy_from_slice(&v);
                }
            }
            2 => {
                let i = rng.below(len);
                if let Some(x) = b.get_mut(i) {
                    *x = [0, 0xff, 0x7f, 0x80][rng.below(4)];
                }
            }
            3 => b.truncate(rng.below(len)),
            4 => {
                // Splice a stretch of another recording in.
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let n = rng.below(256).min(other.len() - from);
                let at = rng.below(len);
                let tail = b.split_off(at.min(b.len()));
                b.extend_from_slice(&other[from..from + n]);
                b.extend_from_slice(&tail);
            }
            _ => {
                // A stretch written twice (a block duplicated).
                let from = rng.below(len);
                let n = rng.below(512).min(b.len().saturating_sub(from));
                let copy = b[from..from + n].to_vec();
                b.splice(from..from, copy);
            }
        }
    }
    b
}

#[test]
fn replay_never_panics_on_mutated_recordings() {
    let seed = seed();
    eprintln!("fuzz_recording seed: {seed:#x} (rerun: FUZZ_SEED={seed:#x})");
    let seeds = seeds();
    let budget = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_millis(1500), Duration::from_secs);
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut tried = 0u64;
    while tried < 100 || start.elapsed() < budget {
        let input = mutate(&mut rng, &seeds);
        let caught = std::panic::catch_unwind(|| replay_in_every_format(&input));
        if caught.is_err() {
            let path = std::env::temp_dir().join(format!("tracetcp-fuzz-{seed:x}-{tried}.pcap"));
            let _ = std::fs::write(&path, &input);
            panic!(
                "replay panicked on input {tried} of seed {seed:#x}; saved to {}",
                path.display()
            );
        }
        tried += 1;
    }
    eprintln!("fuzz_recording: {tried} mutated recordings replayed");
}
