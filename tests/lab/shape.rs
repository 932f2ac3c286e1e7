//! Shaping a lab's path: a second equal-cost link, routers answering
//! from their far side, ICMP rate limits, a narrower link.

use super::{run, Lab};
use std::process::Command;

impl Lab {
    /// A second, equal-cost link between router k and router k+1
    /// (198.18.(100+k).0/24): router k spreads flows over both by their
    /// ports, and router k+1 answers from the address of the link a probe
    /// came in on, so its hop shows two responders (IPv4).
    pub fn add_parallel_link(&self, k: usize) {
        let (a, b) = (&self.names[k], &self.names[k + 1]);
        let n = 100 + k;
        run(Command::new("ip").args([
            "link", "add", "name", "east2", "netns", a, "type", "veth", "peer", "name", "west2",
            "netns", b,
        ]));
        let (east2, west2) = (self.mac(a, "east2"), self.mac(b, "west2"));
        self.sh(
            a,
            &format!(
                "ip addr add 198.18.{n}.1/24 dev east2; ip link set east2 up; \
             ip neigh replace 198.18.{n}.2 lladdr {west2} dev east2 nud permanent; \
             echo 1 > /proc/sys/net/ipv4/fib_multipath_hash_policy; \
             ip route replace default nexthop via 198.18.{k}.2 nexthop via 198.18.{n}.2"
            ),
        );
        self.sh(b, &format!(
            "ip addr add 198.18.{n}.2/24 dev west2; ip link set west2 up; \
             ip neigh replace 198.18.{n}.1 lladdr {east2} dev west2 nud permanent; \
             echo 1 > /proc/sys/net/ipv4/icmp_errors_use_inbound_ifaddr; \
             echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 0 > /proc/sys/net/ipv4/conf/west2/rp_filter"
        ));
    }

    /// Router k answers from its address on the server's side (as routers
    /// answering from a loopback or a preferred source do).
    pub fn answer_from_far_side(&self, k: usize) {
        let p = k - 1;
        let mut s = String::new();
        for i in 0..=p {
            s += &format!("ip route replace 198.18.{i}.0/24 via 198.18.{p}.1 src 198.18.{k}.1; ");
        }
        // the link to the previous router is directly connected
        s = s.replace(
            &format!("ip route replace 198.18.{p}.0/24 via 198.18.{p}.1 src 198.18.{k}.1; "),
            &format!("ip route replace 198.18.{p}.0/24 dev west src 198.18.{k}.1; "),
        );
        self.sh(self.router(k), &s);
    }

    /// Gives router k Linux's default ICMP rate limit back (burst 6, then
    /// one a second per peer).
    pub fn default_icmp_ratelimit(&self, k: usize) {
        self.sh(self.router(k), "echo 1000 > /proc/sys/net/ipv4/icmp_ratelimit; echo 1000 > /proc/sys/net/ipv6/icmp/ratelimit");
    }

    /// Gives link `n` (between nodes n and n+1) an MTU of `mtu` bytes and
    /// an IPv6 MTU of `mtu6`, on both ends: the router of node n then
    /// answers bigger packets with "fragmentation needed" / "packet too
    /// big" (unless a ruleset drops them: `rules::NO_TOO_BIG`).
    pub fn narrow_link(&self, n: usize, mtu: u16, mtu6: u16) {
        for (node, dev) in [(n, "east"), (n + 1, "west")] {
            self.sh(
                &self.names[node],
                &format!(
                    "ip link set {dev} mtu {mtu}; echo {mtu6} > /proc/sys/net/ipv6/conf/{dev}/mtu"
                ),
            );
        }
    }

    /// Router k answers at most one ICMP error every `ms` milliseconds to
    /// a peer (after a burst of 6): Linux's limit, made stricter.
    pub fn icmp_ratelimit(&self, k: usize, ms: u32) {
        self.sh(
            self.router(k),
            &format!(
                "echo {ms} > /proc/sys/net/ipv4/icmp_ratelimit; echo {ms} > /proc/sys/net/ipv6/icmp/ratelimit"
            ),
        );
    }
}
