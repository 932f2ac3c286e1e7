use super::*;
use crate::error::Error;
use crate::live::Config;
use crate::report::Format;
use crate::send::SendMethod;
use crate::target::Family;
use crate::trace::TraceSpec;
use std::time::Duration;

fn cfg(args: &[&str]) -> Config {
    let mut all = vec!["tracetcp"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).unwrap().config().unwrap()
}

#[test]
fn defaults_are_the_original_tools() {
    let c = cfg(&["198.18.9.2"]);
    assert_eq!(c.specs, vec![TraceSpec::new(Protocol::Tcp, 80)]);
    assert_eq!(
        (
            c.settings.first_ttl,
            c.settings.max_hops,
            c.settings.probes_per_hop
        ),
        (1, 30, 3)
    );
    assert_eq!(c.format, Format::Classic);
    assert_eq!(c.send, SendMethod::Raw);
}

#[test]
fn options_before_or_after_the_host() {
    let a = cfg(&[
        "-h", "3", "-m", "1", "-p", "1", "-t", "500", "-c", "host:135", "-n",
    ]);
    let b = cfg(&[
        "host:135", "-h", "3", "-m", "1", "-p", "1", "-t", "500", "-c", "-n",
    ]);
    assert_eq!(a.settings, b.settings);
    assert_eq!(a.settings.first_ttl, 3);
    assert_eq!(a.settings.timeout, Duration::from_millis(500));
    assert_eq!(a.format, Format::Condensed);
    assert!(a.numeric);
}

#[test]
fn range_and_scan() {
    let r = cfg(&[
        "www.ebay.co.uk",
        "-h",
        "3",
        "-m",
        "1",
        "-p",
        "1",
        "-t",
        "500",
        "-c",
        "-r",
        "130",
        "140",
        "-n",
    ]);
    assert_eq!(r.specs.len(), 11);
    assert_eq!(r.specs[5], TraceSpec::new(Protocol::Tcp, 135));
    let s = cfg(&["-s", "20", "80", "192.168.0.1"]);
    assert_eq!(s.specs.len(), 61);
    assert_eq!(
        (
            s.settings.first_ttl,
            s.settings.max_hops,
            s.settings.probes_per_hop
        ),
        (128, 1, 1)
    );
    assert_eq!(s.format, Format::Condensed);
    assert!(s.numeric);
}

#[test]
fn additions() {
    let c = cfg(&["-P", "udp", "-6", "--json", "[2001:db8::2]"]);
    assert_eq!(
        c.specs,
        vec![TraceSpec::new(Protocol::Udp, DEFAULT_UDP_PORT)]
    );
    assert_eq!(c.family, Some(Family::V6));
    assert_eq!(c.format, Format::Json);
    let c = cfg(&["-g", "198.18.0.2", "-F", "x"]);
    assert_eq!(
        c.send,
        SendMethod::Inject {
            gateway: Some("198.18.0.2".parse().unwrap())
        }
    );
    assert!(!c.settings.pacing);
    assert_eq!(
        cfg(&["-P", "icmp", "x"]).specs,
        vec![TraceSpec::new(Protocol::Icmp, 0)]
    );
}

#[test]
fn compare_specs_default_and_explicit() {
    let c = cfg(&["--compare", "x:443"]);
    assert_eq!(c.format, Format::Compare);
    assert_eq!(
        c.specs,
        vec![
            TraceSpec::new(Protocol::Tcp, 443),
            TraceSpec::new(Protocol::Udp, DEFAULT_UDP_PORT),
            TraceSpec::new(Protocol::Icmp, 0)
        ]
    );
    let c = cfg(&["x", "--compare=tcp:80,tcp:135,udp:53,icmp"]);
    assert_eq!(c.specs.len(), 4);
    assert_eq!(c.specs[2], TraceSpec::new(Protocol::Udp, 53));
    assert_eq!(
        cfg(&["x", "--compare=tcp,icmp", "--json"]).format,
        Format::Json
    );
    for bad in ["icmp:80", "sctp", "tcp,tcp", "tcp:0"] {
        let arg = format!("--compare={bad}");
        let r = Cli::try_parse_from(["tracetcp", "x", arg.as_str()])
            .unwrap()
            .config();
        assert!(matches!(r, Err(Error::Usage(_))), "{bad}");
    }
    assert!(Cli::try_parse_from(["tracetcp", "x", "--compare", "-r", "1", "2"]).is_err());
}

#[test]
fn bad_input_is_an_error() {
    for args in [
        vec!["tracetcp", "-r", "140", "130", "x"],
        vec!["tracetcp", "-P", "icmp", "-r", "1", "2", "x"],
        vec!["tracetcp"],
        vec!["tracetcp", "x:notaservice"],
    ] {
        let r = Cli::try_parse_from(args.clone()).map(|c| c.config());
        assert!(matches!(r, Ok(Err(Error::Usage(_)))), "{args:?}");
    }
    for args in [
        vec!["tracetcp", "-h", "0", "x"],
        vec!["tracetcp", "-m", "300", "x"],
        vec!["tracetcp", "-P", "sctp", "x"],
        vec!["tracetcp", "-4", "-6", "x"],
        vec!["tracetcp", "-R", "-g", "198.18.0.2", "x"],
        vec!["tracetcp", "--bogus", "x"],
    ] {
        assert!(Cli::try_parse_from(args.clone()).is_err(), "{args:?}");
    }
}

/// Options that do not fit together are refused, never ignored.
#[test]
fn conflicting_options_are_refused() {
    let refused = |args: &[&str]| {
        let mut all = vec!["tracetcp"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all) {
            Err(_) => true,
            Ok(cli) => cli.mode().is_err(),
        }
    };
    for args in [
        &["--show-packets", "host"][..],
        &["--replay", "f.pcap", "-m", "3"],
        &["--replay", "f.pcap", "-P", "udp"],
        &["--replay", "f.pcap", "-r", "1", "2"],
        &["--replay", "f.pcap", "--compare"],
        &["--replay", "f.pcap", "--multipath"],
        &["--replay", "f.pcap", "-t", "100"],
        &["host", "--compare", "-c"],
        &["host:443", "-r", "80", "81"],
        &["host:443", "-s", "80", "81"],
        &["host", "--confidence", "99"],
        &["host", "--multipath", "--no-paris"],
    ] {
        assert!(refused(args), "{args:?} was accepted");
    }
    for args in [
        &["--replay", "f.pcap", "-n", "-c", "--show-packets"][..],
        &[
            "host",
            "--multipath",
            "--confidence",
            "99",
            "--compare=tcp,udp",
        ],
        &["host", "--flow", "40000"],
    ] {
        assert!(!refused(args), "{args:?} was refused");
    }
}

/// traceroute's and mtr's spellings mean what the original's flags mean.
#[test]
fn traceroute_spellings_are_the_original_flags() {
    let habit = cfg(&[
        "-f",
        "3",
        "-q",
        "2",
        "--max-hops",
        "5",
        "-U",
        "--port",
        "53",
        "--wait",
        "0.5",
        "-N",
        "8",
        "host",
    ]);
    let original = cfg(&[
        "-h", "3", "-p", "2", "-m", "5", "-P", "udp", "host:53", "-t", "500",
    ]);
    assert_eq!(habit.specs, original.specs);
    assert_eq!(habit.settings.first_ttl, original.settings.first_ttl);
    assert_eq!(
        habit.settings.probes_per_hop,
        original.settings.probes_per_hop
    );
    assert_eq!(habit.settings.max_hops, original.settings.max_hops);
    assert_eq!(habit.settings.timeout, original.settings.timeout);
    assert_eq!(habit.settings.max_in_flight, 8);
    assert_eq!(
        cfg(&["-I", "host"]).specs,
        cfg(&["-P", "icmp", "host"]).specs
    );
    assert_eq!(cfg(&["-T", "host:443"]).specs, cfg(&["host:443"]).specs);
    assert_eq!(
        cfg(&["--timeout", "2", "host"]).settings.timeout,
        Duration::from_secs(2)
    );
    for bad in [
        &["tracetcp", "-T", "-U", "host"][..],
        &["tracetcp", "-P", "udp", "-I", "host"],
        &["tracetcp", "--wait", "1", "-t", "500", "host"],
    ] {
        assert!(Cli::try_parse_from(bad.to_vec()).is_err(), "{bad:?}");
    }
    let twice = Cli::try_parse_from(["tracetcp", "host:80", "--port", "81"]).unwrap();
    assert!(twice.config().is_err());
}

#[test]
fn rounds_take_one_probe_a_hop_and_refuse_what_makes_no_sense_with_them() {
    let c = cfg(&["198.18.9.2", "--cycles", "20", "--interval", "0.5"]);
    let schedule = c.rounds.unwrap();
    assert_eq!(schedule.cycles, Some(20));
    assert_eq!(schedule.interval, Duration::from_millis(500));
    assert_eq!(c.settings.probes_per_hop, 1);
    assert_eq!(
        cfg(&["198.18.9.2", "--watch", "-p", "2"])
            .settings
            .probes_per_hop,
        2
    );
    assert_eq!(cfg(&["198.18.9.2", "--watch"]).rounds.unwrap().cycles, None);
    assert_eq!(
        cfg(&["198.18.9.2", "--cycles", "3", "--csv"]).format,
        Format::Csv
    );
    assert_eq!(cfg(&["198.18.9.2"]).settings.probes_per_hop, 3);
    for bad in [
        &["198.18.9.2", "--interval", "2"][..],
        &["198.18.9.2", "--csv"],
        &["198.18.9.2", "--cycles", "3", "--mtu"],
        &["198.18.9.2", "--watch", "--multipath"],
        &["198.18.9.2", "--cycles", "3", "-r", "80", "81"],
    ] {
        let mut all = vec!["tracetcp"];
        all.extend_from_slice(bad);
        let r = Cli::try_parse_from(all).unwrap().config();
        assert!(matches!(r, Err(Error::Usage(_))), "{bad:?}");
    }
    for bad in [
        &["198.18.9.2", "--cycles", "0"][..],
        &["198.18.9.2", "--cycles", "3", "--watch"],
        &["198.18.9.2", "--cycles", "3", "--csv", "--json"],
    ] {
        let mut all = vec!["tracetcp"];
        all.extend_from_slice(bad);
        assert!(Cli::try_parse_from(all).is_err(), "{bad:?}");
    }
}
