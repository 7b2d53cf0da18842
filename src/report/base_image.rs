//! What the report says about an image as a base: its operating system and that release's end
//! of life (with the EOL table's source and "as of" date). Built from the model; rendered by
//! `text` and serialized as is by `json`.

use serde::Serialize;

use crate::dates::Date;
use crate::model::eol::{self, EolState};
use crate::model::os::OperatingSystem;

/// The image's operating system, as the report shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OsSummary {
    /// os-release `ID` (`debian`).
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The release cycle the EOL table is keyed by (`3.19`, `12`, `22.04`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_cycle: Option<String>,
    pub distroless: bool,
    /// The file it was read from, inside the image.
    pub source: String,
    pub end_of_life: EolSummary,
}

/// A release's end of life on the scan date.
#[derive(Debug, Clone, Serialize)]
pub struct EolSummary {
    pub status: EolState,
    /// The end of free security updates (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The end of paid extended support, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_extended_support_until: Option<String>,
    /// Where the table comes from.
    pub table_source: &'static str,
    /// The table's "as of" date.
    pub table_as_of: &'static str,
}

impl Default for EolSummary {
    fn default() -> EolSummary {
        EolSummary {
            status: EolState::UnknownDistribution,
            date: None,
            paid_extended_support_until: None,
            table_source: eol::EOL_TABLE_SOURCE,
            table_as_of: eol::EOL_TABLE_AS_OF,
        }
    }
}

impl OsSummary {
    pub fn of(os: &OperatingSystem, today: Date) -> OsSummary {
        let status = eol::status(os, today);
        OsSummary {
            id: os.id.clone(),
            name: os.name.clone(),
            version_id: os.version_id.clone(),
            pretty_name: os.pretty_name.clone(),
            release_cycle: status.cycle.clone(),
            distroless: os.distroless,
            source: os.source.clone(),
            end_of_life: EolSummary {
                status: status.state,
                date: status.end.map(|d| d.to_string()),
                paid_extended_support_until: status.extended.map(|d| d.to_string()),
                ..EolSummary::default()
            },
        }
    }

    /// `Debian GNU/Linux 12 (distroless), end of life 2028-06-30 (supported)`: the text report's line.
    pub fn describe(&self) -> String {
        let mut text = self
            .pretty_name
            .clone()
            .unwrap_or_else(|| match &self.version_id {
                Some(version) => format!("{} {version}", self.name),
                None => self.name.clone(),
            });
        if self.distroless && !text.to_ascii_lowercase().contains("distroless") {
            text.push_str(" (distroless)");
        }
        let eol = &self.end_of_life;
        let state = match eol.status {
            EolState::Supported => "supported",
            EolState::EndingSoon => "ENDING SOON",
            EolState::Ended => "PAST END OF LIFE",
            EolState::Rolling => "rolling release, no end of life",
            EolState::Development => "development branch, no end of life",
            EolState::NotInTable => "release not in the EOL table",
            EolState::UnknownDistribution => "distribution not in the EOL table",
        };
        match &eol.date {
            Some(date) => format!("{text}; end of life {date} ({state})"),
            None => format!("{text}; {state}"),
        }
    }
}

/// The report note when the EOL table is more than a year older than the scan date.
pub fn stale_table_note(today: Date) -> Option<String> {
    eol::table_is_stale(today).then(|| {
        format!(
            "the end-of-life table is from {} (endoflife.date), more than a year before this scan ({today}): newer releases and changed dates are missing; a newer harden has a newer table",
            eol::EOL_TABLE_AS_OF
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_note_only_after_a_year() {
        let as_of = eol::table_as_of();
        assert!(stale_table_note(as_of).is_none());
        let later = Date {
            year: as_of.year + 2,
            ..as_of
        };
        let note = stale_table_note(later).unwrap();
        assert!(note.contains(eol::EOL_TABLE_AS_OF), "{note}");
    }
}

/// One layer as the image summary lists it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LayerSummary {
    /// Digest of the blob as stored.
    pub digest: String,
    /// As the manifest names it; for a classic `docker save` (none named), the Docker media type
    /// of the compression the magic bytes show.
    pub media_type: String,
    /// `gzip`, `zstd` or `none`, from the blob's magic bytes.
    pub compression: String,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    /// The history step that created it, when the history lines up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// What a reviewer of a base image reads first: sizes, layers, labels, what it runs and exposes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageDetails {
    /// The config's `created` (RFC 3339, as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub layers: Vec<LayerSummary>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// BuildKit provenance and SBOM attestations the index attaches to the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<crate::model::image::Attestation>,
}

impl ImageDetails {
    pub fn of(image: &crate::model::image::Image) -> ImageDetails {
        ImageDetails {
            created: image.created.clone(),
            compressed_size: image.layers.iter().map(|l| l.compressed_size).sum(),
            uncompressed_size: image.layers.iter().map(|l| l.uncompressed_size).sum(),
            layers: image
                .layers
                .iter()
                .map(|layer| LayerSummary {
                    digest: layer.digest.clone(),
                    media_type: layer.media_type.clone(),
                    compression: layer.compression.clone(),
                    compressed_size: layer.compressed_size,
                    uncompressed_size: layer.uncompressed_size,
                    created_by: layer.created_by.clone(),
                })
                .collect(),
            labels: image.config.labels.clone(),
            entrypoint: image.config.entrypoint.clone(),
            cmd: image.config.cmd.clone(),
            exposed_ports: image.config.exposed_ports.clone(),
            attestations: image.attestations.clone(),
        }
    }
}

/// `1.2 MiB`: a size for the text report.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
