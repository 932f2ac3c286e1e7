//! What the live view draws, from the figures alone: a title line, the
//! table of the chosen display (statistics, the latest RTTs as a
//! sparkline, or the kinds side by side) and a help line. Pure: a frame
//! in, cells out, so that tests render it on ratatui's TestBackend.

use crate::report::rounds::{across, figures, hosts, COLUMNS};
use crate::report::Names;
use crate::watch::{HopStats, Summary, TraceStats};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

/// What the table shows; `d` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Statistics,
    Sparkline,
    Compare,
}

impl Display {
    pub fn next(self) -> Self {
        match self {
            Display::Statistics => Display::Sparkline,
            Display::Sparkline => Display::Compare,
            Display::Compare => Display::Statistics,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Display::Statistics => "statistics",
            Display::Sparkline => "last RTTs",
            Display::Compare => "compare",
        }
    }
}

/// Everything the view shows besides the figures.
#[derive(Debug, Clone)]
pub struct Screen {
    pub title: String,
    pub display: Display,
    pub paused: bool,
    pub names: bool,
    /// Which trace the statistics and sparkline displays show.
    pub trace: usize,
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The latest RTTs of a hop, one character each, scaled to the worst
/// shown; "·" for a lost probe.
pub fn sparkline(h: &HopStats, width: usize) -> String {
    let recent: Vec<_> = h.recent.iter().rev().take(width).rev().collect();
    let worst = recent.iter().filter_map(|r| **r).max().unwrap_or_default();
    recent
        .iter()
        .map(|r| match r {
            None => '·',
            Some(_) if worst.is_zero() => BARS[0],
            Some(rtt) => {
                let level = rtt.as_nanos() * 7 / worst.as_nanos().max(1);
                BARS[level.min(7) as usize]
            }
        })
        .collect()
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// The rows of one trace: figures per hop (`spark`: the sparkline instead
/// of the columns after Loss%).
fn trace_rows(t: &TraceStats, names: &Names, spark: Option<usize>) -> Vec<Row<'static>> {
    t.shown()
        .iter()
        .map(|h| {
            let host = hosts(h, names).join(", ");
            let mut cells = vec![h.ttl.to_string(), host, format!("{:.1}%", h.loss_percent())];
            match spark {
                Some(width) => cells.push(sparkline(h, width)),
                None => cells.extend(figures(h)),
            }
            Row::new(cells)
        })
        .collect()
}

fn compare_rows(summary: &Summary, names: &Names) -> Vec<Row<'static>> {
    across(summary, names)
        .into_iter()
        .map(|r| {
            let mut cells = vec![r.ttl.map_or(String::new(), |t| t.to_string()), r.host];
            cells.extend(r.kinds.iter().map(|k| match k {
                Some((loss, avg)) => format!(
                    "{loss:.1}% {}",
                    avg.map_or("-".into(), |a| format!("{a:.2}"))
                ),
                None => "-".into(),
            }));
            Row::new(cells)
        })
        .collect()
}

/// Draws the whole view into `frame`.
pub fn draw(frame: &mut Frame, screen: &Screen, summary: &Summary, names: &Names) {
    let [title, table, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let state = if screen.paused { "  [paused]" } else { "" };
    let kind = summary
        .traces
        .get(screen.trace)
        .map_or(String::new(), |t| format!("  {}", t.spec.name()));
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{}  round {}{kind}{state}", screen.title, summary.rounds),
            bold(),
        )),
        title,
    );
    let number = Constraint::Length(6);
    let host = Constraint::Min(12);
    let (header, rows, widths) = match (screen.display, summary.traces.get(screen.trace)) {
        (Display::Compare, _) | (_, None) => {
            let mut header = vec!["Hop".to_string(), "Host".to_string()];
            header.extend(
                summary
                    .traces
                    .iter()
                    .map(|t| format!("{} Loss% Avg", t.spec.name())),
            );
            let mut widths = vec![Constraint::Length(4), host];
            widths.extend(summary.traces.iter().map(|_| Constraint::Length(18)));
            (header, compare_rows(summary, names), widths)
        }
        (Display::Sparkline, Some(t)) => {
            let width = usize::from(table.width.saturating_sub(4 + 24 + 8 + 3)).max(8);
            let header = ["Hop", "Host", "Loss%", "Last RTTs (· lost)"].map(String::from);
            let widths = vec![
                Constraint::Length(4),
                Constraint::Length(24),
                number,
                Constraint::Min(8),
            ];
            (header.to_vec(), trace_rows(t, names, Some(width)), widths)
        }
        (Display::Statistics, Some(t)) => {
            let mut header: Vec<String> = ["Hop", "Host", "Loss%"].map(String::from).to_vec();
            header.extend(COLUMNS.map(String::from));
            let mut widths = vec![Constraint::Length(4), host, number];
            widths.extend([number; COLUMNS.len()]);
            (header, trace_rows(t, names, None), widths)
        }
    };
    frame.render_widget(
        Table::new(rows, widths).header(Row::new(header).style(bold())),
        table,
    );
    let tab = if summary.traces.len() > 1 {
        "  tab next kind"
    } else {
        ""
    };
    frame.render_widget(
        Paragraph::new(format!(
            "q quit  p {}  r reset  n names {}  d display: {}{tab}",
            if screen.paused { "resume" } else { "pause" },
            if screen.names { "off" } else { "on" },
            screen.display.name()
        )),
        help,
    );
}

#[cfg(test)]
mod tests;
