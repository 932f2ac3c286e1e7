//! The list of targets of a run with many (`--targets FILE`, `-` for
//! standard input, and the hosts on the command line): one
//! `host[:port]` a line, blank lines and `#` comments skipped, each kept
//! with where it came from so that a bad one is reported by its line.
//! The file is read as the run reaches its lines, never held whole: a
//! list of a million targets costs what the targets in flight cost.
//!
//! Owns reading the list; pure but for reading the file.

use std::io::{BufRead, BufReader, Read};

/// One target as written, and where.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub text: String,
    /// "targets.txt:3", or "the command line".
    pub origin: String,
}

/// The list: the hosts on the command line, then a file's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetList {
    pub command_line: Vec<String>,
    /// The file (`-`: standard input).
    pub file: Option<String>,
    /// How many targets it holds, when known before it is read (not for
    /// standard input).
    pub total: Option<usize>,
}

/// The target on a line, if the line holds one.
fn target_on(line: &str) -> Option<&str> {
    let line = line.split('#').next().unwrap_or("").trim();
    (!line.is_empty()).then_some(line)
}

/// The targets of a stream's lines, read as they are asked for; a read
/// error ends them with why.
fn lines(stream: impl Read, name: String) -> impl Iterator<Item = Result<Target, String>> {
    let mut failed = false;
    BufReader::new(stream)
        .lines()
        .enumerate()
        .map_while(move |(i, line)| {
            if failed {
                return None;
            }
            Some(match line {
                Ok(line) => Ok(target_on(&line).map(|t| Target {
                    text: t.to_string(),
                    origin: format!("{name}:{}", i + 1),
                })),
                Err(e) => {
                    failed = true;
                    Err(format!("{name}:{}: cannot read the list: {e}", i + 1))
                }
            })
        })
        .filter_map(Result::transpose)
}

impl TargetList {
    /// The list of `command_line` and `file` (checked readable, and its
    /// targets counted without keeping them, unless standard input).
    pub fn new(command_line: Vec<String>, file: Option<String>) -> Result<Self, String> {
        let in_file = match file.as_deref() {
            None | Some("-") => None,
            Some(path) => {
                let f =
                    std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
                let mut n = 0;
                for t in lines(f, path.to_string()) {
                    t?;
                    n += 1;
                }
                Some(n)
            }
        };
        let total = match file.as_deref() {
            Some("-") => None,
            _ => Some(command_line.len() + in_file.unwrap_or(0)),
        };
        Ok(TargetList {
            command_line,
            file,
            total,
        })
    }

    /// The targets, in order, as they are read; a file that cannot be
    /// read (any more) gives why, once, and ends them.
    pub fn read(self) -> Box<dyn Iterator<Item = Result<Target, String>> + Send> {
        let command_line = self.command_line.into_iter().map(|text| {
            Ok(Target {
                text,
                origin: "the command line".into(),
            })
        });
        let file: Box<dyn Iterator<Item = Result<Target, String>> + Send> = match self.file {
            None => Box::new(std::iter::empty()),
            Some(path) if path == "-" => Box::new(lines(std::io::stdin(), "stdin".into())),
            Some(path) => match std::fs::File::open(&path) {
                Ok(f) => Box::new(lines(f, path)),
                Err(e) => Box::new(std::iter::once(Err(format!("cannot read {path}: {e}")))),
            },
        };
        Box::new(command_line.chain(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, name: &str) -> Vec<Target> {
        lines(text.as_bytes(), name.to_string())
            .map(Result::unwrap)
            .collect()
    }

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
        let e = TargetList::new(Vec::new(), Some("/nonexistent/targets.txt".into())).unwrap_err();
        assert!(e.starts_with("cannot read /nonexistent/targets.txt"), "{e}");
    }

    #[test]
    fn the_command_line_comes_first_and_the_file_is_counted_not_kept() {
        let path = std::env::temp_dir().join(format!("tracetcp-list-{}", std::process::id()));
        std::fs::write(&path, "# two\n198.18.3.10\n\n198.18.3.11:443\n").unwrap();
        let file = path.to_str().unwrap().to_string();
        let list = TargetList::new(vec!["198.18.3.2".into()], Some(file.clone())).unwrap();
        assert_eq!(list.total, Some(3));
        let got: Vec<Target> = list.read().map(Result::unwrap).collect();
        assert_eq!(got[0].origin, "the command line");
        assert_eq!(got[2].text, "198.18.3.11:443");
        assert_eq!(got[2].origin, format!("{file}:4"));
        let _ = std::fs::remove_file(&path);
        // A line that is not text ends the list with why.
        let bad: Vec<_> = lines(&b"198.18.3.2\n\xff\xfe\n198.18.3.3\n"[..], "l".into()).collect();
        assert_eq!(bad.len(), 2);
        assert!(bad[1]
            .as_ref()
            .unwrap_err()
            .starts_with("l:2: cannot read the list"));
        let stdin = TargetList::new(Vec::new(), Some("-".into())).unwrap();
        assert_eq!(stdin.total, None);
    }
}
