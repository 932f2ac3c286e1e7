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
        "man" => return man(cmd, out),
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "elvish" => Shell::Elvish,
        _ => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "tracetcp", out);
    Ok(())
}

/// The man page: clap_mangen's sections, with a synopsis people read
/// (clap's lists every flag, as `[-c ] [-n ]`) and examples.
fn man(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    man.render_title(out)?;
    man.render_name_section(out)?;
    out.write_all(SYNOPSIS.as_bytes())?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    out.write_all(EXAMPLES.as_bytes())?;
    writeln!(out, ".SH \"EXIT STATUS\"\n{}", super::EXIT_CODES)?;
    man.render_version_section(out)
}

const SYNOPSIS: &str = r#".SH SYNOPSIS
.B tracetcp
.IR host [: port | : service ]
.RB [ \-P
.IR tcp | udp | icmp ]
.RI [ options ]
.br
.B tracetcp
.I host
.B \-\-compare\fR[\fB=\fIkind\fB:\fIport\fR,...]
.RI [ options ]
.br
.B tracetcp
.I host
.RB ( \-r | \-s )
.I P1 P2
.RI [ options ]
.br
.B tracetcp
.B \-\-replay
.I file
.RB [ \-\-show\-packets ]
.RB [ \-c | \-\-json | \-\-classic ]
"#;

const EXAMPLES: &str = r#".SH EXAMPLES
.TP
.B tracetcp example.com:443
TCP SYN probes to port 443: where the path stops, and whether the port is open.
.TP
.B tracetcp example.com \-P udp
UDP probes (port 33434 upward, as traceroute).
.TP
.B tracetcp example.com:443 \-\-compare
TCP to 443, UDP and ICMP side by side: is it the port, or the path?
.TP
.B tracetcp example.com \-r 440 445 \-c
One trace per port from 440 to 445, one line per hop.
.TP
.B tracetcp example.com:443 \-w trace.pcapng
Trace and record every packet; replay later with
.BR "tracetcp \-\-replay trace.pcapng" .
.TP
.B tracetcp example.com:443 \-\-watch
Rounds until stopped, with a live view of loss and latency per hop.
"#;

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
        for section in [".SH SYNOPSIS", ".SH EXAMPLES", ".SH \"EXIT STATUS\""] {
            assert!(man.contains(section), "man page lacks {section}");
        }
        assert!(!man.contains("\\-c \\fR]"), "a synopsis of empty brackets");
        assert!(man.contains("4 trace done but its recording"));
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
