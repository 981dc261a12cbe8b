//! Text measuring, wrapping and XML escaping.

use crate::fonts::advance_em;

/// Width of `text` in pixels at `size`.
pub(crate) fn width(text: &str, size: f32, bold: bool) -> f32 {
    text.chars().map(|c| advance_em(c, bold)).sum::<f32>() * size
}

/// Text safe to place in XML character data or a double-quoted attribute.
///
/// Characters XML 1.0 forbids (most C0 controls, lone surrogates cannot occur in `str`,
/// U+FFFE/U+FFFF) are dropped; newlines and tabs become spaces.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A text style: size and weight, which is all the measuring needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Font {
    /// Size in pixels.
    pub size: f32,
    /// Bold face.
    pub bold: bool,
}

impl Font {
    pub const fn new(size: f32, bold: bool) -> Self {
        Self { size, bold }
    }

    /// Distance between baselines.
    pub fn line_height(self) -> f32 {
        (self.size * 1.35).round()
    }
}

/// Wraps `text` into at most `max_lines` lines no wider than `max_width`.
///
/// Breaks at spaces (Korean separates words with spaces too); a word wider than the line is
/// broken between characters. When the text does not fit, the last line ends with "…".
pub(crate) fn wrap(text: &str, font: Font, max_width: f32, max_lines: usize) -> Vec<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if max_lines == 0 || text.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut truncated = false;
    let space = width(" ", font.size, font.bold);
    let mut current_w = 0.0_f32;
    'words: for word in text.split(' ') {
        let word_w = width(word, font.size, font.bold);
        let needed = if current.is_empty() {
            word_w
        } else {
            current_w + space + word_w
        };
        if needed <= max_width {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            current_w = needed;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            current_w = 0.0;
            if lines.len() == max_lines {
                truncated = true;
                break;
            }
        }
        // The word starts a fresh line; split it between characters if it is still too wide.
        for c in word.chars() {
            let w = advance_em(c, font.bold) * font.size;
            if current_w + w > max_width && !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                current_w = 0.0;
                if lines.len() == max_lines {
                    truncated = true;
                    break 'words;
                }
            }
            current.push(c);
            current_w += w;
        }
    }
    if !truncated && !current.is_empty() {
        if lines.len() == max_lines {
            truncated = true;
        } else {
            lines.push(current);
        }
    }
    if truncated && let Some(last) = lines.last_mut() {
        *last = ellipsize(last, font, max_width);
    }
    lines
}

/// `line` shortened so that `line + "…"` fits `max_width`.
fn ellipsize(line: &str, font: Font, max_width: f32) -> String {
    let ellipsis_w = width("…", font.size, font.bold);
    let mut out = String::new();
    let mut w = 0.0;
    for c in line.chars() {
        let cw = advance_em(c, font.bold) * font.size;
        if w + cw + ellipsis_w > max_width {
            break;
        }
        out.push(c);
        w += cw;
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

/// `text` on one line, shortened with "…" to fit `max_width`.
pub(crate) fn fit(text: &str, font: Font, max_width: f32) -> String {
    wrap(text, font, max_width, 1).pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Font = Font::new(12.0, false);

    #[test]
    fn escapes_markup_and_drops_controls() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\nd"),
            "a&lt;b&gt;&amp;&quot;c&apos; d"
        );
    }

    #[test]
    fn wraps_at_spaces_within_width() {
        let lines = wrap("the quick brown fox jumps over the lazy dog", F, 80.0, 10);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(width(line, 12.0, false) <= 80.0, "{line}");
        }
        assert_eq!(
            lines.join(" "),
            "the quick brown fox jumps over the lazy dog"
        );
    }

    #[test]
    fn korean_is_measured_wide_and_long_words_break() {
        // 10 Hangul syllables at 12 px are about 120 px wide: they cannot fit in 60 px.
        let lines = wrap("가나다라마바사아자차", F, 60.0, 5);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.concat(), "가나다라마바사아자차");
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        let lines = wrap(
            "one two three four five six seven eight nine ten",
            F,
            50.0,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(width(&lines[1], 12.0, false) <= 50.0);
        assert_eq!(fit("", F, 10.0), "");
    }
}
