//! What traceroute, mtr and tcpdump users type, before clap reads it:
//! `--compare SPEC` with a space (merged into `--compare=SPEC` when the
//! next word looks like a SPEC), and hints where a habit clashes with an
//! original flag (-w, -p, -h) instead of a surprising meaning.

use crate::error::{Error, Result};
use std::ffi::OsString;

/// Whether `word` is a comparison SPEC: comma-separated probe kinds, each
/// with an optional port or service ("tcp:80,tcp:ssh,udp,icmp"). A host
/// never looks like one, so `--compare tcp:80,icmp host` and
/// `--compare host` both read right.
pub fn looks_like_spec(word: &str) -> bool {
    !word.is_empty()
        && word.split(',').all(|item| {
            let (kind, port) = match item.split_once(':') {
                Some((k, p)) => (k, Some(p)),
                None => (item, None),
            };
            ["tcp", "udp", "icmp", "icmp6", "icmpv6"].contains(&kind.to_ascii_lowercase().as_str())
                && port.is_none_or(|p| !p.is_empty())
        })
}

fn hint(text: &str) -> Error {
    Error::Usage(text.to_string())
}

/// The command line as clap should read it, or a hint for a habit.
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Result<Vec<OsString>> {
    let args: Vec<OsString> = args.into_iter().collect();
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let word = args[i].to_string_lossy().into_owned();
        let next = args.get(i + 1).map(|a| a.to_string_lossy().into_owned());
        let number = next
            .as_deref()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match word.as_str() {
            "--compare" if next.as_deref().is_some_and(looks_like_spec) => {
                out.push(OsString::from(format!(
                    "--compare={}",
                    next.unwrap_or_default()
                )));
                i += 2;
                continue;
            }
            "-help" => return Err(hint("help is --help or -? (-h is the start hop)")),
            "-h" if !number => {
                return Err(hint(
                    "-h takes the first TTL (-h 3); help is --help or -? (quote -? in some shells)",
                ))
            }
            "-w" if number => {
                return Err(hint(
                    "-w writes a capture file (-w FILE); the timeout is -t MS, or --wait SECONDS",
                ))
            }
            "-p" | "-q"
                if number && next.as_deref().and_then(|n| n.parse::<u32>().ok()) > Some(16) =>
            {
                return Err(hint(&format!(
                    "{word} is probes per hop (1 to 16); the port goes in host:port, or --port {}",
                    next.unwrap_or_default()
                )))
            }
            _ => {}
        }
        out.push(args[i].clone());
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn norm(s: &str) -> std::result::Result<String, String> {
        normalize(words(s))
            .map(|v| {
                v.iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn compare_takes_a_spec_with_a_space_and_leaves_a_host_alone() {
        assert_eq!(
            norm("tracetcp --compare tcp:80,icmp host").unwrap(),
            "tracetcp --compare=tcp:80,icmp host"
        );
        assert_eq!(
            norm("tracetcp host --compare udp").unwrap(),
            "tracetcp host --compare=udp"
        );
        assert_eq!(
            norm("tracetcp --compare host").unwrap(),
            "tracetcp --compare host"
        );
        assert!(!looks_like_spec("example.com"));
        assert!(!looks_like_spec("tcp:"));
        assert!(looks_like_spec("TCP:ssh,ICMP"));
    }

    #[test]
    fn clashing_habits_get_hints() {
        assert!(norm("tracetcp host -w 2")
            .unwrap_err()
            .contains("-w writes a capture file"));
        assert!(norm("tracetcp host -p 443")
            .unwrap_err()
            .contains("the port goes in host:port"));
        assert!(norm("tracetcp -help")
            .unwrap_err()
            .contains("help is --help or -?"));
        assert!(norm("tracetcp host -h")
            .unwrap_err()
            .contains("help is --help or -?"));
        assert_eq!(
            norm("tracetcp host -h 3 -w rec.pcapng -p 2").unwrap(),
            "tracetcp host -h 3 -w rec.pcapng -p 2"
        );
    }
}
