//! Turning text from a vendor or a user into something safe to put in an error message.

/// The longest vendor message kept in an error, in characters (the same for every vendor).
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The longest piece of user input quoted in an error message, in characters.
pub const MAX_QUOTE_CHARS: usize = 64;

/// `text` cut to at most `max_chars` characters, with `…` when cut.
pub fn clip(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// `text` with every control character (newlines, ESC, CR …) replaced by a space, so it
/// stays on one line and cannot drive a terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A vendor's message as kept in an error: one line, trimmed, at most
/// [`MAX_MESSAGE_CHARS`]. `None` when nothing is left.
pub fn vendor_message(text: &str) -> Option<String> {
    let line = printable(text);
    let line = line.trim();
    (!line.is_empty()).then(|| clip(line, MAX_MESSAGE_CHARS))
}

/// User input quoted in an error message: at most [`MAX_QUOTE_CHARS`] characters, so a
/// 10 KB id does not become a 10 KB message.
pub fn truncate_for_message(value: &str) -> String {
    clip(value, MAX_QUOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_and_cleaning() {
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(printable("a\nb\u{1b}[2Jc"), "a b [2Jc");
        assert_eq!(vendor_message("  \n "), None);
        assert_eq!(
            vendor_message(&"x".repeat(600)).map(|m| m.chars().count()),
            Some(MAX_MESSAGE_CHARS + 1)
        );
    }
}
