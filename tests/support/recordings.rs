//! Replaying recordings in the replay tests: the fixtures' directory,
//! in-process replays, temporary files, fixtures rewritten.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tracetcp::error::Error;
use tracetcp::record::{pcapng, reader};
use tracetcp::replay::ReplayConfig;
use tracetcp::report::Format;

pub fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

pub fn replay(path: &Path, format: Format, show_packets: bool) -> Result<String, Error> {
    replay_as(path, Some(format), show_packets)
}

pub fn replay_as(path: &Path, format: Option<Format>, show_packets: bool) -> Result<String, Error> {
    let config = ReplayConfig {
        path: path.to_path_buf(),
        format,
        diagnosis: true,
        every_hop: false,
        numeric: true,
        show_packets,
        session: None,
    };
    let mut out = Vec::new();
    tracetcp::replay::run(&config, &mut out)?;
    Ok(String::from_utf8(out).expect("utf-8"))
}

pub fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("tracetcp-test-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The fixture `name` with its session description changed by `edit`
/// and its names block replaced by `names`, as a temporary file.
pub fn rewritten(
    name: &str,
    edit: impl Fn(&mut serde_json::Value),
    names: &[(std::net::IpAddr, String)],
) -> PathBuf {
    let path = captures().join(name);
    let good = std::fs::read(&path).unwrap();
    let comment = reader::annotations(&good).unwrap().section_comment.unwrap();
    let mut session: serde_json::Value = serde_json::from_str(&comment).unwrap();
    edit(&mut session);
    let mut w = pcapng::Writer::new(Vec::new(), 1, 65535, &session.to_string()).unwrap();
    let mut cap = pcap::Capture::from_file(&path).unwrap();
    while let Ok(p) = cap.next_packet() {
        let ts = p.header.ts.tv_sec as u64 * 1_000_000_000 + p.header.ts.tv_usec as u64 * 1000;
        w.packet(ts, p.data, None).unwrap();
    }
    let bytes = w.finish(names, "{}").unwrap();
    let stem = format!("{}-{}", name, session.to_string().len());
    temp(&stem, &bytes)
}
