//! The renderer against the two demo journeys: SVG snapshots, and PNG/PDF that really draw
//! Korean text with the embedded fonts.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use cxmap_domain::templates::{b2b_saas, retail_online_shopping};
use cxmap_domain::{
    Journey, JourneyId, OpportunityId, PersonaId, ProjectId, StageId, Title, TouchpointId,
};
use cxmap_render::{
    Badge, Lang, RenderError, RenderOptions, Tone, render_pdf, render_png, render_svg,
};
use uuid::Uuid;

/// A template journey with every id and timestamp replaced by fixed values, so snapshots are
/// stable although the templates create random ids and read the clock.
fn fixed(make: fn(ProjectId, chrono::DateTime<Utc>) -> Journey) -> Journey {
    let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
    let mut j = make(ProjectId::from_uuid(Uuid::from_u128(1)), at);
    let mut next = 0x100_u128;
    let mut id = || {
        next += 1;
        Uuid::from_u128(next)
    };
    j.id = JourneyId::from_uuid(id());
    let mut tp_ids = HashMap::new();
    for stage in &mut j.stages {
        stage.id = StageId::from_uuid(id());
        for tp in &mut stage.touchpoints {
            let new = TouchpointId::from_uuid(id());
            tp_ids.insert(tp.id, new);
            tp.id = new;
        }
    }
    for p in &mut j.personas {
        p.id = PersonaId::from_uuid(id());
    }
    for o in &mut j.opportunities {
        o.id = OpportunityId::from_uuid(id());
        o.touchpoint_id = o.touchpoint_id.map(|t| tp_ids[&t]);
    }
    j.validate().unwrap();
    j
}

fn overlay_for(j: &Journey) -> BTreeMap<TouchpointId, Vec<Badge>> {
    let mut overlay = BTreeMap::new();
    let tps: Vec<_> = j.touchpoints().map(|(_, tp)| tp.id).collect();
    overlay.insert(
        tps[0],
        vec![
            Badge::new("Clicks", "1,204", Tone::Good),
            Badge::new("NPS", "+32 (n=140)", Tone::Neutral),
        ],
    );
    overlay.insert(
        tps[3],
        (0..6)
            .map(|i| Badge::new(format!("Tickets {i}"), "12", Tone::Bad))
            .collect(),
    );
    overlay
}

fn parse(svg: &str) -> usvg::Tree {
    // Only the fonts the crate embeds would be used in production; parsing structure does not
    // depend on fonts, so an empty database is enough here.
    usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap()
}

#[test]
fn retail_journey_svg_snapshot() {
    let j = fixed(retail_online_shopping);
    let svg = render_svg(&j, &RenderOptions::default());
    insta::assert_snapshot!("retail_ko", svg);
}

#[test]
fn b2b_journey_svg_snapshot_with_overlay() {
    let j = fixed(b2b_saas);
    let options = RenderOptions {
        lang: Lang::En,
        overlay: overlay_for(&j),
    };
    let svg = render_svg(&j, &options);
    insta::assert_snapshot!("b2b_en_overlay", svg);
}

#[test]
fn svg_is_deterministic_and_well_formed() {
    for j in [fixed(retail_online_shopping), fixed(b2b_saas)] {
        for lang in [Lang::Ko, Lang::En] {
            let options = RenderOptions {
                lang,
                overlay: overlay_for(&j),
            };
            let a = render_svg(&j, &options);
            assert_eq!(a, render_svg(&j, &options));
            let tree = parse(&a);
            assert!(tree.size().width() > 1000.0 && tree.size().height() > 800.0);
            // Every touchpoint and stage is addressable by id.
            for (stage, tp) in j.touchpoints() {
                assert!(a.contains(&format!("id=\"tp-{}\"", tp.id)));
                assert!(a.contains(&format!("id=\"stage-{}\"", stage.id)));
            }
        }
    }
}

#[test]
fn lane_labels_follow_the_language() {
    let j = fixed(retail_online_shopping);
    let ko = render_svg(&j, &RenderOptions::default());
    let en = render_svg(
        &j,
        &RenderOptions {
            lang: Lang::En,
            ..RenderOptions::default()
        },
    );
    assert!(ko.contains(">페인 포인트<") && ko.contains(">감정 곡선<"));
    assert!(en.contains(">Pain points<") && en.contains(">Emotion curve<"));
    // The journey's own text is drawn as written in both.
    assert!(ko.contains("모바일 결제") && en.contains("모바일 결제"));
    // No evidence lane without an overlay.
    assert!(!en.contains(">Evidence<"));
}

#[test]
fn overlay_badges_are_drawn_and_truncated() {
    let j = fixed(b2b_saas);
    let svg = render_svg(
        &j,
        &RenderOptions {
            lang: Lang::En,
            overlay: overlay_for(&j),
        },
    );
    assert!(svg.contains(">Evidence<"));
    assert!(svg.contains(">1,204<") && svg.contains(">+32 (n=140)<"));
    // Six badges on one touchpoint: four shown, then "+2 more".
    assert!(svg.contains(">Tickets 3<") && !svg.contains(">Tickets 4<"));
    assert!(svg.contains(">+2 more<"));
}

#[test]
fn hostile_text_is_escaped() {
    let mut j = fixed(b2b_saas);
    j.title = Title::parse("<script>alert('x')</script> & \"co\"").unwrap();
    j.stages[0].touchpoints[0].name = Title::parse("a]]><b>").unwrap();
    let svg = render_svg(&j, &RenderOptions::default());
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;co&quot;"));
    let tree = parse(&svg);
    assert!(tree.root().has_children());
}

#[test]
fn long_lists_are_truncated_with_more() {
    let mut j = fixed(retail_online_shopping);
    let tp = &mut j.stages[0].touchpoints[0];
    tp.pain_points = (0..9)
        .map(|i| cxmap_domain::Text::parse(format!("문제 {i}")).unwrap())
        .collect();
    let svg = render_svg(&j, &RenderOptions::default());
    assert!(svg.contains(">문제 2<") && !svg.contains(">문제 3<"));
    assert!(svg.contains(">+6개 더<"));
}

#[test]
fn empty_journey_renders() {
    let j = Journey::new(
        ProjectId::from_uuid(Uuid::from_u128(1)),
        Title::parse("빈 여정").unwrap(),
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    );
    let svg = render_svg(&j, &RenderOptions::default());
    parse(&svg);
    let png = render_png(&svg, 0.5).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

fn png_info(png: &[u8]) -> (u32, u32, Vec<u8>, png::ColorType) {
    let decoder = png::Decoder::new(png);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type)
}

#[test]
fn png_decodes_at_the_requested_scale() {
    let j = fixed(retail_online_shopping);
    let svg = render_svg(&j, &RenderOptions::default());
    let size = parse(&svg).size();
    for scale in [1.0_f32, 0.5] {
        let png = render_png(&svg, scale).unwrap();
        let (w, h, pixels, colour) = png_info(&png);
        assert_eq!(w, (size.width() * scale).ceil() as u32);
        assert_eq!(h, (size.height() * scale).ceil() as u32);
        assert_eq!(colour, png::ColorType::Rgba);
        // Not a blank canvas: plenty of dark (text) pixels.
        let dark = pixels
            .chunks(4)
            .filter(|p| p[..3].iter().all(|&v| v < 128))
            .count();
        let expected = (4000.0 * scale * scale) as usize;
        assert!(dark > expected, "only {dark} dark pixels at scale {scale}");
    }
    assert!(matches!(render_png(&svg, 0.0), Err(RenderError::Scale(_))));
    assert!(matches!(
        render_png(&svg, f32::NAN),
        Err(RenderError::Scale(_))
    ));
    assert!(matches!(
        render_png(&svg, 100.0),
        Err(RenderError::Size { .. })
    ));
    assert!(matches!(render_png("<nope", 1.0), Err(RenderError::Svg(_))));
}

#[test]
fn pdf_embeds_the_nanum_font() {
    let j = fixed(retail_online_shopping);
    let svg = render_svg(&j, &RenderOptions::default());
    let pdf = render_pdf(&svg).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let contains = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"/FontFile2"), "no embedded TrueType font program");
    assert!(contains(b"NanumGothic"), "font is not Nanum Gothic");
    assert!(contains(b"%%EOF"));
    assert!(matches!(render_pdf("not svg"), Err(RenderError::Svg(_))));
}

/// Renders `text` big and black on white; returns the dark pixels' bitmap.
fn ink(text: &str) -> Vec<bool> {
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"80\">\
         <rect width=\"240\" height=\"80\" fill=\"#fff\"/>\
         <text x=\"10\" y=\"62\" font-family=\"NanumGothic\" font-size=\"60\">{text}</text></svg>"
    );
    let (_, _, pixels, _) = png_info(&render_png(&svg, 1.0).unwrap());
    pixels
        .chunks(4)
        .map(|p| p[..3].iter().all(|&v| v < 128))
        .collect()
}

#[test]
fn korean_text_draws_real_glyphs_not_tofu() {
    let hangul = ink("한글");
    let other_hangul = ink("여정");
    // U+E000 is a private-use character no font here has: it draws the .notdef box (tofu).
    let tofu = ink("\u{E000}\u{E000}");
    let count = |v: &[bool]| v.iter().filter(|&&d| d).count();
    assert!(
        count(&hangul) > 500,
        "Korean drew {} dark pixels",
        count(&hangul)
    );
    let differs = |a: &[bool], b: &[bool]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    // Two different Korean words must look different, and neither like the tofu boxes.
    assert!(differs(&hangul, &other_hangul) > 300);
    assert!(differs(&hangul, &tofu) > 300);
    assert!(differs(&other_hangul, &tofu) > 300);
}

#[test]
fn korean_text_becomes_glyph_outlines_in_usvg() {
    // The same check one level down: usvg turns each text node into outlines from the font.
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fonts/NanumGothic.ttf"
        ))
        .unwrap(),
    );
    let options = usvg::Options {
        fontdb: Arc::new(db),
        ..usvg::Options::default()
    };
    let j = fixed(retail_online_shopping);
    let svg = render_svg(&j, &RenderOptions::default());
    let tree = usvg::Tree::from_str(&svg, &options).unwrap();
    let mut texts = 0;
    let mut outlined = 0;
    fn walk(group: &usvg::Group, texts: &mut usize, outlined: &mut usize) {
        for node in group.children() {
            match node {
                usvg::Node::Group(g) => walk(g, texts, outlined),
                usvg::Node::Text(t) => {
                    *texts += 1;
                    if t.flattened().has_children() && t.flattened().bounding_box().width() > 1.0 {
                        *outlined += 1;
                    }
                }
                _ => {}
            }
        }
    }
    walk(tree.root(), &mut texts, &mut outlined);
    assert!(texts > 100, "{texts} text nodes");
    assert_eq!(texts, outlined, "some text nodes produced no outlines");
}
