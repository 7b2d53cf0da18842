//! Input text made safe to echo in an error message: control characters and bidirectional
//! overrides escaped (an ESC byte in an image tag must not drive the terminal), and long echoes cut
//! to a short excerpt (a 15 MiB string from a manifest must not be printed whole). Pure functions,
//! used by the loaders that quote their input and by the CLI on every error chain it prints.

use std::fmt::Write;

/// How many characters of one quoted input an error keeps.
pub const EXCERPT_CHARS: usize = 200;

/// How many characters of a whole error message reach the terminal: enough for a chain of
/// several causes, each with its excerpt.
pub const MESSAGE_CHARS: usize = 2_000;

/// Whether `c` must not reach a terminal or a rendered report raw: control characters, the
/// bidirectional marks, embeddings, overrides and isolates (which reorder what the reader sees),
/// and the Unicode line and paragraph separators (a line break to some renderers, none to others).
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `text` with every control or bidirectional character written as a `\u{..}` escape, except line
/// breaks and tabs when `keep_lines` (a diff or a report shown on a terminal keeps its layout).
/// Nothing is cut.
pub fn escaped(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let escape = |c: char| hidden(c) && !(keep_lines && matches!(c, '\n' | '\t'));
    if !text.contains(escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escape(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The first `max_chars` characters of `text`, with `…` and the length left off when cut.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
    }
}

/// `text` as a terminal may show it: every control or bidirectional character as a `\u{..}`
/// escape, every run of non-space characters longer than [`EXCERPT_CHARS`] cut, and the whole cut
/// in the middle beyond [`MESSAGE_CHARS`] (the start names the input, the end says what to do).
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MESSAGE_CHARS * 2));
    let mut run = 0usize;
    let mut skipped = 0usize;
    for c in text.chars() {
        if c == ' ' {
            if skipped > 0 {
                let _ = write!(out, "…[{skipped} more characters]");
                skipped = 0;
            }
            run = 0;
            out.push(c);
            continue;
        }
        run += 1;
        if run > EXCERPT_CHARS {
            skipped += 1;
            continue;
        }
        if hidden(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    if skipped > 0 {
        let _ = write!(out, "…[{skipped} more characters]");
    }
    let total = out.chars().count();
    if total <= MESSAGE_CHARS {
        return out;
    }
    let head: String = out.chars().take(MESSAGE_CHARS * 3 / 4).collect();
    let tail: String = out.chars().skip(total - MESSAGE_CHARS / 4).collect();
    format!(
        "{head} …[{} characters left out]… {tail}",
        total - head.chars().count() - MESSAGE_CHARS / 4
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_keeps_lines_and_tabs_only_when_asked() {
        let text = "a\tb\r\n\u{1b}[2J\u{202e}c\n";
        assert_eq!(escaped(text, true), "a\tb\\u{d}\n\\u{1b}[2J\\u{202e}c\n");
        assert_eq!(
            escaped(text, false),
            "a\\u{9}b\\u{d}\\u{a}\\u{1b}[2J\\u{202e}c\\u{a}"
        );
        assert!(matches!(
            escaped("plain\n", true),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let shown = for_terminal("tag \u{1b}[31mred\u{7} \u{202e}gnp.exe\nnext");
        assert!(!shown.chars().any(hidden), "{shown}");
        assert!(shown.contains("\\u{1b}[31mred\\u{7}"), "{shown}");
        assert!(shown.contains("\\u{202e}"), "{shown}");
    }

    #[test]
    fn long_words_and_long_messages_are_cut() {
        let word = "x".repeat(15 << 20);
        let shown = for_terminal(&format!("manifest m.json: bad value {word}: fix it"));
        assert!(shown.len() < 1_000, "{}", shown.len());
        assert!(shown.starts_with("manifest m.json: bad value xxx"));
        // The word's colon went with the cut; the advice after it stays.
        assert!(shown.ends_with("characters] fix it"), "{shown}");
        assert!(shown.contains(&format!("…[{} more characters]", (15 << 20) + 1 - 200)));

        let many = "word ".repeat(10_000);
        let shown = for_terminal(&format!("start {many}end"));
        assert!(shown.chars().count() < MESSAGE_CHARS + 100);
        assert!(shown.starts_with("start word"));
        assert!(shown.ends_with("word end"));
    }

    #[test]
    fn excerpts_keep_short_text_whole() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("ééééé", 2), "éé… (10 bytes in all)");
    }
}
