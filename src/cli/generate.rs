//! The man page and shell completions, generated from the one clap
//! definition (`tracetcp --generate man|bash|zsh|fish|elvish|powershell`).

use super::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};

/// What --generate accepts.
pub const WHAT: [&str; 6] = ["man", "bash", "zsh", "fish", "elvish", "powershell"];

/// Writes the man page (roff) or the completion script for a shell.
pub fn generate(what: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let shell = match what {
        "man" => return clap_mangen::Man::new(cmd).render(out),
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "elvish" => Shell::Elvish,
        _ => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "tracetcp", out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_and_completions_name_every_flag() {
        let mut man = Vec::new();
        generate("man", &mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        assert!(
            man.starts_with(".ie") || man.contains(".TH"),
            "{}",
            &man[..200]
        );
        for flag in ["multipath", "replay", "compare", "no\\-paris"] {
            assert!(man.contains(flag), "man page lacks {flag}");
        }
        for shell in &WHAT[1..] {
            let mut out = Vec::new();
            generate(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.contains("multipath") && text.contains("tracetcp"),
                "{shell}"
            );
        }
    }
}
