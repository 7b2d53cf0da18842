//! Writes the demo image `images/demo/demo.tar` (a `docker save` archive in
//! Docker 25+'s layout, so it has a manifest digest) from its description
//! `images/demo/demo.image`, with the project's own test kit. Deterministic: running it again
//! writes the same bytes, and a test checks the committed archive is current.
//!
//! `cargo run --example make_demo`

use std::path::Path;

use harden::testkit::{Layout, parse_image};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("images/demo");
    let text = std::fs::read_to_string(dir.join("demo.image"))?;
    let image = parse_image(&text)?;
    image.write(Layout::DockerOciArchive, &dir.join("demo.tar"))?;
    println!("wrote {}", dir.join("demo.tar").display());
    Ok(())
}
