//! Any bytes as a recording: the streaming reader, the session
//! description and the replay in every report format must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use tracetcp::replay::{run_stream, ReplayConfig};
use tracetcp::report::Format;

fuzz_target!(|data: &[u8]| {
    for format in [Format::Classic, Format::Condensed, Format::Json, Format::Compare] {
        let config = ReplayConfig {
            path: PathBuf::from("fuzz"),
            format: Some(format),
            numeric: false,
            show_packets: format == Format::Json,
            diagnosis: true,
        };
        let stream: Box<dyn std::io::Read> = Box::new(std::io::Cursor::new(data.to_vec()));
        let _ = run_stream(stream, "fuzz", &config, std::io::sink());
    }
});
