//! Resource limits for untrusted input: every size, count and depth an attacker chooses is
//! bounded here. Each default is far above what any real image, Dockerfile or task definition
//! reaches; a user raises one with `--limit NAME=VALUE` or `[limits]` in `harden.toml`. Exceeding a
//! limit is an input error (exit 2) that names the limit and how to raise it, never a partial report.

use std::fmt;

/// One limit's name, as the user writes it (`--limit layer-bytes=64GiB`), and its value.
macro_rules! limits {
    ($( $(#[doc = $doc:literal])* $field:ident = $name:literal : $default:expr ),* $(,)?) => {
        /// Every limit, with its default.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Limits {
            $( $(#[doc = $doc])* pub $field: u64, )*
        }

        impl Default for Limits {
            fn default() -> Limits {
                Limits { $( $field: $default, )* }
            }
        }

        impl Limits {
            /// Every limit's user-facing name, its default and its documentation line.
            pub const NAMES: &'static [(&'static str, u64, &'static str)] = &[
                $( ($name, $default, concat!($($doc),*)), )*
            ];

            fn slot(&mut self, name: &str) -> Option<&mut u64> {
                match name {
                    $( $name => Some(&mut self.$field), )*
                    _ => None,
                }
            }

            /// The value of a limit by its user-facing name.
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $( $name => Some(self.$field), )*
                    _ => None,
                }
            }
        }
    };
}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

limits! {
    /// Uncompressed bytes of one layer.
    layer_bytes = "layer-bytes": 64 * GIB,
    /// Uncompressed bytes of all the layers of one image.
    image_bytes = "image-bytes": 256 * GIB,
    /// Tar entries (files, directories, links...) in one image, all layers together.
    entries = "entries": 10_000_000,
    /// Bytes of one path inside an image (a PAX or GNU long name included).
    path_bytes = "path-bytes": 16 * KIB,
    /// Components of one path inside an image.
    path_depth = "path-depth": 1_024,
    /// Bytes of one tar extended header (PAX or GNU long name/link record).
    header_bytes = "header-bytes": MIB,
    /// Bytes of the paths of parent directories layers imply without listing them (a deep
    /// path's missing ancestors), all layers together.
    implied_dir_bytes = "implied-dir-bytes": 64 * MIB,
    /// Bytes of file contents kept in memory for the checks, all files together.
    kept_bytes = "kept-bytes": 256 * MIB,
    /// Layers of one image.
    layers = "layers": 1_000,
    /// Manifests in one index (nested indexes counted together).
    manifests = "manifests": 10_000,
    /// Bytes of one JSON document of an image (manifest, index, config).
    metadata_bytes = "metadata-bytes": 64 * MIB,
    /// Bytes of one Dockerfile, task-definition, stack or config file.
    input_bytes = "input-bytes": 64 * MIB,
    /// Bytes of an image read from standard input and spooled to a temporary file.
    stdin_bytes = "stdin-bytes": 256 * GIB,
    /// Nesting depth of JSON/YAML values, Dockerfile variable expansions and chains of stages.
    nesting_depth = "nesting-depth": 128,
    /// Bytes one Dockerfile word may grow to by variable expansion.
    expansion_bytes = "expansion-bytes": MIB,
    /// Words of one Dockerfile's instructions and heredocs, all together, counted before they are
    /// split (every separator counts: blanks, `=`, `,`, shell operators), so a huge `LABEL` or
    /// `RUN` is refused before it costs memory.
    dockerfile_words = "dockerfile-words": 1_000_000,
    /// Bytes variable expansion adds to one Dockerfile's words, all words together (each word is
    /// also bounded by `expansion-bytes`): a 1 MB `ARG` named 3,000 times is 3 GB otherwise.
    expanded_bytes = "expanded-bytes": 16 * MIB,
    /// Tags listed from one registry repository (`--all-tags`), all pages together.
    tags = "tags": 10_000,
    /// Images in one run (arguments, `--images-from` lines and listed tags together).
    images = "images": 100_000,
    /// Entries (array items and object members) of one `--vulns` report, all arrays together.
    vuln_entries = "vuln-entries": 2_000_000,
    /// Steps resolving one CloudFormation template's intrinsic functions (each `Ref`, `Fn::Sub`,
    /// `Fn::If` or condition, and each byte `Fn::Sub` reads or writes) or one Terraform plan's
    /// module-output references (each reference followed and each resource it names).
    resolve_steps = "resolve-steps": 20_000_000,
    /// Values (scalars, sequences, mappings) of one YAML task definition or template, each
    /// alias counted as the values it copies.
    yaml_values = "yaml-values": 2_000_000,
    /// Bytes of the paths from an ECS input's root to each of its values (keys and indexes joined
    /// by `/`), all values together: each value keeps its path for the report's locations, so a
    /// long key above many values is held once per value.
    value_path_bytes = "value-path-bytes": 256 * MIB,
}

/// Why a `--limit` or `[limits]` value is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitParseError {
    #[error("unknown limit {0:?}; the limits are: {names}", names = limit_names())]
    UnknownName(String),
    #[error("limit {name}: {value:?} is not a number (suffixes K, M, G, T, KiB, MiB, GiB, TiB)")]
    BadValue { name: String, value: String },
    #[error("expected NAME=VALUE (for example layer-bytes=128GiB), not {0:?}")]
    NoEquals(String),
}

fn limit_names() -> String {
    Limits::NAMES
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Limits {
    /// Sets one limit by name; `value` takes binary suffixes (`64GiB`, `64G`) or a plain number.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), LimitParseError> {
        let parsed = parse_quantity(value).ok_or_else(|| LimitParseError::BadValue {
            name: name.to_string(),
            value: value.to_string(),
        })?;
        let slot = self
            .slot(name.trim())
            .ok_or_else(|| LimitParseError::UnknownName(name.to_string()))?;
        *slot = parsed;
        Ok(())
    }

    /// Applies `NAME=VALUE`, as `--limit` takes it.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), LimitParseError> {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| LimitParseError::NoEquals(pair.to_string()))?;
        self.set(name, value)
    }
}

/// `123`, `64K`, `64KiB`, `2G`... (binary multiples either way, as the sizes are memory).
pub fn parse_quantity(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits.replace('_', "").parse().ok()?;
    let multiplier = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        "t" | "tb" | "tib" => GIB * KIB,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

/// A limit was exceeded: an input error naming the limit, what reached it, and how to raise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitExceeded {
    /// The limit's user-facing name (`layer-bytes`).
    pub limit: &'static str,
    /// The limit's value in force.
    pub max: u64,
    /// What reached it (`layer sha256:ab12…`, `Dockerfile line 12`), already safe to print.
    pub what: String,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} exceeds the {} limit ({}); if this input is trusted, raise it with --limit {}=VALUE",
            self.what,
            self.limit,
            value_of(self.limit, self.max),
            self.limit
        )
    }
}

/// A limit's value: in binary units for a size (`layer-bytes`: `64 GiB`), plain for a count
/// (`path-depth`: `1024`).
pub fn value_of(name: &str, value: u64) -> String {
    if name.ends_with("bytes") {
        human(value)
    } else {
        value.to_string()
    }
}

/// `64 GiB`, `1024`: a limit's value as the user would write it.
pub fn human(value: u64) -> String {
    for (unit, size) in [("TiB", GIB * KIB), ("GiB", GIB), ("MiB", MIB), ("KiB", KIB)] {
        if value >= size && value % size == 0 {
            return format!("{} {unit}", value / size);
        }
    }
    value.to_string()
}

/// Every limit, its default and its documentation line, as `harden limits` prints them.
pub fn table() -> String {
    let width = Limits::NAMES
        .iter()
        .map(|(name, _, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("{:width$}  {:>10}  WHAT IT BOUNDS\n", "LIMIT", "DEFAULT");
    for (name, default, doc) in Limits::NAMES {
        out.push_str(&format!(
            "{name:width$}  {:>10}  {}\n",
            value_of(name, *default),
            doc.trim()
        ));
    }
    out.push_str(
        "\nRaise one with --limit NAME=VALUE (repeatable) or in harden.toml:\n  [limits]\n  layer-bytes = \"128GiB\"\n",
    );
    out
}

impl Limits {
    /// `Err` naming the limit when `value` exceeds it.
    pub fn check(
        &self,
        name: &'static str,
        value: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), LimitExceeded> {
        let max = self.get(name).expect("a limit name from Limits::NAMES");
        if value > max {
            return Err(LimitExceeded {
                limit: name,
                max,
                what: what(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_take_binary_suffixes() {
        assert_eq!(parse_quantity("64GiB"), Some(64 * GIB));
        assert_eq!(parse_quantity("64g"), Some(64 * GIB));
        assert_eq!(parse_quantity("1_000"), Some(1000));
        assert_eq!(parse_quantity("12 MiB"), Some(12 * MIB));
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(parse_quantity("99999999999999999999T"), None);
    }

    #[test]
    fn set_pair_names_unknown_limits_and_bad_values() {
        let mut limits = Limits::default();
        limits.set_pair("layer-bytes=1KiB").unwrap();
        assert_eq!(limits.layer_bytes, 1024);
        assert!(matches!(
            limits.set_pair("nope=1"),
            Err(LimitParseError::UnknownName(_))
        ));
        assert!(matches!(
            limits.set_pair("entries=lots"),
            Err(LimitParseError::BadValue { .. })
        ));
        assert!(matches!(
            limits.set_pair("entries"),
            Err(LimitParseError::NoEquals(_))
        ));
    }

    #[test]
    fn exceeding_names_the_limit_and_the_flag() {
        let limits = Limits {
            layers: 2,
            ..Limits::default()
        };
        assert!(limits.check("layers", 2, || unreachable!()).is_ok());
        let error = limits
            .check("layers", 3, || "image app.tar".into())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "image app.tar exceeds the layers limit (2); if this input is trusted, raise it with --limit layers=VALUE"
        );
    }
}
