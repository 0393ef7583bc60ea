//! The sweep table for people: a header, one aligned line per target, the summary.

use std::fmt::Write as _;

use super::{cells, sweep_summary, HEADERS};
use crate::sweep::SweepReport;

/// The table for people: a header, one aligned line per target, the summary.
pub fn render_sweep_table(report: &SweepReport) -> String {
    let rows: Vec<[String; 11]> = report.rows.iter().map(cells).collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&HEADERS.map(String::from));
    for row in &rows {
        line(row);
    }
    let _ = writeln!(out, "\n{}", sweep_summary(report));
    out
}
