//! The list of targets of a run with many (`--targets FILE`, `-` for
//! standard input, and the hosts on the command line): one
//! `host[:port]` a line, blank lines and `#` comments skipped, each kept
//! with where it came from so that a bad one is reported by its line.
//!
//! Owns reading the list; pure but for reading the file.

use std::io::Read;

/// One target as written, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub text: String,
    /// "targets.txt:3", or "the command line".
    pub origin: String,
}

/// The targets in `text`, read from `name`.
pub fn parse(text: &str, name: &str) -> Vec<Target> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.split('#').next().unwrap_or("").trim();
            (!line.is_empty()).then(|| Target {
                text: line.to_string(),
                origin: format!("{name}:{}", i + 1),
            })
        })
        .collect()
}

/// The targets of `path` ("-": standard input).
pub fn read(path: &str) -> Result<Vec<Target>, String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read the targets from standard input: {e}"))?;
        return Ok(parse(&text, "stdin"));
    }
    text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(parse(&text, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_blanks() {
        let t = parse(
            "# servers\n198.18.3.2:80\n\n  198.18.3.3  # the second\n[2001:db8:3::2]:443\n",
            "list.txt",
        );
        let got: Vec<(&str, &str)> = t
            .iter()
            .map(|t| (t.text.as_str(), t.origin.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("198.18.3.2:80", "list.txt:2"),
                ("198.18.3.3", "list.txt:4"),
                ("[2001:db8:3::2]:443", "list.txt:5")
            ]
        );
        assert!(parse("\n# nothing\n", "x").is_empty());
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = read("/nonexistent/targets.txt").unwrap_err();
        assert!(e.starts_with("cannot read /nonexistent/targets.txt"), "{e}");
    }
}
