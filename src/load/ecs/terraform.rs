//! `terraform show -json` plan and state output (reference §3.5). Filled in below.

use super::{Document, EcsLoadError, Loaded};

pub(crate) fn load(document: &Document) -> Result<Loaded, EcsLoadError> {
    Err(EcsLoadError::Format {
        file: document.file.clone(),
        message: "Terraform input is not supported yet".into(),
    })
}
