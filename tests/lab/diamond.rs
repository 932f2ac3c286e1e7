//! A load-balanced lab: client - r1 - {a1..a4} - r2 - r3 - {b1, b2} - r4 -
//! server. r1 and r3 spread flows over their equal-cost next hops by the
//! 5-tuple (`fib_multipath_hash_policy=1`, IPv4 and IPv6): a diamond of
//! width 4 at hop 2 and one of width 2 at hop 5; the server is at hop 7.
//! Every router answers from one address (its routes' preferred source),
//! whichever way the probe came, as routers answering from a loopback do.
//!
//! Link n joins two nodes as 198.18.n.0/24 and 2001:db8:n::/64 (the
//! first node .1, the second .2); routes are the shortest paths, all of
//! them when several are equally short.

use super::Lab;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Node numbers: 0 client, 1 r1, 2-5 a1-a4, 6 r2, 7 r3, 8-9 b1-b2,
/// 10 r4, 11 server.
const LINKS: [(usize, usize); 15] = [
    (0, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (2, 6),
    (3, 6),
    (4, 6),
    (5, 6),
    (6, 7),
    (7, 8),
    (7, 9),
    (8, 10),
    (9, 10),
    (10, 11),
];
const NODES: usize = 12;

/// The address of `node` on link `n`.
fn addr(n: usize, node: usize, v6: bool) -> String {
    let side = if LINKS[n].0 == node { 1 } else { 2 };
    if v6 {
        format!("2001:db8:{n}::{side}")
    } else {
        format!("198.18.{n}.{side}")
    }
}

/// Hop counts from `from` to every node.
fn distances(from: usize) -> Vec<usize> {
    let mut d = vec![usize::MAX; NODES];
    d[from] = 0;
    let mut queue = VecDeque::from([from]);
    while let Some(u) = queue.pop_front() {
        for &(a, b) in &LINKS {
            for (x, y) in [(a, b), (b, a)] {
                if x == u && d[y] == usize::MAX {
                    d[y] = d[u] + 1;
                    queue.push_back(y);
                }
            }
        }
    }
    d
}

/// The load-balanced lab, its server listening on port 80.
pub fn diamonds() -> Lab {
    let mut lab = Lab::nodes(NODES);
    lab.server_addrs = Some([server(false), server(true)]);
    for (n, &(a, b)) in LINKS.iter().enumerate() {
        lab.link(a, b, n, &format!("l{n}"), &format!("l{n}"));
    }
    let dist: Vec<Vec<usize>> = (0..NODES).map(distances).collect();
    for u in 0..NODES {
        let primary = LINKS.iter().position(|&(a, b)| a == u || b == u).unwrap();
        let mut script = String::new();
        if u != 0 && u != NODES - 1 {
            script += "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; \
                    echo 0 > /proc/sys/net/ipv4/icmp_ratelimit; echo 0 > /proc/sys/net/ipv6/icmp/ratelimit; \
                    echo 1 > /proc/sys/net/ipv4/fib_multipath_hash_policy; echo 1 > /proc/sys/net/ipv6/fib_multipath_hash_policy; \
                    echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 0 > /proc/sys/net/ipv4/conf/default/rp_filter; ";
        }
        for (n, &(a, b)) in LINKS.iter().enumerate() {
            if a == u || b == u {
                continue;
            }
            // The next hops on the shortest paths to the nearer end.
            let to = |x: usize| dist[x][a].min(dist[x][b]);
            let mut hops: Vec<(usize, usize)> = Vec::new();
            for (m, &(p, q)) in LINKS.iter().enumerate() {
                let next = if p == u {
                    q
                } else if q == u {
                    p
                } else {
                    continue;
                };
                if to(next) + 1 == to(u) {
                    hops.push((m, next));
                }
            }
            for v6 in [false, true] {
                let (ip, prefix) = if v6 {
                    ("ip -6", format!("2001:db8:{n}::/64"))
                } else {
                    ("ip", format!("198.18.{n}.0/24"))
                };
                let via: Vec<String> = hops
                    .iter()
                    .map(|&(m, next)| format!("nexthop via {}", addr(m, next, v6)))
                    .collect();
                let src = addr(primary, u, v6);
                script += &format!("{ip} route add {prefix} src {src} {}; ", via.join(" "));
            }
        }
        lab.sh(lab.node(u), &script);
    }
    let at = |k: usize| (k, [address(k, false), address(k, true)]);
    lab.prime_from(NODES - 1, &(1..NODES - 1).map(at).collect::<Vec<_>>());
    lab.prime_from(1, &[at(NODES - 1)]);
    let s = lab.server().to_string();
    lab.listen(&s, &[80]);
    // Peers want a default route and look names up.
    lab.sh(
        lab.client(),
        "ip route add default via 198.18.0.2; ip -6 route add default via 2001:db8:0::2",
    );
    lab.no_dns();
    lab
}

/// The address every router (or the server) answers from.
pub fn address(node: usize, v6: bool) -> IpAddr {
    let primary = LINKS
        .iter()
        .position(|&(a, b)| a == node || b == node)
        .unwrap();
    addr(primary, node, v6).parse().unwrap()
}

pub fn server(v6: bool) -> IpAddr {
    // The server's only link is the last.
    addr(LINKS.len() - 1, NODES - 1, v6).parse().unwrap()
}

/// The interfaces of each hop (TTL 1..=7) and the true links.
pub fn truth(v6: bool) -> (Vec<Vec<IpAddr>>, Vec<(IpAddr, IpAddr)>) {
    let hops: [&[usize]; 7] = [&[1], &[2, 3, 4, 5], &[6], &[7], &[8, 9], &[10], &[11]];
    let at = |n: usize| {
        if n == NODES - 1 {
            server(v6)
        } else {
            address(n, v6)
        }
    };
    let interfaces = hops
        .iter()
        .map(|nodes| {
            let mut v: Vec<IpAddr> = nodes.iter().map(|&n| at(n)).collect();
            v.sort();
            v
        })
        .collect();
    let mut links: Vec<(IpAddr, IpAddr)> = LINKS
        .iter()
        .filter(|(a, _)| *a != 0)
        .map(|&(a, b)| (at(a), at(b)))
        .collect();
    links.sort();
    (interfaces, links)
}
