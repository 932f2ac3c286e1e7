//! From the parsed command line to what runs: a live run's `Config` or a
//! replay's `ReplayConfig`, with every combination checked.

use super::ports::{compare_specs, port_range, DEFAULT_TCP_PORT, DEFAULT_UDP_PORT};
use super::Cli;
use crate::engine::{Confidence, Paths, Settings, Transport};
use crate::error::{Error, Result};
use crate::live::many::{ManyConfig, DEFAULT_RATE};
use crate::live::Config;
use crate::many::targets::TargetList;
use crate::owners;
use crate::replay::ReplayConfig;
use crate::report::Format;
use crate::send::SendMethod;
use crate::target::{resolve_port, Family, TargetArg};
use crate::trace::TraceSpec;
use crate::watch::Schedule;
use std::time::Duration;
use tracetcp_strategies::{Flow, Protocol};

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Mode {
    Live(Box<Config>),
    Replay(ReplayConfig),
    /// Several targets (`--targets`, more than one host).
    Many(ManyConfig),
}

impl Cli {
    pub fn mode(&self) -> Result<Mode> {
        if self.show_packets && self.replay.is_none() {
            return Err(Error::Usage(
                "--show-packets shows a replay's packets: use it with --replay FILE".into(),
            ));
        }
        match &self.replay {
            Some(path) => Ok(Mode::Replay(ReplayConfig {
                path: path.clone(),
                format: if self.atlas {
                    Some(Format::Atlas)
                } else if self.scamper {
                    Some(Format::Scamper)
                } else if self.dot {
                    Some(Format::Dot)
                } else if self.json {
                    Some(Format::Json)
                } else if self.csv {
                    Some(Format::Csv)
                } else if self.condensed {
                    Some(Format::Condensed)
                } else if self.classic {
                    Some(Format::Classic)
                } else {
                    None
                },
                numeric: self.numeric,
                show_packets: self.show_packets,
                diagnosis: !self.no_diagnosis,
                every_hop: self.all_hops,
                session: self.session,
            })),
            None if !self.more.is_empty()
                || self.targets.is_some()
                || self.jsonl
                || self.rate.is_some()
                || self.no_stop_set =>
            {
                self.many().map(Mode::Many)
            }
            None => self.config().map(|c| Mode::Live(Box::new(c))),
        }
    }

    pub fn config(&self) -> Result<Config> {
        let target = self.target.as_deref().ok_or_else(|| {
            Error::Usage("no target given: tracetcp host[:port|:service] [options]".into())
        })?;
        self.config_for(target)
    }

    /// Every target of a run with many, each with its config.
    fn many(&self) -> Result<ManyConfig> {
        if let Some(n) = self
            .more
            .iter()
            .find(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::Usage(format!(
                "'{n}' is no host: give a port as host:{n} or --port {n}"
            )));
        }
        let refused = [
            (self.cycles.is_some(), "--cycles"),
            (self.watch, "--watch"),
            (self.csv, "--csv"),
        ];
        if let Some((_, flag)) = refused.iter().find(|(on, _)| *on) {
            return Err(Error::Usage(format!(
                "{flag} traces one target: give one host"
            )));
        }
        let command_line = self.target.iter().chain(&self.more).cloned().collect();
        let list = TargetList::new(command_line, self.targets.clone()).map_err(Error::Usage)?;
        if list.total == Some(0) {
            return Err(Error::Usage("the target list holds no target".into()));
        }
        // Each target's config is made as the run reaches it.
        let args = std::sync::Arc::new(self.clone());
        Ok(ManyConfig {
            targets: list,
            config_for: std::sync::Arc::new(move |t: &str| {
                args.config_for(t).map_err(|e| e.to_string())
            }),
            rate: self.rate.unwrap_or(DEFAULT_RATE),
            jsonl: self.jsonl,
            stop_sets: !self.no_stop_set,
        })
    }

    /// The config of a run to `target`.
    fn config_for(&self, target: &str) -> Result<Config> {
        let mut target = TargetArg::parse(target)?;
        if let Some(port) = &self.port {
            if target.port.is_some() {
                return Err(Error::Usage(format!(
                    "the port is given twice: in the host and as --port {port}"
                )));
            }
            target.port = Some(port.clone());
        }
        let protocol = match (self.tcp, self.udp, self.icmp) {
            (true, _, _) => Protocol::Tcp,
            (_, true, _) => Protocol::Udp,
            (_, _, true) => Protocol::Icmp,
            _ => self.protocol,
        };
        if let Some(spec) = &self.compare {
            return self.finish(
                target.host,
                compare_specs(spec, target.port.as_deref())?,
                Format::Compare,
            );
        }
        if let (Some(port), Some(r)) = (&target.port, self.range.as_ref().or(self.scan.as_ref())) {
            return Err(Error::Usage(format!(
                "the port in host:{port} and the range {} {} both choose ports: give one",
                r[0], r[1]
            )));
        }
        let ports = match (&self.range, &self.scan, &target.port) {
            (Some(r), _, _) | (None, Some(r), _) => port_range(r)?,
            (None, None, Some(p)) => vec![resolve_port(p, protocol)?],
            (None, None, None) => vec![match protocol {
                Protocol::Udp => DEFAULT_UDP_PORT,
                _ => DEFAULT_TCP_PORT,
            }],
        };
        if protocol == Protocol::Icmp && ports.len() > 1 {
            return Err(Error::Usage(
                "-r and -s need port probes: use -P tcp or -P udp".into(),
            ));
        }
        let specs = ports
            .into_iter()
            .map(|p| TraceSpec::new(protocol, p))
            .collect();
        let format = if self.json {
            Format::Json
        } else if self.condensed || self.scan.is_some() {
            Format::Condensed
        } else {
            Format::Classic
        };
        self.finish(target.host, specs, format)
    }

    /// Rounds, when --cycles or --watch asks for them; the combinations
    /// that make no sense with rounds are refused.
    fn rounds(&self) -> Result<Option<Schedule>> {
        let cycles = match (self.cycles, self.watch) {
            (None, false) => {
                if self.interval.is_some() {
                    return Err(Error::Usage(
                        "--interval sets the time between rounds: use it with --cycles N or \
                         --watch"
                            .into(),
                    ));
                }
                if self.csv {
                    return Err(Error::Usage(
                        "--csv writes the statistics of rounds: use it with --cycles N or --watch"
                            .into(),
                    ));
                }
                return Ok(None);
            }
            (cycles, _) => cycles,
        };
        let clash = [
            (self.range.is_some(), "-r"),
            (self.scan.is_some(), "-s"),
            (self.multipath, "--multipath"),
            (self.mtu, "--mtu"),
        ];
        if let Some((_, flag)) = clash.iter().find(|(set, _)| *set) {
            return Err(Error::Usage(format!(
                "{flag} is a single trace's: rounds (--cycles, --watch) watch one path"
            )));
        }
        Ok(Some(Schedule {
            cycles,
            interval: self
                .interval
                .map_or(crate::watch::DEFAULT_INTERVAL, Duration::from_millis),
        }))
    }

    /// The rest of a live config, common to traces and comparisons.
    fn finish(&self, host: String, specs: Vec<TraceSpec>, format: Format) -> Result<Config> {
        let scan = self.scan.is_some();
        let rounds = self.rounds()?;
        let format = match (self.json, self.csv, self.atlas) {
            _ if self.scamper => Format::Scamper,
            _ if self.dot => Format::Dot,
            (_, _, true) => Format::Atlas,
            (true, _, _) => Format::Json,
            (_, true, _) => Format::Csv,
            _ => format,
        };
        let per_round = if rounds.is_some() { 1 } else { 3 };
        let mut settings = Settings {
            first_ttl: self.start_hop,
            max_hops: self.max_hops,
            probes_per_hop: self.probes.unwrap_or(per_round),
            timeout: Duration::from_millis(self.wait.unwrap_or(self.timeout_ms)),
            pacing: !self.no_pacing,
            adaptive_pacing: true,
            moot_syns_dropped: true,
            paths: if self.multipath {
                Paths::All {
                    confidence: self.confidence.unwrap_or(Confidence::Percent95),
                }
            } else if self.no_paris {
                Paths::PerProbe
            } else {
                Paths::OneFlow
            },
            max_in_flight: self
                .in_flight
                .map_or(Settings::default().max_in_flight, usize::from),
            // The interface's MTU, read once the route is known.
            mtu: self.mtu.then_some(0),
            // Through ordinary sockets if the run has no privileges: the
            // live run decides.
            transport: Transport::Capture,
            ahead: Settings::default().ahead,
        };
        if scan {
            settings.first_ttl = crate::engine::SCAN_TTL;
            settings.max_hops = 1;
            settings.probes_per_hop = 1;
        }
        let send = if self.unprivileged {
            SendMethod::Sockets
        } else if self.inject || self.gateway.is_some() {
            SendMethod::Inject {
                gateway: self.gateway,
            }
        } else {
            SendMethod::Raw
        };
        let family = match (self.ipv4, self.ipv6) {
            (true, _) => Some(Family::V4),
            (_, true) => Some(Family::V6),
            _ => None,
        };
        Ok(Config {
            host,
            family,
            specs,
            settings,
            format,
            numeric: self.numeric || scan,
            send,
            interface: self.interface.clone(),
            source: self.source,
            write: self.write.clone(),
            diagnosis: !self.no_diagnosis,
            every_hop: self.all_hops,
            flow: self.flow.map(Flow::new),
            rounds,
            owners: match (&self.as_source, self.owners) {
                (Some(text), _) => Some(owners::Source::parse(text).map_err(Error::Usage)?),
                (None, true) => Some(owners::Source::Cymru),
                (None, false) => None,
            },
            dns_server: self.dns_server,
        })
    }
}
