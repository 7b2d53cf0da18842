//! Shared by the XC checks: where a paired container definition is, for findings.

use crate::correlate::pairing::Pairing;
use crate::findings::{LineSpan, Location};
use crate::model::ecs::Origin;

/// Where the container definition of a pair is, for findings.
pub fn container_location(pair: &Pairing, origin: &Origin) -> Location {
    let (pointer, line) = (origin.pointer.as_str(), origin.line);
    let resource = &pair.task_definition.resource;
    Location {
        lines: line.map(|l| LineSpan { start: l, end: l }),
        ..Location::task_definition(&resource.file, &resource.name, pointer)
    }
}

