//! Printable QR codes of a short link, as SVG or PNG, with crisp square modules.

use qrcode::{Color, EcLevel, QrCode};

/// Largest side accepted, in pixels.
pub const MAX_SIZE: u32 = 4096;
/// Largest quiet zone accepted, in modules.
pub const MAX_MARGIN: u32 = 16;

/// How a QR code is drawn.
#[derive(Debug, Clone, Copy)]
pub struct QrOptions {
    /// The side of the image in pixels (PNG: rounded down to whole pixels per module, never
    /// below one pixel per module).
    pub size: u32,
    /// The quiet zone around the code, in modules (4 is the standard).
    pub margin: u32,
    /// Error correction: L (7%), M (15%), Q (25%), H (30%).
    pub ecc: EcLevel,
}

/// Why a QR code could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The data does not fit a QR code.
    #[error("cannot encode the URL as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

/// Parses `L`, `M`, `Q` or `H`.
pub fn parse_ecc(text: &str) -> Option<EcLevel> {
    match text.to_ascii_uppercase().as_str() {
        "L" => Some(EcLevel::L),
        "M" => Some(EcLevel::M),
        "Q" => Some(EcLevel::Q),
        "H" => Some(EcLevel::H),
        _ => None,
    }
}

struct Grid {
    width: usize,
    dark: Vec<bool>,
}

fn grid(data: &str, ecc: EcLevel) -> Result<Grid, QrError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), ecc)?;
    Ok(Grid {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// An SVG of the code: one path of unit squares in a viewBox of modules, scaled to `size`.
pub fn svg(data: &str, options: QrOptions) -> Result<String, QrError> {
    let g = grid(data, options.ecc)?;
    let m = options.margin as usize;
    let side = g.width + 2 * m;
    let mut path = String::with_capacity(g.dark.len() * 6);
    for (i, _) in g.dark.iter().enumerate().filter(|(_, dark)| **dark) {
        let (x, y) = (i % g.width + m, i / g.width + m);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    Ok(format!(
        r##"<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##,
        size = options.size,
    ))
}

/// A greyscale PNG of the code with a whole number of pixels per module.
pub fn png(data: &str, options: QrOptions) -> Result<Vec<u8>, QrError> {
    let g = grid(data, options.ecc)?;
    let m = options.margin as usize;
    let side = g.width + 2 * m;
    let scale = (options.size as usize / side).max(1);
    let px = side * scale;
    let mut pixels = vec![255u8; px * px];
    for (i, _) in g.dark.iter().enumerate().filter(|(_, dark)| **dark) {
        let (mx, my) = (i % g.width + m, i / g.width + m);
        for y in my * scale..(my + 1) * scale {
            if let Some(row) = pixels.get_mut(y * px + mx * scale..y * px + (mx + 1) * scale) {
                row.fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let side_px = u32::try_from(px).unwrap_or(u32::MAX);
        let mut encoder = png::Encoder::new(&mut out, side_px, side_px);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}
