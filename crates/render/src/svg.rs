//! A tiny SVG writer: elements as formatted strings, numbers printed the same way every time.

use std::fmt::Write as _;

use crate::text::{Font, escape};

/// A number with at most one decimal, no trailing ".0" and no "-0": stable bytes for snapshots.
pub(crate) fn num(v: f32) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded == 0.0 {
        return "0".to_owned();
    }
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Horizontal alignment of a text line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// An SVG document being written. Writing into a `String` cannot fail, so the `fmt::Result`s
/// of `write!` are discarded on purpose.
pub(crate) struct Svg {
    out: String,
}

impl Svg {
    pub fn new(width: f32, height: f32, title: &str) -> Self {
        let mut out = String::with_capacity(64 * 1024);
        let (w, h) = (num(width), num(height));
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"NanumGothic, 'Nanum Gothic', sans-serif\" \
             font-size=\"12\" fill=\"#1F2933\">\n<title>{}</title>\n",
            escape(title)
        );
        Self { out }
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    pub fn open_group(&mut self, attrs: &str) {
        if attrs.is_empty() {
            self.out.push_str("<g>\n");
        } else {
            let _ = writeln!(self.out, "<g {attrs}>");
        }
    }

    pub fn close_group(&mut self) {
        self.out.push_str("</g>\n");
    }

    /// A rectangle; `stroke` is `(colour, width)`.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rx: f32,
        fill: &str,
        stroke: Option<(&str, f32)>,
    ) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
        if rx > 0.0 {
            let _ = write!(self.out, " rx=\"{}\"", num(rx));
        }
        let _ = write!(self.out, " fill=\"{fill}\"");
        if let Some((colour, width)) = stroke {
            let _ = write!(
                self.out,
                " stroke=\"{colour}\" stroke-width=\"{}\"",
                num(width)
            );
        }
        self.out.push_str("/>\n");
    }

    pub fn circle(&mut self, cx: f32, cy: f32, r: f32, fill: &str, stroke: Option<(&str, f32)>) {
        let _ = write!(
            self.out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\"",
            num(cx),
            num(cy),
            num(r)
        );
        if let Some((colour, width)) = stroke {
            let _ = write!(
                self.out,
                " stroke=\"{colour}\" stroke-width=\"{}\"",
                num(width)
            );
        }
        self.out.push_str("/>\n");
    }

    /// A straight line; `dash` is a `stroke-dasharray` value.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &mut self,
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        stroke: &str,
        width: f32,
        dash: Option<&str>,
    ) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            num(width)
        );
        if let Some(dash) = dash {
            let _ = write!(self.out, " stroke-dasharray=\"{dash}\"");
        }
        self.out.push_str("/>\n");
    }

    /// A path with a fill and an optional stroke; `extra` is appended verbatim.
    pub fn path(&mut self, d: &str, fill: &str, stroke: Option<(&str, f32)>, extra: &str) {
        let _ = write!(self.out, "<path d=\"{d}\" fill=\"{fill}\"");
        if let Some((colour, width)) = stroke {
            let _ = write!(
                self.out,
                " stroke=\"{colour}\" stroke-width=\"{}\"",
                num(width)
            );
        }
        if !extra.is_empty() {
            let _ = write!(self.out, " {extra}");
        }
        self.out.push_str("/>\n");
    }

    /// One line of text with its baseline at `y`; the caller has already wrapped it.
    pub fn text(&mut self, x: f32, y: f32, text: &str, font: Font, fill: &str, anchor: Anchor) {
        if text.is_empty() {
            return;
        }
        let _ = write!(self.out, "<text x=\"{}\" y=\"{}\"", num(x), num(y));
        if font.size != 12.0 {
            let _ = write!(self.out, " font-size=\"{}\"", num(font.size));
        }
        if font.bold {
            self.out.push_str(" font-weight=\"bold\"");
        }
        if fill != "#1F2933" {
            let _ = write!(self.out, " fill=\"{fill}\"");
        }
        match anchor {
            Anchor::Start => {}
            Anchor::Middle => self.out.push_str(" text-anchor=\"middle\""),
            Anchor::End => self.out.push_str(" text-anchor=\"end\""),
        }
        let _ = writeln!(self.out, ">{}</text>", escape(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(3.04), "3");
        assert_eq!(num(3.25), "3.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(-2.5), "-2.5");
    }
}
