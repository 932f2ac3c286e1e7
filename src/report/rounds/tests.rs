//! The rounds reports on statistics folded from hand-built rounds.

use super::*;
use crate::diagnosis::rounds::diagnose;
use crate::run::testing::run_info;
use crate::trace::TraceSpec;
use crate::watch::summary::testing::summary_of;
use tracetcp_strategies::Protocol;

const ROUTERS: [&str; 4] = ["198.18.1.1", "198.18.2.1", "198.18.3.1", "198.18.9.2"];

fn summary(specs: &[TraceSpec]) -> Summary {
    // Hop 2 answers every other round, alternately from two routers in
    // the rounds it answers; RTTs grow with the round.
    summary_of(specs, 4, |_, r, ttl| match (ttl, r) {
        (2, 1 | 3) => None,
        (2, 2) => Some(("198.18.2.2", 7)),
        _ => Some((ROUTERS[usize::from(ttl) - 1], 2 * u64::from(ttl) + r)),
    })
}

fn schedule() -> Schedule {
    Schedule {
        cycles: Some(4),
        interval: Duration::from_secs(1),
    }
}

#[test]
fn the_text_report_is_mtrs_table_with_columns_aligned() {
    let specs = [TraceSpec::new(Protocol::Tcp, 80)];
    let mut names = Names::new();
    names.insert("198.18.1.1".parse().unwrap(), "r1.lab".into());
    let text = text(&run_info(), &schedule(), &summary(&specs), &names);
    let expected = "\
Watching 198.18.9.2 [server.lab] with tcp:80 from 198.18.0.1: 4 rounds, 1 s apart.
All probes on one flow: 45123.

tcp:80:
 Hop  Host                  Loss%    Snt   Last    Avg   Best   Wrst  StDev   Jttr   Javg   Jmax   Jint
   1  198.18.1.1 [r1.lab]    0.0%      4   5.00   3.50   2.00   5.00   1.12   1.00   1.00   1.00   0.18
   2  198.18.2.1 (50%)      50.0%      4   7.00   5.50   4.00   7.00   1.50   3.00   3.00   3.00   0.19
      198.18.2.2 (50%)
   3  198.18.3.1             0.0%      4   9.00   7.50   6.00   9.00   1.12   1.00   1.00   1.00   0.18
   4  198.18.9.2             0.0%      4   11.0   9.50   8.00   11.0   1.12   1.00   1.00   1.00   0.18
Destination reached in 4 of 4 rounds (hop 4).
";
    assert_eq!(text, expected);
}

#[test]
fn several_kinds_show_side_by_side_then_each_table() {
    let specs = [
        TraceSpec::new(Protocol::Tcp, 443),
        TraceSpec::new(Protocol::Icmp, 0),
    ];
    let text = text(&run_info(), &schedule(), &summary(&specs), &Names::new());
    let side = "\
 Hop  Host               tcp:443            icmp
                   Loss%     Avg   Loss%     Avg
   1  198.18.1.1    0.0%    3.50    0.0%    3.50
   2  198.18.2.1   50.0%    5.50   50.0%    5.50
";
    assert!(text.contains(side), "{text}");
    assert!(
        text.contains("\ntcp:443:\n") && text.contains("\nicmp:\n"),
        "{text}"
    );
}

#[test]
fn csv_has_one_row_per_hop_with_every_figure() {
    let specs = [TraceSpec::new(Protocol::Tcp, 80)];
    let csv = csv(&summary(&specs), &Names::new());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0].split(',').count(), 17);
    assert_eq!(
        lines[2],
        "tcp:80,2,198.18.2.1,,50.0,4,2,7.000,5.500,4.000,7.000,1.500,3.000,3.000,3.000,0.188,\
         198.18.2.1=1;198.18.2.2=1"
    );
    assert!(lines.iter().all(|l| l.split(',').count() == 17));
}

#[test]
fn json_holds_the_figures_per_hop_and_responder_and_the_diagnosis() {
    let specs = [TraceSpec::new(Protocol::Tcp, 80)];
    let s = summary(&specs);
    let findings = diagnose(&run_info(), &s);
    let text =
        super::super::rounds_json::render(&run_info(), &schedule(), &s, &Names::new(), &findings);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["rounds"]["completed"], 4);
    assert_eq!(v["rounds"]["interval_ms"], 1000);
    let hop2 = &v["traces"][0]["hops"][1];
    assert_eq!(hop2["loss_percent"], 50.0);
    assert_eq!(hop2["avg_ms"], 5.5);
    assert_eq!(hop2["responders"][1]["address"], "198.18.2.2");
    assert_eq!(hop2["responders"][1]["share_percent"], 50.0);
    assert_eq!(hop2["responder_changes"], 1);
    assert_eq!(v["traces"][0]["first_route_change"]["round"], 3);
    let kinds: Vec<&str> = v["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["route-change", "reached"]);
    assert_eq!(v["target"]["address"], "198.18.9.2");
}

#[test]
fn a_round_is_one_plain_line() {
    use crate::trace::testing::{router, silent};
    let r = TraceResult::new(
        TraceSpec::new(Protocol::Tcp, 80),
        vec![router(1, "198.18.1.1", &[2]), silent(2, 1)],
        TraceEnd::MaxHops,
    );
    assert_eq!(
        round_line(7, &r),
        "round 7 tcp:80: 1 198.18.1.1 2.0 | 2 *\n"
    );
}
