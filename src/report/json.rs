//! The JSON report: the full-fidelity format, with a schema version (see the README).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("the report serializes");
    text.push('\n');
    text
}
