//! What the tests of runs with many targets share: addresses added to the
//! lab's server to trace, probes counted on the wire, and what --jsonl
//! documents say.
#![allow(dead_code)]

use super::lab::Lab;
use serde_json::Value;
use std::collections::BTreeMap;

/// Adds `n` addresses to the lab's server (198.18.3.10 on), its ICMP
/// rate limit lifted, and gives them in order.
pub fn server_addresses(lab: &Lab, n: usize) -> Vec<String> {
    let targets: Vec<String> = (0..n).map(|k| format!("198.18.3.{}", 10 + k)).collect();
    let mut script = String::from("sysctl -qw net.ipv4.icmp_ratelimit=0;");
    for t in &targets {
        script.push_str(&format!("ip addr add {t}/24 dev west;"));
    }
    let out = lab.sh(lab.server(), &script);
    assert!(out.status.success(), "{out:?}");
    targets
}

/// Probe send times from a capture on the client's link (seconds).
pub fn probe_times(pcap: &std::path::Path) -> Vec<f64> {
    super::cli::tshark_field(pcap, "frame.time_epoch")
        .iter()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The JSON documents of --jsonl output, a line each.
pub fn documents(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The targets the documents' first traces reached, sorted.
pub fn reached(docs: &[Value]) -> Vec<String> {
    let mut reached: Vec<String> = docs
        .iter()
        .filter(|d| d["traces"][0]["end"]["reason"] == "reached")
        .map(|d| {
            d["traces"][0]["end"]["address"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    reached.sort();
    reached
}

/// Each target's hops: the address that answered first at each TTL.
pub fn hops_of(docs: &[Value]) -> BTreeMap<String, Vec<String>> {
    docs.iter()
        .map(|d| {
            let hops = d["traces"][0]["hops"].as_array().unwrap();
            let path = hops
                .iter()
                .map(|h| {
                    let addr = &h["responders"][0]["address"];
                    format!("{}:{}", h["ttl"], addr.as_str().unwrap_or("*"))
                })
                .collect();
            (d["target"]["address"].as_str().unwrap().to_string(), path)
        })
        .collect()
}
