//! The ports and kinds a command line asks for: `--compare SPEC` and
//! `-r`/`-s` ranges.

use crate::error::{Error, Result};
use crate::target::resolve_port;
use crate::trace::TraceSpec;
use tracetcp_strategies::Protocol;

/// Default destination port of TCP probes (the original tool's).
pub const DEFAULT_TCP_PORT: u16 = 80;
/// Default destination port of UDP probes (traceroute's base port).
pub const DEFAULT_UDP_PORT: u16 = 33434;

/// The traces of `--compare SPEC`: "tcp:80,tcp:135,udp,icmp"; an empty
/// SPEC means tcp on the target's port, udp and icmp.
pub(super) fn compare_specs(spec: &str, target_port: Option<&str>) -> Result<Vec<TraceSpec>> {
    let spec = if spec.trim().is_empty() {
        "tcp,udp,icmp"
    } else {
        spec
    };
    let mut specs = Vec::new();
    for item in spec.split(',').map(str::trim) {
        let (kind, port) = match item.split_once(':') {
            Some((k, p)) => (k, Some(p)),
            None => (item, None),
        };
        let protocol: Protocol = kind
            .parse()
            .map_err(|e: String| Error::Usage(format!("--compare: {e}")))?;
        let port = match (protocol, port, target_port) {
            (Protocol::Icmp, Some(_), _) => {
                return Err(Error::Usage(format!(
                    "--compare: icmp takes no port ('{item}')"
                )))
            }
            (Protocol::Icmp, None, _) => 0,
            (p, Some(port), _) => resolve_port(port, p)?,
            (Protocol::Tcp, None, Some(port)) => resolve_port(port, Protocol::Tcp)?,
            (Protocol::Tcp, None, None) => DEFAULT_TCP_PORT,
            (Protocol::Udp, None, _) => DEFAULT_UDP_PORT,
        };
        let t = TraceSpec::new(protocol, port);
        if specs.contains(&t) {
            return Err(Error::Usage(format!("--compare: '{item}' twice")));
        }
        specs.push(t);
    }
    Ok(specs)
}

pub(super) fn port_range(r: &[u16]) -> Result<Vec<u16>> {
    match r {
        [a, b] if *a >= 1 && a <= b => Ok((*a..=*b).collect()),
        _ => Err(Error::Usage(format!(
            "bad port range {}: ports must be {}, the first no higher than the last",
            r.iter().map(u16::to_string).collect::<Vec<_>>().join(" "),
            crate::words::range(1, 65535)
        ))),
    }
}
