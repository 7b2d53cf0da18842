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

impl ImageFailure {
    /// One line naming the image and the error: the error alone when it names the image already
    /// (most image errors start with it).
    pub fn describe(&self) -> String {
        if self.error.contains(&self.image) {
            self.error.clone()
        } else {
            format!("{}: {}", self.image, self.error)
        }
    }
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
