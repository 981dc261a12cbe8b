//! SVG → PNG (resvg) and SVG → PDF (svg2pdf), both from one usvg tree parsed against the
//! embedded fonts.

use crate::RenderError;
use crate::fonts::{FAMILY, FONT_DB};

/// The largest side of a PNG, in pixels; beyond it memory use (4 bytes per pixel) gets silly.
const MAX_SIDE: f32 = 32_000.0;
/// The largest PNG area: 200 megapixels, 800 MB of pixmap.
const MAX_AREA: f32 = 200_000_000.0;

fn parse(svg: &str) -> Result<usvg::Tree, RenderError> {
    let options = usvg::Options {
        font_family: FAMILY.to_owned(),
        languages: vec!["ko".to_owned(), "en".to_owned()],
        fontdb: FONT_DB.clone(),
        ..usvg::Options::default()
    };
    Ok(usvg::Tree::from_str(svg, &options)?)
}

/// Rasterises `svg` at `scale` (1.0 = one pixel per SVG unit) and encodes it as PNG.
///
/// Text is drawn with the embedded Nanum Gothic fonts only. The image is 8-bit RGBA; large
/// images are rasterised in parallel strips on the available cores.
pub fn render_png(svg: &str, scale: f32) -> Result<Vec<u8>, RenderError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(RenderError::Scale(scale));
    }
    let tree = parse(svg)?;
    let size = tree.size();
    let (width, height) = (
        (size.width() * scale).ceil(),
        (size.height() * scale).ceil(),
    );
    if width < 1.0
        || height < 1.0
        || width > MAX_SIDE
        || height > MAX_SIDE
        || width * height > MAX_AREA
    {
        return Err(RenderError::Size { width, height });
    }
    let (w, h) = (width as u32, height as u32);
    let mut data = vec![0_u8; w as usize * h as usize * 4];
    rasterise(&tree, scale, w, h, &mut data).ok_or(RenderError::Size { width, height })?;
    encode_png(data, w, h)
}

/// Below this many pixels one thread draws the whole image.
const PARALLEL_MIN_PIXELS: usize = 2_000_000;

/// Draws `tree` into `data` (premultiplied RGBA, `w`×`h`). Large images are cut into
/// horizontal strips drawn in parallel: each thread renders the whole tree with its strip's
/// offset, and tiny-skia skips what falls outside the strip.
fn rasterise(tree: &usvg::Tree, scale: f32, w: u32, h: u32, data: &mut [u8]) -> Option<()> {
    let row_bytes = w as usize * 4;
    let threads = if (w as usize) * (h as usize) < PARALLEL_MIN_PIXELS {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    };
    let rows_per_strip = (h as usize).div_ceil(threads).max(1);
    let draw = |index: usize, strip: &mut [u8]| -> Option<()> {
        let rows = u32::try_from(strip.len() / row_bytes).ok()?;
        let top = (index * rows_per_strip) as f32;
        let mut pixmap = resvg::tiny_skia::PixmapMut::from_bytes(strip, w, rows)?;
        let transform = resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, 0.0, -top);
        resvg::render(tree, transform, &mut pixmap);
        Some(())
    };
    if threads == 1 {
        return draw(0, data);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = data
            .chunks_mut(rows_per_strip * row_bytes)
            .enumerate()
            .map(|(i, strip)| scope.spawn(move || draw(i, strip)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().ok().flatten())
    })
}

/// PNG encoding tuned for maps: the fast deflate setting with the Up filter costs a fraction
/// of the default encoder's time on big canvases, and large flat areas still compress well.
fn encode_png(mut data: Vec<u8>, w: u32, h: u32) -> Result<Vec<u8>, RenderError> {
    // tiny-skia pixels are premultiplied; PNG wants straight alpha. Opaque pixels (all of a
    // map from `render_svg`) are the same either way, so only translucent ones are touched.
    for px in data.chunks_exact_mut(4) {
        if let [r, g, b, a] = px
            && *a != 255
        {
            let c = resvg::tiny_skia::PremultipliedColorU8::from_rgba(*r, *g, *b, *a)
                .map(|c| c.demultiply());
            if let Some(c) = c {
                (*r, *g, *b) = (c.red(), c.green(), c.blue());
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Up);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
    let mut writer = encoder
        .write_header()
        .map_err(|e| RenderError::Png(e.to_string()))?;
    writer
        .write_image_data(&data)
        .map_err(|e| RenderError::Png(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| RenderError::Png(e.to_string()))?;
    Ok(out)
}

/// Converts `svg` to a one-page PDF of the same size (1 SVG unit = 1/96 inch).
///
/// Text stays text: the glyphs used are subset from the embedded Nanum Gothic fonts and
/// embedded in the PDF, so it is selectable and searchable, Korean included.
pub fn render_pdf(svg: &str) -> Result<Vec<u8>, RenderError> {
    let tree = parse(svg)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions { dpi: 96.0 },
    )
    .map_err(|e| RenderError::Pdf(e.to_string()))
}
