//! What a run of several images adds to a report: the images that could not be scanned
//! (`errors`), and JSON Lines, one complete report per image.

use serde::Serialize;

use super::Report;

/// An image of a run of several that could not be scanned, and why (the error the run would
/// have stopped on, naming the file, blob or reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFailure {
    /// The image as the user named it.
    pub image: String,
    pub error: String,
}

/// `-f jsonl`: each section of a run of several images (one per image, then the Dockerfiles'
/// and task definitions'), as one compact JSON report per line; a run of one image is one line.
/// Every line is a report the JSON schema validates, so shard outputs concatenate.
pub fn render_jsonl(report: &Report) -> String {
    if report.sections.is_empty() {
        return line(report);
    }
    report.sections.iter().map(line).collect()
}

/// One report as one line of JSON Lines (with its newline).
pub fn line(report: &Report) -> String {
    let mut text = serde_json::to_string(report).expect("the report serializes");
    text.push('\n');
    text
}
