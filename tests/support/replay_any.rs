//! Any bytes replayed as a recording in every report format, in this
//! process: what the seeded pass (tests/fuzz_recording.rs) and the
//! libFuzzer target (fuzz/fuzz_targets/recording.rs) both run.

use std::path::PathBuf;
use tracetcp::replay::{run_stream, ReplayConfig};
use tracetcp::report::Format;

pub fn replay_in_every_format(input: &[u8]) {
    for format in [
        Format::Classic,
        Format::Condensed,
        Format::Json,
        Format::Compare,
    ] {
        let config = ReplayConfig {
            path: PathBuf::from("fuzz"),
            format: Some(format),
            numeric: false,
            show_packets: format == Format::Json,
            diagnosis: true,
            every_hop: false,
            session: None,
        };
        let stream: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(input.to_vec()));
        let _ = run_stream(stream, "fuzz", &config, std::io::sink());
    }
}
