//! The `.image` text form of image fixtures (`fixtures/image/<ID>/*.image`), parsed into an
//! [`ImageSpec`] through the same builder tests use in code.

use super::{Compression, EntrySpecKind, HistorySpec, ImageSpec, LayerSpec};

/// A line of a `.image` file that the parser does not understand.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses the `.image` text form. One directive per line; `#` starts a comment line; blank lines
/// are ignored. Paths are absolute image paths.
///
/// Image-wide:
/// - `config user=app` · `config env=KEY=value` (repeatable) · `config expose=22/tcp` ·
///   `config volume=/data` · `config workdir=/app` · `config label=KEY=value` ·
///   `config healthcheck=CMD ["/app","--health"]` (also `CMD-SHELL command`, `NONE`) ·
///   `config entrypoint=["/app"]` · `config cmd=["--flag"]` · `config shell=["/bin/bash","-c"]`
///   (JSON arrays)
/// - `history created_by=RUN make install` (the rest of the line), optionally ending in ` empty_layer`
/// - `platform linux/arm64[/v8]` (default linux/amd64) · `tag app:1.0` (RepoTags / ref.name)
///
/// Layers (`layer` starts a new one; `layer zstd` / `layer plain` / `layer gzip`, default gzip):
/// - `file PATH mode=0644 uid=0 gid=0 content="line\n"` (every key optional; `content` takes
///   `\n`, `\t`, `\\`, `\"` and `\xHH` escapes; `size=N` instead writes N bytes of `x`)
/// - `dir PATH mode=1777 uid=0 gid=0`
/// - `symlink PATH -> TARGET` · `hardlink PATH => TARGET`
/// - `whiteout PATH` (writes `.wh.NAME`) · `opaque DIR` (writes `DIR/.wh..wh..opq`)
/// - `xattr PATH NAME=hex:0100000200` or `NAME=text`: adds to the last member named PATH
/// - `device PATH c|b MAJOR MINOR mode=0666` · `fifo PATH mode=0644`
pub fn parse_image(text: &str) -> Result<ImageSpec, ParseError> {
    let mut image = ImageSpec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let fail = |message: String| ParseError {
            line: line_number,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (directive, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match directive {
            "config" => apply_config(&mut image, rest).map_err(fail)?,
            "history" => {
                let body = rest
                    .strip_prefix("created_by=")
                    .ok_or_else(|| fail("history needs created_by=...".into()))?;
                let (created_by, empty_layer) = match body.strip_suffix(" empty_layer") {
                    Some(stripped) => (stripped, true),
                    None => (body, false),
                };
                image.history.push(HistorySpec {
                    created_by: created_by.to_string(),
                    empty_layer,
                });
            }
            "platform" => image = image.platform(rest),
            "tag" => image.reference = Some(rest.to_string()),
            "layer" => {
                let compression = match rest {
                    "" | "gzip" => Compression::Gzip,
                    "zstd" => Compression::Zstd,
                    "plain" | "none" => Compression::None,
                    other => return Err(fail(format!("unknown layer compression {other:?}"))),
                };
                image.layers.push(LayerSpec::new(compression));
            }
            _ => {
                let layer = image
                    .layers
                    .last_mut()
                    .ok_or_else(|| fail(format!("{directive} before any `layer` line")))?;
                apply_member(layer, directive, rest).map_err(fail)?;
            }
        }
    }
    Ok(image)
}

fn apply_config(image: &mut ImageSpec, rest: &str) -> Result<(), String> {
    let (key, value) = rest
        .split_once('=')
        .ok_or_else(|| format!("config needs KEY=VALUE, got {rest:?}"))?;
    let config = &mut image.config;
    let json_array = |value: &str| -> Result<Vec<String>, String> {
        serde_json::from_str(value).map_err(|e| format!("{key}: not a JSON string array: {e}"))
    };
    match key {
        "user" => config.user = Some(value.to_string()),
        "env" => config.env.push(value.to_string()),
        "expose" => config.exposed_ports.push(value.to_string()),
        "volume" => config.volumes.push(value.to_string()),
        "workdir" => config.working_dir = Some(value.to_string()),
        "label" => {
            let (k, v) = value.split_once('=').unwrap_or((value, ""));
            config.labels.push((k.to_string(), v.to_string()));
        }
        "entrypoint" => config.entrypoint = Some(json_array(value)?),
        "shell" => config.shell = Some(json_array(value)?),
        "cmd" => config.cmd = Some(json_array(value)?),
        "healthcheck" => {
            let (kind, args) = value.split_once(' ').unwrap_or((value, ""));
            let mut test = vec![kind.to_string()];
            match kind {
                "NONE" => {}
                "CMD" => test.extend(json_array(args.trim())?),
                "CMD-SHELL" => test.push(args.trim().to_string()),
                other => {
                    return Err(format!(
                        "healthcheck kind {other:?}: use CMD, CMD-SHELL or NONE"
                    ));
                }
            }
            config.healthcheck = Some(test);
        }
        other => return Err(format!("unknown config key {other:?}")),
    }
    Ok(())
}

fn apply_member(layer: &mut LayerSpec, directive: &str, rest: &str) -> Result<(), String> {
    let tokens = tokenize(rest)?;
    let path = tokens
        .first()
        .ok_or_else(|| format!("{directive} needs a path"))?
        .clone();
    if !path.starts_with('/') {
        return Err(format!("{path:?}: paths are absolute"));
    }
    let options = &tokens[1..];
    let option = |name: &str| -> Option<&str> {
        options
            .iter()
            .find_map(|t| t.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    let number = |name: &str, radix: u32, default: u64| -> Result<u64, String> {
        option(name).map_or(Ok(default), |v| {
            u64::from_str_radix(v, radix).map_err(|e| format!("{name}={v}: {e}"))
        })
    };
    let kind = match directive {
        "file" => {
            let content = match (option("content"), option("size")) {
                (Some(text), _) => unescape(text)?,
                (None, Some(_)) => vec![b'x'; number("size", 10, 0)? as usize],
                (None, None) => Vec::new(),
            };
            EntrySpecKind::File(content)
        }
        "dir" => EntrySpecKind::Directory,
        "symlink" => match options {
            [arrow, target, ..] if arrow == "->" => EntrySpecKind::Symlink(target.clone()),
            _ => return Err("symlink PATH -> TARGET".into()),
        },
        "hardlink" => match options {
            [arrow, target, ..] if arrow == "=>" => EntrySpecKind::Hardlink(target.clone()),
            _ => return Err("hardlink PATH => TARGET".into()),
        },
        "whiteout" => EntrySpecKind::Whiteout,
        "opaque" => EntrySpecKind::Opaque,
        "fifo" => EntrySpecKind::Fifo,
        "device" => {
            let parse = |i: usize| -> Result<u32, String> {
                options
                    .get(i)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| "device PATH c|b MAJOR MINOR".to_string())
            };
            match options.first().map(String::as_str) {
                Some("c") => EntrySpecKind::CharDevice(parse(1)?, parse(2)?),
                Some("b") => EntrySpecKind::BlockDevice(parse(1)?, parse(2)?),
                _ => return Err("device PATH c|b MAJOR MINOR".into()),
            }
        }
        "xattr" => {
            let (name, value) = options
                .first()
                .and_then(|t| t.split_once('='))
                .ok_or_else(|| "xattr PATH NAME=VALUE".to_string())?;
            let bytes = match value.strip_prefix("hex:") {
                Some(hex_text) => {
                    hex::decode(hex_text).map_err(|e| format!("xattr {name}: {e}"))?
                }
                None => unescape(value)?,
            };
            let entry = layer
                .entries
                .iter_mut()
                .rev()
                .find(|e| e.path == path)
                .ok_or_else(|| format!("xattr: no member {path} in this layer yet"))?;
            entry.xattrs.push((name.to_string(), bytes));
            return Ok(());
        }
        other => return Err(format!("unknown directive {other:?}")),
    };
    let default_mode = match &kind {
        EntrySpecKind::Directory => 0o755,
        EntrySpecKind::Symlink(_) => 0o777,
        EntrySpecKind::CharDevice(..) | EntrySpecKind::BlockDevice(..) => 0o666,
        _ => 0o644,
    };
    let mode = number("mode", 8, default_mode)? as u32;
    let uid = number("uid", 10, 0)?;
    let gid = number("gid", 10, 0)?;
    *layer = std::mem::take(layer)
        .entry(&path, kind, mode)
        .owner(uid, gid);
    Ok(())
}

/// Splits on spaces, keeping `"..."` together (quotes kept, backslash escapes kept for `unescape`).
fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '\\' if quoted => {
                current.push(c);
                current.extend(chars.next());
            }
            ' ' | '\t' if !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

/// `"a\nb"` → bytes; an unquoted value is taken as is.
fn unescape(value: &str) -> Result<Vec<u8>, String> {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return Ok(value.as_bytes().to_vec());
    };
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buffer = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('r') => out.push(b'\r'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('"') => out.push(b'"'),
            Some('x') => {
                let hex_text: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex_text, 16)
                    .map_err(|_| format!("bad escape \\x{hex_text}"))?;
                out.push(byte);
            }
            other => return Err(format!("bad escape \\{}", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::EntrySpecKind;

    #[test]
    fn parses_every_directive() {
        let image = parse_image(
            r#"
# comment
config user=app
config env=A=b=c
config healthcheck=CMD ["/app", "--health"]
history created_by=ENV A=b empty_layer
platform linux/arm64/v8
tag app:1.0
layer zstd
dir /tmp mode=1777
file /etc/passwd mode=0600 uid=1 gid=2 content="root:x:0:0\n\"q\"\x41"
xattr /etc/passwd security.capability=hex:0100
symlink /bin/sh -> busybox
hardlink /bin/ls => /bin/busybox
whiteout /gone
opaque /var
"#,
        )
        .unwrap();
        assert_eq!(image.config.user.as_deref(), Some("app"));
        assert_eq!(image.config.env, vec!["A=b=c"]);
        assert_eq!(
            image.config.healthcheck,
            Some(vec!["CMD".into(), "/app".into(), "--health".into()])
        );
        assert!(image.history[0].empty_layer);
        assert_eq!(image.platform_string(), "linux/arm64/v8");
        let layer = &image.layers[0];
        assert_eq!(layer.compression, Compression::Zstd);
        assert_eq!(layer.entries[0].mode, 0o1777);
        let passwd = &layer.entries[1];
        assert_eq!((passwd.mode, passwd.uid, passwd.gid), (0o600, 1, 2));
        assert_eq!(
            passwd.kind,
            EntrySpecKind::File(b"root:x:0:0\n\"q\"A".to_vec())
        );
        assert_eq!(passwd.xattrs[0].1, vec![1, 0]);
        assert_eq!(
            layer.entries[2].kind,
            EntrySpecKind::Symlink("busybox".into())
        );
        assert_eq!(
            layer.entries[3].kind,
            EntrySpecKind::Hardlink("/bin/busybox".into())
        );
        assert_eq!(layer.entries[4].kind, EntrySpecKind::Whiteout);
        assert_eq!(layer.entries[5].kind, EntrySpecKind::Opaque);
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse_image("layer\nfile relative").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(
            parse_image("file /x")
                .unwrap_err()
                .message
                .contains("before any")
        );
    }
}
