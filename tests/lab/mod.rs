//! The project's network-namespace lab: a chain client - r1 .. rN - server
//! of Linux network namespaces joined by veth pairs, each router a real
//! kernel router (real TTL expiry, real ICMP, real SYN-ACK and RST), with
//! IPv4 (198.18.0.0/15) and IPv6 (2001:db8::/32) only. Link i joins node i
//! and node i+1 (the client is node 0, the server node N+1) as
//! 198.18.i.0/24 and 2001:db8:i::/64, node i holding .1 and node i+1 .2.
//! Namespaces are uniquely named and always removed (on drop, also when a
//! test fails).
#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::net::{IpAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Why the lab cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("the lab needs root (network namespaces)".into());
    }
    for tool in ["ip", "nft"] {
        let found = Command::new(tool)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if found.is_err() {
            return Some(format!(
                "the lab needs '{tool}' (apt-get install iproute2 nftables)"
            ));
        }
    }
    None
}

/// Whether `program` is installed (a peer a benchmark runs beside us).
pub fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// For tests (ignored unless asked for): the lab must be available; a
/// test that was asked to run and cannot fails, saying why.
pub fn require() {
    if let Some(why) = unavailable() {
        panic!("lab test cannot run: {why}");
    }
}

/// The tracetcp binary beside the running lab program
/// (target/<profile>/examples/NAME -> target/<profile>/tracetcp).
pub fn tracetcp_beside_me() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("tracetcp"))
        .expect("target dir")
}

pub struct Lab {
    names: Vec<String>,
    routers: usize,
    listeners: Vec<TcpListener>,
    /// The server's addresses (IPv4, IPv6) when the lab is not a chain.
    server_addrs: Option<[IpAddr; 2]>,
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Lab {
    /// A chain with `routers` routers, ICMP rate limits off in the routers
    /// (so that tests running one after another lose nothing).
    pub fn new(routers: usize) -> Lab {
        let lab = Lab::nodes(routers + 2);
        for i in 0..=routers {
            lab.link(i, i + 1, i, "east", "west");
        }
        for j in 0..=routers + 1 {
            let mut s = String::new();
            if j <= routers {
                s += &format!("ip route add default via 198.18.{j}.2; ip -6 route add default via 2001:db8:{j}::2;");
            } else {
                let p = j - 1;
                s += &format!("ip route add default via 198.18.{p}.1; ip -6 route add default via 2001:db8:{p}::1;");
            }
            if (1..=routers).contains(&j) {
                let p = j - 1;
                for i in 0..p {
                    s += &format!("ip route add 198.18.{i}.0/24 via 198.18.{p}.1; ip -6 route add 2001:db8:{i}::/64 via 2001:db8:{p}::1;");
                }
                s += "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding;";
                s += "echo 0 > /proc/sys/net/ipv4/icmp_ratelimit; echo 0 > /proc/sys/net/ipv6/icmp/ratelimit;";
            }
            lab.sh(&lab.names[j], &s);
        }
        lab.prime_icmp_credit();
        lab
    }

    /// Namespaces only, uniquely named: node 0 is the client, the last
    /// the server, those between routers (nothing configured yet).
    pub fn nodes(count: usize) -> Lab {
        let id = format!(
            "tt{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let routers = count - 2;
        let mut names = vec![format!("{id}c")];
        names.extend((1..=routers).map(|k| format!("{id}r{k}")));
        names.push(format!("{id}s"));
        let lab = Lab {
            names,
            routers,
            listeners: Vec::new(),
            server_addrs: None,
        };
        for n in &lab.names {
            run(Command::new("ip").args(["netns", "add", n]));
            lab.sh(n, "ip link set lo up; echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad");
        }
        lab
    }

    /// Link `n` (198.18.n.0/24, 2001:db8:n::/64) between nodes `a` (.1,
    /// interface `dev_a`) and `b` (.2, `dev_b`), with permanent neighbour
    /// entries: IPv6 interfaces finish coming up asynchronously, and a
    /// neighbour solicitation sent in that window goes unanswered for a
    /// second.
    pub fn link(&self, a: usize, b: usize, n: usize, dev_a: &str, dev_b: &str) {
        let (na, nb) = (&self.names[a], &self.names[b]);
        run(Command::new("ip").args([
            "link", "add", "name", dev_a, "netns", na, "type", "veth", "peer", "name", dev_b,
            "netns", nb,
        ]));
        self.sh(na, &format!("ip addr add 198.18.{n}.1/24 dev {dev_a}; ip -6 addr add 2001:db8:{n}::1/64 dev {dev_a} nodad; ip link set {dev_a} up"));
        self.sh(nb, &format!("ip addr add 198.18.{n}.2/24 dev {dev_b}; ip -6 addr add 2001:db8:{n}::2/64 dev {dev_b} nodad; ip link set {dev_b} up"));
        let (mac_a, mac_b) = (self.mac(na, dev_a), self.mac(nb, dev_b));
        self.sh(na, &format!("ip neigh replace 198.18.{n}.2 lladdr {mac_b} dev {dev_a} nud permanent; ip -6 neigh replace 2001:db8:{n}::2 lladdr {mac_b} dev {dev_a} nud permanent"));
        self.sh(nb, &format!("ip neigh replace 198.18.{n}.1 lladdr {mac_a} dev {dev_b} nud permanent; ip -6 neigh replace 2001:db8:{n}::1 lladdr {mac_a} dev {dev_b} nud permanent"));
    }

    /// The namespace of node `k` (0 the client).
    pub fn node(&self, k: usize) -> &str {
        &self.names[k]
    }

    /// A fresh namespace's global ICMP limiter (burst 50) starts with no
    /// credit, and two CPUs sending their first ICMP errors at once can
    /// both miss its refill: one answer is lost (OutRateLimitGlobal in
    /// /proc/net/snmp). One port-unreachable from every router and the
    /// server fills the credit before any test probes. They are asked from
    /// the server (and the server from r1), never from the client, whose
    /// per-peer ICMP budgets at each router must stay untouched.
    fn prime_icmp_credit(&self) {
        let at = |k: usize| (k, [self.router_addr(k, false), self.router_addr(k, true)]);
        self.prime_from(
            self.routers + 1,
            &(1..=self.routers).map(at).collect::<Vec<_>>(),
        );
        self.prime_from(1, &[at(self.routers + 1)]);
    }

    /// Has node `from` ask each (node, its IPv4 and IPv6 addresses) for a
    /// port-unreachable, and waits until they are sent.
    pub fn prime_from(&self, from: usize, to: &[(usize, [IpAddr; 2])]) {
        let mut script = String::new();
        for (_, addrs) in to {
            for a in addrs {
                script += &format!("echo > /dev/udp/{a}/9 || true; ");
            }
        }
        run(Command::new("ip").args(["netns", "exec", &self.names[from], "bash", "-c", &script]));
        for &(k, _) in to {
            self.await_port_unreachables(&self.names[k]);
        }
    }

    /// Waits until `ns` has sent its priming port-unreachables, IPv4 and
    /// IPv6 (its SNMP counters say so).
    fn await_port_unreachables(&self, ns: &str) {
        let sent = |file: &str, name: &str| -> u64 {
            let out = self.sh(ns, &format!("cat {file}"));
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            snmp_counter(&text, name).unwrap_or(0)
        };
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while sent("/proc/net/snmp", "OutDestUnreachs") == 0
            || sent("/proc/net/snmp6", "Icmp6OutDestUnreachs") == 0
        {
            assert!(
                std::time::Instant::now() < until,
                "{ns} sent no port-unreachable to prime its ICMP credit"
            );
            std::thread::yield_now();
        }
    }

    fn mac(&self, ns: &str, dev: &str) -> String {
        let out = self.sh(ns, &format!("cat /sys/class/net/{dev}/address"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn client(&self) -> &str {
        &self.names[0]
    }

    pub fn router(&self, k: usize) -> &str {
        &self.names[k]
    }

    pub fn server(&self) -> &str {
        &self.names[self.routers + 1]
    }

    pub fn routers(&self) -> usize {
        self.routers
    }

    /// The address router k answers from (its side of link k-1).
    pub fn router_addr(&self, k: usize, v6: bool) -> IpAddr {
        let i = k - 1;
        if v6 {
            format!("2001:db8:{i}::2")
        } else {
            format!("198.18.{i}.2")
        }
        .parse()
        .unwrap()
    }

    pub fn server_addr(&self, v6: bool) -> IpAddr {
        match self.server_addrs {
            Some([v4, v6_addr]) => {
                if v6 {
                    v6_addr
                } else {
                    v4
                }
            }
            None => self.router_addr(self.routers + 1, v6),
        }
    }

    /// Runs a shell command inside a namespace; panics if it fails.
    pub fn sh(&self, ns: &str, script: &str) -> Output {
        run(Command::new("ip").args(["netns", "exec", ns, "sh", "-ec", script]))
    }

    /// Loads an nftables ruleset into a namespace.
    pub fn nft(&self, ns: &str, ruleset: &str) {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nft");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ruleset.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "nft: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// TCP listeners (IPv4 and IPv6) on `ports` inside a namespace. The
    /// kernel answers SYNs with SYN-ACK without anyone calling accept.
    pub fn listen(&mut self, ns: &str, ports: &[u16]) {
        let path = format!("/run/netns/{ns}");
        let ports = ports.to_vec();
        let listeners = std::thread::spawn(move || {
            let f = File::open(&path).expect("netns file");
            // setns changes only this thread's namespace.
            let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            ports
                .iter()
                .map(|p| TcpListener::bind(("::", *p)).expect("bind"))
                .collect::<Vec<_>>()
        })
        .join()
        .expect("listener thread");
        self.listeners.extend(listeners);
    }

    /// Gives the lab's addresses names (r1.lab .. server.lab) in the
    /// client's /etc/hosts, and a resolv.conf that asks no DNS server
    /// outside the lab (`ip netns exec` mounts /etc/netns/NAME/* over /etc).
    pub fn name_hosts(&self) {
        let dir = format!("/etc/netns/{}", self.client());
        std::fs::create_dir_all(&dir).expect("/etc/netns");
        let mut hosts = String::from("127.0.0.1 localhost\n");
        for v6 in [false, true] {
            for k in 1..=self.routers {
                hosts += &format!("{} r{k}.lab\n", self.router_addr(k, v6));
            }
            hosts += &format!("{} server.lab\n", self.server_addr(v6));
        }
        std::fs::write(format!("{dir}/hosts"), hosts).expect("hosts");
        self.no_dns();
    }

    /// A resolv.conf for the client that asks no DNS server outside the
    /// lab (peers look names up; `ip netns exec` mounts
    /// /etc/netns/NAME/* over /etc).
    pub fn no_dns(&self) {
        let dir = format!("/etc/netns/{}", self.client());
        std::fs::create_dir_all(&dir).expect("/etc/netns");
        std::fs::write(
            format!("{dir}/resolv.conf"),
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        )
        .expect("resolv.conf");
    }

    /// A command running inside the client namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", self.client(), program]);
        c
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.listeners.clear();
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.client()));
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

/// NFQUEUE `num` in the namespace `ns`, non-blocking, opened by the
/// calling thread (which moves into `ns`: a queue's netlink socket belongs
/// to the namespace its thread is in when it is opened).
pub fn queue_in(ns: &str, num: u16) -> nfq::Queue {
    let f = File::open(format!("/run/netns/{ns}")).expect("netns");
    // SAFETY: a valid namespace file descriptor, for the calling thread.
    assert_eq!(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }, 0);
    let mut q = nfq::Queue::open().expect("nfqueue");
    q.bind(num)
        .unwrap_or_else(|e| panic!("bind queue {num}: {e}"));
    q.set_nonblocking(true);
    q
}

pub mod diamond;
pub mod foreign;
pub mod mpls;
pub mod reshape;
pub mod rules;
pub mod scenarios;
pub mod shape;
pub mod tcpdump;
pub mod timed;
pub mod usage;

/// A counter of /proc/net/snmp ("Icmp: ... OutDestUnreachs ..." header
/// line, values on the next) or /proc/net/snmp6 ("Icmp6OutDestUnreachs N").
fn snmp_counter(text: &str, name: &str) -> Option<u64> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&name) {
            return words.get(1)?.parse().ok();
        }
        if let Some(at) = words.iter().position(|w| *w == name) {
            let values: Vec<&str> = lines.get(i + 1)?.split_whitespace().collect();
            return values.get(at)?.parse().ok();
        }
    }
    None
}
