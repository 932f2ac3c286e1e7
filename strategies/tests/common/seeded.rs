//! What the seeded mutation fuzzers share (strategies/tests/fuzz_classify.rs
//! and tests/fuzz_recording.rs): a small seedable generator and the pass's
//! seed (FUZZ_SEED, decimal or 0x-hex, else a fresh one).

/// xorshift64*: small, seedable, good enough to drive mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (xorshift must not start at 0).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The seed of this pass: FUZZ_SEED (decimal or 0x-hex), else a fresh one.
pub fn seed() -> u64 {
    let given = std::env::var("FUZZ_SEED").ok().and_then(|s| {
        let s = s.trim();
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    });
    given.unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (now.as_nanos() as u64 ^ u64::from(std::process::id()) << 32) | 1
    })
}
