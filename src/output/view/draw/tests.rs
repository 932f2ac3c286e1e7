//! The live view rendered on ratatui's TestBackend: layout, each display,
//! and a narrow terminal.

use super::*;
use crate::trace::TraceSpec;
use crate::watch::summary::testing::summary_of;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tracetcp_strategies::Protocol;

const ROUTERS: [&str; 4] = ["198.18.1.1", "198.18.2.1", "198.18.3.1", "198.18.9.2"];

fn summary() -> Summary {
    let specs = [
        TraceSpec::new(Protocol::Tcp, 443),
        TraceSpec::new(Protocol::Icmp, 0),
    ];
    summary_of(&specs, 10, |t, r, ttl| {
        let lost = ttl == 2 && t == 1 && r % 2 == 0;
        (!lost).then_some((ROUTERS[usize::from(ttl) - 1], u64::from(ttl) + r % 3))
    })
}

fn screen(display: Display) -> Screen {
    Screen {
        title: "tracetcp server.lab (198.18.9.2)".into(),
        display,
        paused: false,
        names: true,
        trace: 0,
    }
}

/// The rendered lines, trailing spaces cut.
fn render(screen: &Screen, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut names = Names::new();
    names.insert("198.18.1.1".parse().unwrap(), "r1.lab".into());
    terminal
        .draw(|f| draw(f, screen, &summary(), &names))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            let line: String = (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            line.trim_end().to_string()
        })
        .collect()
}

#[test]
fn the_statistics_table_has_a_title_a_header_a_row_per_hop_and_help() {
    let lines = render(&screen(Display::Statistics), 120, 10);
    assert_eq!(
        lines[0],
        "tracetcp server.lab (198.18.9.2)  round 10  tcp:443"
    );
    assert!(lines[1].starts_with("Hop  Host"), "{lines:#?}");
    for w in [
        "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev", "Javg", "Jint",
    ] {
        assert!(lines[1].contains(w), "{w}: {}", lines[1]);
    }
    assert!(
        lines[2].starts_with("1    198.18.1.1 [r1.lab]"),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains("0.0%") && lines[2].contains("10"),
        "{}",
        lines[2]
    );
    assert!(lines[5].starts_with("4    198.18.9.2"), "{}", lines[5]);
    assert_eq!(
        lines[9],
        "q quit  p pause  r reset  n names off  d display: statistics  tab next kind"
    );
}

#[test]
fn the_sparkline_and_compare_displays() {
    let mut s = screen(Display::Sparkline);
    s.trace = 1;
    s.paused = true;
    let lines = render(&s, 80, 8);
    assert!(
        lines[0].ends_with("round 10  icmp  [paused]"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("Last RTTs"), "{}", lines[1]);
    // icmp at hop 2: every other round lost.
    assert_eq!(lines[3].matches('·').count(), 5, "{}", lines[3]);
    let lines = render(&screen(Display::Compare), 90, 8);
    assert!(lines[1].contains("tcp:443 Loss% Avg") && lines[1].contains("icmp Loss% Avg"));
    assert!(
        lines[3].contains("0.0%") && lines[3].contains("50.0%"),
        "{}",
        lines[3]
    );
}

#[test]
fn a_narrow_terminal_still_draws_without_panicking() {
    for (w, h) in [(20, 4), (1, 1), (40, 3), (200, 60)] {
        for d in [Display::Statistics, Display::Sparkline, Display::Compare] {
            let lines = render(&screen(d), w, h);
            assert_eq!(lines.len(), usize::from(h));
        }
    }
}

#[test]
fn sparklines_scale_to_the_worst_and_mark_losses() {
    let mut h = HopStats::new(1);
    for ms in [1, 8, 4] {
        h.add(Some((
            "198.18.1.1".parse().unwrap(),
            std::time::Duration::from_millis(ms),
        )));
    }
    h.add(None);
    assert_eq!(sparkline(&h, 10), "▁█▄·");
    // Scaled to the worst of those shown.
    assert_eq!(sparkline(&h, 2), "█·");
}
