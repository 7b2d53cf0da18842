//! Joins the inputs: pairs container definitions with the scanned image and the Dockerfile with the
//! image, computes effective settings, and applies ignores. Cross-source checks read [`Joined`].

pub mod dockerfile_match;
pub mod ignore;
pub mod pairing;

use crate::model::dockerfile::Dockerfile;
use crate::model::ecs::EcsInventory;
use crate::model::image::Image;

/// Everything one scan read, for the cross-source checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Joined<'a> {
    pub image: Option<&'a Image>,
    pub dockerfile: Option<&'a Dockerfile>,
    pub ecs: Option<&'a EcsInventory>,
    /// Container definitions paired with `image` (see [`pairing`]).
    pub pairs: &'a [pairing::Pairing<'a>],
}
