//! The image config JSON (OCI image spec config.md, and Docker's image JSON, which adds
//! `Healthcheck`) turned into [`ImageConfig`], history and platform. Our own serde types rather
//! than oci-spec's `ImageConfiguration`: that type drops Docker's `Healthcheck` and rejects
//! configs where real producers write `null` or leave fields out.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ImageError;
use super::store::BlobLocation;
use crate::model::image::{Healthcheck, HistoryEntry, ImageConfig, Platform};

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RuntimeConfig>,
    #[serde(default)]
    rootfs: Option<RootFs>,
    #[serde(default)]
    history: Option<Vec<History>>,
    /// Any JSON value: a config whose `created` is not a string still loads (it is then unknown).
    #[serde(default)]
    created: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuntimeConfig {
    user: Option<String>,
    env: Option<Vec<String>>,
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    volumes: Option<BTreeMap<String, serde_json::Value>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    stop_signal: Option<String>,
    healthcheck: Option<HealthcheckConfig>,
    shell: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HealthcheckConfig {
    test: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct History {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    empty_layer: Option<bool>,
}

/// What the loader needs from a config.
#[derive(Debug, Clone)]
pub struct ParsedConfig {
    pub platform: Platform,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub diff_ids: Vec<String>,
    /// `created`, as written (RFC 3339), cut to 64 characters.
    pub created: Option<String>,
}

pub fn parse_config(
    input: &str,
    location: &BlobLocation,
    bytes: &[u8],
) -> Result<ParsedConfig, ImageError> {
    let file: ConfigFile = serde_json::from_slice(bytes).map_err(|e| ImageError::InvalidJson {
        input: input.to_string(),
        blob: format!("config {location}"),
        detail: e.to_string(),
    })?;
    let diff_ids = file.rootfs.and_then(|r| r.diff_ids).ok_or_else(|| {
        ImageError::invalid(input, format!("config {location}: no rootfs.diff_ids"))
    })?;
    let runtime = file.config.unwrap_or_default();
    let config = ImageConfig {
        user: runtime.user,
        env: runtime.env.unwrap_or_default(),
        exposed_ports: runtime
            .exposed_ports
            .unwrap_or_default()
            .into_keys()
            .collect(),
        volumes: runtime.volumes.unwrap_or_default().into_keys().collect(),
        entrypoint: runtime.entrypoint,
        cmd: runtime.cmd,
        working_dir: runtime.working_dir.filter(|d| !d.is_empty()),
        labels: runtime.labels.unwrap_or_default(),
        stop_signal: runtime.stop_signal,
        healthcheck: runtime.healthcheck.map(|h| Healthcheck {
            test: h.test.unwrap_or_default(),
        }),
        shell: runtime.shell.filter(|shell| !shell.is_empty()),
    };
    let history = file
        .history
        .unwrap_or_default()
        .into_iter()
        .map(|h| HistoryEntry {
            created_by: h.created_by.unwrap_or_default(),
            comment: h.comment,
            empty_layer: h.empty_layer.unwrap_or(false),
        })
        .collect();
    Ok(ParsedConfig {
        platform: Platform {
            os: file.os.unwrap_or_default(),
            architecture: file.architecture.unwrap_or_default(),
            variant: file.variant,
        },
        config,
        history,
        diff_ids,
        created: file
            .created
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .map(|c| c.chars().take(64).collect()),
    })
}
