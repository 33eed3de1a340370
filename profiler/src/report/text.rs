//! Plain-text layout helpers: display width (emoji take two columns), padding,
//! and markdown escaping of text that comes from results.

/// Columns a string occupies in a terminal: emoji and wide symbols count two,
/// variation selectors and zero-width joiners none.
pub fn display_width(s: &str) -> usize {
    let mut w = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let cp = c as u32;
        w += match cp {
            0xFE0F | 0x200D | 0xFE0E => 0,
            0x1F000..=0x1FAFF => 2,
            // Text-default symbols (⚠, ➡) turn wide when followed by U+FE0F.
            0x2600..=0x27BF if chars.peek() == Some(&'\u{FE0F}') => 2,
            _ => 1,
        };
    }
    w
}

/// `s` padded with spaces on the right to `width` display columns.
pub fn pad_right(s: &str, width: usize) -> String {
    let w = display_width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

/// `s` padded with spaces on the left to `width` display columns.
pub fn pad_left(s: &str, width: usize) -> String {
    let w = display_width(s);
    if w >= width {
        s.to_string()
    } else {
        format!("{}{s}", " ".repeat(width - w))
    }
}

/// `s` centred in `width` columns.
pub fn center(s: &str, width: usize) -> String {
    let w = display_width(s);
    if w >= width {
        return s.to_string();
    }
    let left = (width - w) / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(width - w - left))
}

/// Escape text from results (commit subjects, names) for markdown, so it can
/// neither format nor inject HTML or links, and cannot break a table cell.
/// `[` is escaped, so `(` cannot start a link and stays readable.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            // Inline markup, links and table cells; block markers (#, +, -) only
            // act at the start of a line, where result text is never placed.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("🔴 CRITICAL"), 11);
        assert_eq!(display_width("⚠️ X"), 4);
        assert_eq!(display_width("➡️"), 2);
        assert_eq!(display_width("→ █░"), 4);
        assert_eq!(pad_right("🟢", 4), "🟢  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(center("ab", 6), "  ab  ");
    }

    #[test]
    fn markdown_is_escaped() {
        assert_eq!(
            escape_md("*online* max | sum <b>"),
            "\\*online\\* max \\| sum &lt;b&gt;"
        );
        assert_eq!(escape_md("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(escape_md("a\nb"), "a b");
    }
}
