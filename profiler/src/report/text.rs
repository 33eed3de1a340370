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

/// `s` wrapped at word boundaries to `width` display columns: the first line
/// starts with `first`, the others with `rest` (a word longer than a line
/// stays whole).
pub fn wrap(s: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in glued_words(s) {
        let word = word.as_str();
        let needed = display_width(&line) + usize::from(!empty) + display_width(word);
        if !empty && needed > width {
            out.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push(line);
    out
}

/// Units that stay on the line of their number.
const UNITS: [&str; 12] = [
    "%", "ns", "µs", "ms", "s", "B", "KiB", "MiB", "GiB", "instr", "elem/s", "GFLOP/s",
];

/// The words of `s`, a figure kept with its unit (`256 B`, `+5.2 %`) and an
/// interval kept whole (`[+1.0, +2.0] %`), so wrapping never splits them.
fn glued_words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in s.split(' ').filter(|w| !w.is_empty()) {
        let bare = w.trim_end_matches([',', ')', ';', ':', '.']);
        let glue = out.last().is_some_and(|prev| {
            let number = prev
                .trim_start_matches(['(', '[', '+', '-', '−', '×'])
                .starts_with(|c: char| c.is_ascii_digit());
            (number && UNITS.contains(&bare)) || (prev.starts_with('[') && !prev.contains(']'))
        });
        match out.last_mut() {
            Some(prev) if glue => {
                prev.push(' ');
                prev.push_str(w);
            }
            _ => out.push(w.to_string()),
        }
    }
    out
}

/// A shell command over several lines of at most `width` columns, each but
/// the last ending in ` \\` (so it still pastes as one command), the first
/// starting with `first`, the others with `rest`. Commands with quotes stay on
/// one line.
pub fn wrap_command(cmd: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    if cmd.contains(['\'', '"']) {
        // A quoted word may hold spaces: breaking there would change it.
        return vec![format!("{first}{cmd}")];
    }
    let lines = wrap(cmd, width.saturating_sub(2), first, rest);
    let n = lines.len();
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| if i + 1 < n { format!("{l} \\") } else { l })
        .collect()
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

/// Text from results inside a markdown code span: the span is fenced with more
/// backticks than it holds, table pipes are escaped (GFM reads them before the
/// span) and line breaks become spaces.
pub fn code_md(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let mut run = 0;
    let mut longest = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || clean.starts_with(' ') || clean.ends_with(' ') {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

/// Text from results for a terminal or a text file: control characters (escape
/// sequences, carriage returns) are shown as `?`, so a name cannot move the
/// cursor, colour the screen or forge a line.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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

    #[test]
    fn wrapping() {
        assert_eq!(
            wrap("aa bb cc dd", 8, "- ", "  "),
            vec!["- aa bb", "  cc dd"]
        );
        assert_eq!(wrap("", 8, "- ", "  "), vec!["- "]);
        assert_eq!(wrap("abcdefghijk", 4, "", ""), vec!["abcdefghijk"]);
        assert_eq!(
            wrap("up to +5.2 % [+1.0, +2.0] % of 256 B", 12, "", ""),
            vec!["up to +5.2 %", "[+1.0, +2.0] %", "of 256 B"]
        );
        assert_eq!(
            wrap_command("smprof ab --base a --head b", 16, "$ ", "    "),
            vec!["$ smprof ab \\", "    --base a \\", "    --head b"]
        );
    }

    #[test]
    fn code_spans_and_plain_text() {
        assert_eq!(code_md("matmul/512"), "`matmul/512`");
        assert_eq!(code_md("a`b"), "`` a`b ``");
        assert_eq!(code_md("fix<b>|evil"), "`fix<b>\\|evil`");
        assert_eq!(plain("x\u{1b}[31my\nz"), "x?[31my?z");
    }
}
