//! The embedded Nanum Gothic fonts (SIL OFL 1.1, see `fonts/OFL-NanumGothic.txt`).
//!
//! Only these fonts are ever used, for measuring text in the SVG layout and for drawing it in
//! PNG and PDF: no system font is loaded, so an export looks the same on every machine and
//! Korean never falls back to tofu boxes.

use std::sync::{Arc, LazyLock};

use usvg::fontdb;

/// Nanum Gothic Regular.
static REGULAR: &[u8] = include_bytes!("../fonts/NanumGothic.ttf");
/// Nanum Gothic Bold.
static BOLD: &[u8] = include_bytes!("../fonts/NanumGothicBold.ttf");

/// The family name the SVG asks for first; both embedded files declare it.
pub(crate) const FAMILY: &str = "NanumGothic";

/// The font database handed to usvg: the two embedded faces and nothing else.
pub(crate) static FONT_DB: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
    let mut db = fontdb::Database::new();
    db.load_font_source(fontdb::Source::Binary(Arc::new(REGULAR)));
    db.load_font_source(fontdb::Source::Binary(Arc::new(BOLD)));
    // Generic families resolve to the embedded face too, so `sans-serif` never means "nothing".
    db.set_sans_serif_family(FAMILY);
    db.set_serif_family(FAMILY);
    db.set_monospace_family(FAMILY);
    db.set_cursive_family(FAMILY);
    db.set_fantasy_family(FAMILY);
    Arc::new(db)
});

/// Parsed faces for measuring advances while laying out text.
static FACES: LazyLock<Faces> = LazyLock::new(|| Faces {
    regular: ttf_parser::Face::parse(REGULAR, 0).ok(),
    bold: ttf_parser::Face::parse(BOLD, 0).ok(),
});

struct Faces {
    regular: Option<ttf_parser::Face<'static>>,
    bold: Option<ttf_parser::Face<'static>>,
}

/// The advance width of `c` in em units (1.0 = the font size), from the real font metrics.
///
/// Falls back to an estimate (wide for CJK, half for the rest) when the character has no glyph
/// or the face could not be parsed, which never happens with the embedded files.
pub(crate) fn advance_em(c: char, bold: bool) -> f32 {
    let face = if bold {
        FACES.bold.as_ref()
    } else {
        FACES.regular.as_ref()
    };
    face.and_then(|face| {
        let glyph = face.glyph_index(c)?;
        let advance = face.glyph_hor_advance(glyph)?;
        Some(f32::from(advance) / f32::from(face.units_per_em()))
    })
    .unwrap_or_else(|| estimate_em(c))
}

/// True when the embedded face has a real glyph for `c` (not the .notdef box).
#[cfg(test)]
pub(crate) fn has_glyph(c: char, bold: bool) -> bool {
    let face = if bold {
        FACES.bold.as_ref()
    } else {
        FACES.regular.as_ref()
    };
    face.and_then(|f| f.glyph_index(c))
        .is_some_and(|g| g.0 != 0)
}

fn estimate_em(c: char) -> f32 {
    if is_wide(c) { 1.0 } else { 0.55 }
}

/// East-Asian wide characters: Hangul, CJK ideographs, kana, full-width forms.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF |
        0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7A3 | 0xD7B0..=0xD7FF |
        0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_faces_parse_and_know_hangul() {
        assert!(FACES.regular.is_some() && FACES.bold.is_some());
        let hangul = advance_em('한', false);
        let latin = advance_em('i', false);
        assert!(hangul > 0.8, "hangul advance {hangul}");
        assert!(latin < hangul / 1.5, "latin advance {latin}");
        assert_eq!(FONT_DB.len(), 2);
        let families: Vec<String> = FONT_DB
            .faces()
            .flat_map(|f| f.families.iter().map(|(n, _)| n.clone()))
            .collect();
        assert!(families.iter().any(|n| n == FAMILY), "{families:?}");
    }
}
