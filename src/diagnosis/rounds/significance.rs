//! When counts of lost probes carry a finding: Fisher's exact test, one
//! sided, on two hops' (or two kinds') lost and answered probes, at 95%
//! confidence corrected for the number of comparisons a diagnosis makes
//! (Bonferroni); and, when they do not yet, about how many rounds would.
//! Pure arithmetic: depends on nothing of the crate.

/// The confidence every finding drawn from counts holds at.
pub const CONFIDENCE: f64 = 0.95;

/// Past this many rounds, "more rounds would tell" is not worth saying.
pub const MAX_ROUNDS: u64 = 10_000;

/// Lost and sent probes at one hop of one kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub lost: u64,
    pub sent: u64,
}

impl Counts {
    fn rate(self) -> f64 {
        self.lost as f64 / self.sent.max(1) as f64
    }
}

/// The level each of `comparisons` tests must pass for the diagnosis as
/// a whole to hold at `CONFIDENCE`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub comparisons: usize,
}

impl Level {
    pub fn alpha(self) -> f64 {
        (1.0 - CONFIDENCE) / self.comparisons.max(1) as f64
    }

    /// Whether `a` loses more than `b` beyond chance.
    pub fn loses_more(self, a: Counts, b: Counts) -> bool {
        fisher_greater(a, b) < self.alpha()
    }

    /// About how many rounds, at the rates seen so far, would show `a`
    /// losing more than `b` beyond chance: `None` when the rates do not
    /// differ that way or it would take more than `MAX_ROUNDS`.
    pub fn rounds_to_tell(self, a: Counts, b: Counts, rounds: u64) -> Option<u64> {
        if a.rate() <= b.rate() || rounds == 0 {
            return None;
        }
        let at = |n: u64| {
            let scale = |c: Counts| {
                let sent = (c.sent as f64 * n as f64 / rounds as f64).round().max(1.0);
                Counts {
                    lost: (c.rate() * sent).round() as u64,
                    sent: sent as u64,
                }
            };
            self.loses_more(scale(a), scale(b))
        };
        let mut high = rounds.max(1);
        while !at(high) {
            if high >= MAX_ROUNDS {
                return None;
            }
            high = (high * 2).min(MAX_ROUNDS);
        }
        let mut low = rounds.max(1);
        while low < high {
            let mid = low + (high - low) / 2;
            if at(mid) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        Some(high)
    }
}

/// One-sided p-value of Fisher's exact test that `a`'s loss rate is above
/// `b`'s: the chance of `a.lost` or more of all the losses falling on `a`
/// if both lost at the same rate.
pub fn fisher_greater(a: Counts, b: Counts) -> f64 {
    let total = a.sent + b.sent;
    let lost = a.lost + b.lost;
    if total == 0 || a.lost == 0 {
        return 1.0;
    }
    let denominator = ln_choose(total, a.sent);
    let last = a.sent.min(lost);
    let p: f64 = (a.lost..=last)
        .map(|x| (ln_choose(lost, x) + ln_choose(total - lost, a.sent - x) - denominator).exp())
        .sum();
    p.min(1.0)
}

fn ln_choose(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// ln(n!): exact sums for small n, Stirling's series beyond.
fn ln_factorial(n: u64) -> f64 {
    if n < 256 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(lost: u64, sent: u64) -> Counts {
        Counts { lost, sent }
    }

    #[test]
    fn fisher_matches_hand_computed_values() {
        // 3 of 6 against 0 of 6: C(6,3) C(6,0) / C(12,3) = 20/220.
        assert!((fisher_greater(c(3, 6), c(0, 6)) - 20.0 / 220.0).abs() < 1e-12);
        // 4 of 20 against 0 of 20: C(20,4) / C(40,4) = 4845/91390.
        assert!((fisher_greater(c(4, 20), c(0, 20)) - 4845.0 / 91390.0).abs() < 1e-12);
        assert_eq!(fisher_greater(c(0, 20), c(5, 20)), 1.0);
        assert!(fisher_greater(c(2, 20), c(8, 20)) > 0.9);
        // Large counts stay finite and tiny.
        let p = fisher_greater(c(20_000, 100_000), c(1_000, 100_000));
        assert!((0.0..1e-100).contains(&p), "{p}");
    }

    #[test]
    fn ln_factorial_is_continuous_where_the_series_takes_over() {
        let exact: f64 = (2..=256u64).map(|i| (i as f64).ln()).sum();
        assert!((ln_factorial(256) - exact).abs() < 1e-9);
    }

    #[test]
    fn six_rounds_do_not_carry_what_forty_do() {
        let level = Level { comparisons: 6 };
        assert!(!level.loses_more(c(3, 6), c(0, 6)));
        assert!(level.loses_more(c(20, 40), c(0, 40)));
        let n = level.rounds_to_tell(c(3, 6), c(0, 6), 6).unwrap();
        assert!((7..100).contains(&n), "{n}");
        assert!(level.loses_more(c(n.div_ceil(2), n), c(0, n)));
        assert_eq!(level.rounds_to_tell(c(1, 6), c(1, 6), 6), None);
        assert_eq!(level.rounds_to_tell(c(0, 6), c(3, 6), 6), None);
    }

    #[test]
    fn more_comparisons_ask_for_more() {
        let one = Level { comparisons: 1 };
        let ten = Level { comparisons: 10 };
        assert!((ten.alpha() - 0.005).abs() < 1e-12);
        assert!(one.loses_more(c(5, 20), c(0, 20)));
        assert!(!ten.loses_more(c(5, 20), c(0, 20)));
    }
}
