//! The recorded scenarios: each builds its lab and names the tracetcp
//! arguments (always -n, so that live and replayed output are comparable
//! byte for byte). captures/ holds one recording of each; the lab tests
//! trace each live and check that the replay equals the live output.

use super::{rules, Lab};

pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    build: fn() -> Lab,
    args: fn(&Lab) -> Vec<String>,
    /// Whether a recording shows what the scenario is about (e.g. both
    /// equal-cost paths were taken); recording retries until it does.
    pub shows: fn(&str) -> bool,
    /// Diagnosis findings (JSON kinds) the trace must yield.
    pub expect: &'static [&'static str],
}

impl Scenario {
    pub fn build(&self) -> Lab {
        (self.build)()
    }

    pub fn args(&self, lab: &Lab) -> Vec<String> {
        let mut a = (self.args)(lab);
        a.push("-n".into());
        a
    }
}

/// Three routers, the server listening on port 80.
fn plain() -> Lab {
    let mut lab = Lab::new(3);
    let s = lab.server().to_string();
    lab.listen(&s, &[80]);
    lab
}

fn server(lab: &Lab, port: u16) -> String {
    format!("{}:{port}", lab.server_addr(false))
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

fn with(lab: &Lab, port: u16, rest: &str) -> Vec<String> {
    let mut a = vec![server(lab, port)];
    a.extend(words(rest));
    a
}

fn any(_: &str) -> bool {
    true
}

pub const ALL: &[Scenario] = &[
    Scenario {
        name: "tcp-open",
        about: "clean TCP path to an open port: every hop, then Connection established",
        build: plain,
        args: |lab| with(lab, 80, "-m 8"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "tcp-closed",
        about: "TCP to a closed port: the server answers RST, Port closed",
        build: plain,
        args: |lab| with(lab, 81, "-m 8"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "silent-router",
        about: "r2 sends no time-exceeded: hop 2 is all stars, later hops answer",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), rules::SILENT_ROUTER);
            lab
        },
        args: |lab| with(lab, 80, "-m 8 -t 500"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "blocked-port",
        about: "r2 drops TCP port 135 in transit: the trace stops after hop 2",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), &rules::block_port(135));
            lab
        },
        args: |lab| with(lab, 135, "-m 6 -t 500"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "proxy",
        about: "r2 redirects TCP port 80 to itself (transparent proxy): port 80 'reaches' at hop 2",
        build: || {
            let mut lab = plain();
            let r2 = lab.router(2).to_string();
            lab.listen(&r2, &[8080]);
            lab.nft(&r2, &rules::redirect(80, 8080));
            lab
        },
        args: |lab| with(lab, 80, "-m 8"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "admin-prohibited",
        about: "r2 rejects TCP port 8081 with admin-prohibited: !X at hop 3, the trace ends",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), &rules::reject_port(8081, "admin-prohibited"));
            lab
        },
        args: |lab| with(lab, 8081, "-m 8"),
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "udp",
        about: "UDP probes: routers answer time-exceeded, the server port-unreachable",
        build: plain,
        args: |lab| {
            vec![
                lab.server_addr(false).to_string(),
                "-P".into(),
                "udp".into(),
                "-m".into(),
                "8".into(),
            ]
        },
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "icmp",
        about: "ICMP echo probes: routers answer time-exceeded, the server echo-reply (JSON)",
        build: plain,
        args: |lab| {
            vec![
                lab.server_addr(false).to_string(),
                "-P".into(),
                "icmp".into(),
                "-m".into(),
                "8".into(),
                "--json".into(),
            ]
        },
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "ipv6",
        about: "TCP over IPv6 to an open port",
        build: plain,
        args: |lab| {
            vec![
                format!("[{}]:80", lab.server_addr(true)),
                "-m".into(),
                "8".into(),
            ]
        },
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "port-range",
        about: "-r 134 136 -h 1 -m 3 -p 1 -c with port 135 dropped by r2: 135 stops after hop 2",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), &rules::block_port(135));
            lab
        },
        args: |lab| {
            let mut a = vec![lab.server_addr(false).to_string()];
            a.extend(words("-r 134 136 -h 1 -m 3 -p 1 -t 500 -c"));
            a
        },
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "scan",
        about: "-s 79 81: 79 filtered by the server, 80 open, 81 closed",
        build: || {
            let lab = plain();
            lab.nft(lab.server(), &rules::drop_input_port(79));
            lab
        },
        args: |lab| {
            let mut a = words("-s 79 81 -t 500");
            a.push(lab.server_addr(false).to_string());
            a
        },
        shows: any,
        expect: &[],
    },
    Scenario {
        name: "ecmp",
        about: "two equal-cost links between r1 and r2, a new flow per probe (--no-paris): hop 2 has two responders",
        build: || {
            let lab = plain();
            lab.add_parallel_link(1);
            lab
        },
        args: |lab| with(lab, 80, "-m 8 -p 6 --no-paris"),
        shows: |out| out.contains("\n\t"),
        expect: &["load-balancing"],
    },
    Scenario {
        name: "ecmp-one-flow",
        about: "the same two links, one flow per trace (the default): every hop has one responder",
        build: || {
            let lab = plain();
            lab.add_parallel_link(1);
            lab
        },
        args: |lab| with(lab, 80, "-m 8 -p 6"),
        shows: |out| !out.contains("\n\t") && out.contains("Trace Complete"),
        expect: &["reached"],
    },
    Scenario {
        name: "path-rewrite",
        about: "r2 clamps the MSS of SYNs to 1200 and sets DSCP 8: the quotes from hop 3 on show both",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), rules::MANGLE);
            lab
        },
        args: |lab| with(lab, 80, "-m 8"),
        shows: |out| out.contains("[MSS 1460->1200]") && out.contains("[DSCP 0->8]"),
        expect: &["path-rewrite", "reached"],
    },
    Scenario {
        name: "mtu",
        about: "--mtu with a link of MTU 1400 after r2, which answers fragmentation needed: the size drops to 1400 from hop 3",
        build: || {
            let lab = plain();
            lab.narrow_link(2, 1400, 1280);
            lab
        },
        args: |lab| with(lab, 80, "--mtu -m 8"),
        shows: |out| out.contains("[MTU 1400]") && out.contains("Path MTU: 1400"),
        expect: &["path-mtu", "mss-too-big", "reached"],
    },
    Scenario {
        name: "mtu-black-hole",
        about: "--mtu with a link of MTU 1400 after r2, whose fragmentation needed is dropped: a black hole above 1400 bytes after hop 2",
        build: || {
            let lab = plain();
            lab.narrow_link(2, 1400, 1280);
            lab.nft(lab.router(2), rules::NO_TOO_BIG);
            lab
        },
        args: |lab| with(lab, 80, "--mtu -m 8 -t 500 -F"),
        shows: |out| out.contains("packets larger than 1400 bytes are silently dropped after hop 2"),
        expect: &["mtu-black-hole", "mss-too-big", "reached"],
    },
    Scenario {
        name: "multipath",
        about: "per-flow ECMP, diamonds of width 4 (hop 2) and 2 (hop 5): --multipath finds every interface and link",
        build: super::diamond::diamonds,
        args: |lab| with(lab, 80, "--multipath -F"),
        shows: |out| out.contains("load balanced at hop 2 (4 interfaces), hop 5 (2 interfaces)"),
        expect: &["load-balancing", "reached"],
    },
    Scenario {
        name: "diamonds-one-flow",
        about: "the same diamonds, one flow per trace (the default): one address per hop, a path that exists",
        build: super::diamond::diamonds,
        args: |lab| with(lab, 80, "-p 6"),
        shows: |out| !out.contains("\n\t") && out.contains("Trace Complete"),
        expect: &["reached"],
    },
    Scenario {
        name: "compare-blocked-port",
        about: "--compare with r2 dropping TCP port 135: tcp:135 stops after hop 2, the others get through",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), &rules::block_port(135));
            lab
        },
        args: |lab| with(lab, 80, "--compare=tcp:80,tcp:135,udp,icmp -m 6 -t 500"),
        shows: any,
        expect: &["blocked-port", "reached"],
    },
    Scenario {
        name: "compare-icmp-blocked",
        about: "--compare with r2 dropping ICMP echo requests: icmp stops after hop 2 while tcp passes",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), rules::BLOCK_ECHO);
            lab
        },
        args: |lab| with(lab, 80, "--compare -m 6 -t 500"),
        shows: any,
        expect: &["blocked-port"],
    },
    Scenario {
        name: "compare-proxy",
        about: "--compare with a transparent proxy for TCP port 80 at r2: tcp:80 'reaches' at hop 2, the rest at hop 4",
        build: || {
            let mut lab = plain();
            let r2 = lab.router(2).to_string();
            lab.listen(&r2, &[8080]);
            lab.nft(&r2, &rules::redirect(80, 8080));
            lab
        },
        args: |lab| with(lab, 80, "--compare=tcp:80,tcp:81,icmp -m 6"),
        shows: any,
        expect: &["transparent-proxy"],
    },
    Scenario {
        name: "compare-silent-router",
        about: "--compare with r2 sending no time-exceeded: hop 2 silent for every kind, one finding",
        build: || {
            let lab = plain();
            lab.nft(lab.router(2), rules::SILENT_ROUTER);
            lab
        },
        args: |lab| with(lab, 80, "--compare -m 6 -t 500"),
        shows: any,
        expect: &["silent-router"],
    },
    Scenario {
        name: "destination-silent",
        about: "the server drops TCP port 80 itself; r3 answers from the server's subnet: its local router",
        build: || {
            let lab = plain();
            lab.nft(lab.server(), &rules::drop_input_port(80));
            lab.answer_from_far_side(3);
            lab
        },
        args: |lab| with(lab, 80, "-m 6 -t 500"),
        shows: any,
        expect: &["destination-silent"],
    },
    Scenario {
        name: "rate-limit",
        about: "r2 keeps Linux's ICMP rate limit and 8 probes per hop go out unpaced (-F): r2 answers 6",
        build: || {
            let lab = plain();
            lab.default_icmp_ratelimit(2);
            lab
        },
        args: |lab| with(lab, 80, "-p 8 -F -m 6"),
        shows: any,
        expect: &["partial-loss"],
    },
    Scenario {
        name: "rate-limit-range",
        about: "12 ports at once, r2 keeping Linux's ICMP rate limit: r1 and r3 answer at full speed, r2 answers 6, the 6 it left are sent again a second apart (adaptive pacing): nothing lost",
        build: || {
            let lab = plain();
            lab.default_icmp_ratelimit(2);
            lab
        },
        args: |lab| {
            let mut a = vec![lab.server_addr(false).to_string()];
            a.extend(words("-r 130 141 -h 1 -m 3 -p 1 -c"));
            a
        },
        shows: |out| !out.contains('*'),
        expect: &[],
    },
    Scenario {
        name: "rounds-loss",
        about: "30 rounds: r2 answers one ICMP error in 2 s, r3 drops a fifth of what it forwards",
        build: || {
            let mut lab = Lab::new(4);
            let s = lab.server().to_string();
            lab.listen(&s, &[80]);
            lab.icmp_ratelimit(2, 2000);
            lab.nft(lab.router(3), &rules::drop_share(20));
            lab
        },
        args: |lab| with(lab, 80, "--cycles 30 --interval 0.3 -F"),
        shows: |out| out.contains("not loss on the path") && out.contains("loss starts at hop 4"),
        expect: &["icmp-limited", "path-loss"],
    },
];
