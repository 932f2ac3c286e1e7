//! nftables rulesets for the lab's scenarios.

/// A router that sends no ICMP time-exceeded.
pub const SILENT_ROUTER: &str = "table inet silent {
  chain out { type filter hook output priority 0;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
}";

/// A firewall that drops one TCP port in transit.
pub fn block_port(port: u16) -> String {
    format!(
        "table inet block{port} {{
  chain transit {{ type filter hook forward priority 0;
    tcp dport {port} drop
  }}
}}"
    )
}

/// A firewall that drops everything aimed at one port in transit: TCP
/// and UDP to it, and ICMP echo requests (a ping's "port").
pub fn block_all_to(port: u16) -> String {
    format!(
        "table inet blockall{port} {{
  chain transit {{ type filter hook forward priority 0;
    tcp dport {port} drop
    udp dport {port} drop
    icmp type echo-request drop
    icmpv6 type echo-request drop
  }}
}}"
    )
}

/// A lossy router: it drops `percent` of the packets it forwards, at
/// random (what it answers itself, time-exceeded, is not dropped).
pub fn drop_share(percent: u8) -> String {
    format!(
        "table inet lossy {{
  chain transit {{ type filter hook forward priority 0;
    numgen random mod 100 < {percent} drop
  }}
}}"
    )
}

/// A firewall that drops ICMP echo requests in transit.
pub const BLOCK_ECHO: &str = "table inet noping {
  chain transit { type filter hook forward priority 0;
icmp type echo-request drop
icmpv6 type echo-request drop
  }
}";

/// A firewall that rejects one TCP port in transit with an ICMP
/// unreachable: `kind` is an nftables icmpx type (admin-prohibited,
/// no-route, host-unreachable).
pub fn reject_port(port: u16, kind: &str) -> String {
    format!(
        "table inet reject{port} {{
  chain transit {{ type filter hook forward priority 0;
tcp dport {port} reject with icmpx type {kind}
  }}
}}"
    )
}

/// A router that rejects one TCP port with a TCP reset in the
/// target's name.
pub fn reset_port(port: u16) -> String {
    format!(
        "table inet reset{port} {{
  chain transit {{ type filter hook forward priority 0;
tcp dport {port} reject with tcp reset
  }}
}}"
    )
}

/// A router that sends no "fragmentation needed" / "packet too big"
/// (or a firewall that drops them): with a narrower link after it,
/// an MTU black hole.
pub const NO_TOO_BIG: &str = "table inet hole {
  chain out { type filter hook output priority 0;
icmp type destination-unreachable icmp code frag-needed drop
icmpv6 type packet-too-big drop
  }
}";

/// A router that clamps the MSS of forwarded SYNs to 1200 and sets
/// DSCP CS1 (8) on everything it forwards, IPv4 and IPv6.
pub const MANGLE: &str = "table inet mangle {
  chain transit { type filter hook forward priority -150;
tcp flags syn tcp option maxseg size set 1200
ip dscp set cs1
ip6 dscp set cs1
  }
}";

/// A host that silently drops one TCP port addressed to it.
pub fn drop_input_port(port: u16) -> String {
    format!(
        "table inet filtered{port} {{
  chain input {{ type filter hook input priority 0;
tcp dport {port} drop
  }}
}}"
    )
}

/// A transparent proxy: TCP port `from` redirected to a local `to`.
pub fn redirect(from: u16, to: u16) -> String {
    format!(
        "table inet proxy {{
  chain prerouting {{ type nat hook prerouting priority -100;
tcp dport {from} redirect to :{to}
  }}
}}"
    )
}
