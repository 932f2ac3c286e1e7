//! Counted nouns, one wording for every message: "1 hop", "2 hops",
//! "1 to 16". Depends on nothing.

/// `n` and the noun, singular for one: `count(1, "hop")` is "1 hop".
/// Nouns whose plural is not a plain "s" are given as "singular/plural".
pub fn count(n: u64, noun: &str) -> String {
    let (one, many) = match noun.split_once('/') {
        Some((one, many)) => (one.to_string(), many.to_string()),
        None => (noun.to_string(), format!("{noun}s")),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A range of values a flag or field accepts, as every message words it.
pub fn range(low: impl std::fmt::Display, high: impl std::fmt::Display) -> String {
    format!("{low} to {high}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_others_plural() {
        assert_eq!(count(1, "hop"), "1 hop");
        assert_eq!(count(0, "hop"), "0 hops");
        assert_eq!(count(3, "port"), "3 ports");
        assert_eq!(count(1, "traceroute session"), "1 traceroute session");
        assert_eq!(count(2, "match/matches"), "2 matches");
        assert_eq!(count(1, "match/matches"), "1 match");
        assert_eq!(range(1, 16), "1 to 16");
    }
}
