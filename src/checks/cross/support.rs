//! Shared by the XC checks: where a paired container definition is, the user and shell it runs
//! with, and whether a program it names exists in the image. Not a check.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::ecs::{Container, Origin, Value};
use crate::model::image::Image;

/// Runs `check_pair` on every container definition paired with the scanned image (nothing when
/// no image was scanned): the shape of most XC checks.
pub fn for_each_pair(
    joined: &Joined,
    out: &mut Emitter,
    check_pair: fn(&Image, &Pairing, &mut Emitter),
) {
    let Some(image) = joined.image else {
        return;
    };
    for pair in joined.pairs {
        check_pair(image, pair, out);
    }
}

/// Where the container definition of a pair is, for findings.
pub fn container_location(pair: &Pairing, origin: &Origin) -> Location {
    origin.location(&pair.task_definition.resource)
}

/// The user spec a paired container runs with and where it came from: the task definition's
/// `user` when set (it overrides the image's `USER`), else the image config's. `None` when the
/// task definition's value cannot be known offline or is invalid.
pub fn effective_user_spec(image: &Image, container: &Container) -> Option<(String, &'static str)> {
    match &container.user.value {
        Value::Known(user) => Some((user.clone(), "task definition `user`")),
        Value::Absent if image.config_user().is_empty() => {
            Some((String::new(), "image config (no USER: runtime default)"))
        }
        Value::Absent => Some((image.config_user().to_string(), "image config USER")),
        _ => None,
    }
}

/// Where `program` runs from inside the image for this container: the image's lookup with the
/// container's `PATH` (the task definition's `environment` override, else the image's, else
/// Docker's default).
pub fn find_program(image: &Image, container: &Container, program: &str) -> Option<String> {
    let from_task = container.environment.items().iter().find_map(|variable| {
        (variable.name.as_str() == Some("PATH"))
            .then(|| variable.value.as_str())
            .flatten()
    });
    image.find_program(program, from_task.unwrap_or_else(|| image.path_env()))
}

/// A place in the image config (`/config/Healthcheck`), for related locations.
pub fn image_config_location(image: &Image, pointer: impl Into<String>) -> Location {
    Location {
        pointer: Some(pointer.into()),
        ..Location::image(&image.source)
    }
}
