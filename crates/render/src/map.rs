//! The journey map layout: header with personas, stages above the centre line, one column per
//! touchpoint below it, and one lane (row) per kind of content, with the emotion curve across
//! every touchpoint in map order.
//!
//! Layout is two passes per lane: measure every column's content (text wrapped with the real
//! font metrics), take the tallest as the lane height, then draw. Everything is a function of
//! the journey and the options only, so the same input gives the same bytes.

use std::fmt::Write as _;

use cxmap_domain::{Journey, Lang, Opportunity, Persona, Stage, Touchpoint, TouchpointCategory};

use crate::labels::{self, Labels};
use crate::svg::{Anchor, Svg, num};
use crate::text::{Font, fit, width, wrap};
use crate::{Badge, RenderOptions, Tone};

// Geometry, in SVG user units (pixels at scale 1).
const PAD: f32 = 32.0;
const LABEL_W: f32 = 148.0;
const COL_W: f32 = 184.0;
const CARD_INSET: f32 = 7.0;
const CARD_W: f32 = COL_W - 2.0 * CARD_INSET;
const BLOCK_PAD: f32 = 7.0;
const BLOCK_GAP: f32 = 6.0;
const LANE_PAD: f32 = 10.0;
const LANE_MIN: f32 = 44.0;
const HEADER_LEFT_W: f32 = 540.0;
const PERSONA_W: f32 = 318.0;
const PERSONA_H: f32 = 168.0;
const PERSONA_GAP: f32 = 14.0;
const STAGE_H: f32 = 74.0;
const EMOTION_H: f32 = 196.0;

// A muted palette.
const INK: &str = "#1F2933";
const INK_2: &str = "#52606D";
const INK_3: &str = "#7B8794";
const PAPER: &str = "#FFFFFF";
const CANVAS: &str = "#F5F7FA";
const RULE: &str = "#E4E7EB";
const LABEL_BG: &str = "#EEF2F6";
const STAGE_TINT: &str = "#F9FAFB";
const ACCENT: &str = "#D9480F";
const CORE: &str = "#0B7285";
const CENTRE_LINE: &str = "#334E68";
const STAGE_COLOURS: [&str; 8] = [
    "#3E5C8A", "#2E7D86", "#4C8050", "#9A7430", "#A35A3C", "#85507A", "#5A5F9C", "#3F7BA3",
];
const AVATAR_COLOURS: [&str; 6] = [
    "#5C7CFA", "#12B886", "#F76707", "#AE3EC9", "#1C7ED6", "#E8590C",
];

// Fonts.
const F_TITLE: Font = Font::new(26.0, true);
const F_H2: Font = Font::new(15.0, true);
const F_BODY: Font = Font::new(12.0, false);
const F_BODY_B: Font = Font::new(12.0, true);
const F_SMALL: Font = Font::new(10.5, false);
const F_SMALL_B: Font = Font::new(10.5, true);
const F_CARD_TITLE: Font = Font::new(13.5, true);
const F_LANE: Font = Font::new(13.0, true);

/// One column of the map: a touchpoint, or the empty slot of a stage without touchpoints.
struct Column<'a> {
    stage: usize,
    touchpoint: Option<&'a Touchpoint>,
}

/// The emotion colour for −2..+2.
fn emotion_colour(e: i8) -> &'static str {
    match e {
        i8::MIN..=-2 => "#D64545",
        -1 => "#E8894A",
        0 => "#9AA5B1",
        1 => "#5FB37E",
        _ => "#2F9E6B",
    }
}

fn category_colour(c: TouchpointCategory) -> &'static str {
    match c {
        TouchpointCategory::Digital => "#3B6FD8",
        TouchpointCategory::Human => "#8E5BD0",
        TouchpointCategory::Physical => "#C27C1E",
    }
}

/// Draws `journey` as a complete SVG document.
pub(crate) fn journey_svg(journey: &Journey, options: &RenderOptions) -> String {
    let lang = options.lang;
    let l = labels::labels(lang);

    let mut columns: Vec<Column<'_>> = Vec::new();
    for (si, stage) in journey.stages.iter().enumerate() {
        if stage.touchpoints.is_empty() {
            columns.push(Column {
                stage: si,
                touchpoint: None,
            });
        }
        columns.extend(stage.touchpoints.iter().map(|tp| Column {
            stage: si,
            touchpoint: Some(tp),
        }));
    }

    // Measure every band first: their heights decide the document height.
    let bands: Vec<Band<'_>> = split_bands(&columns)
        .into_iter()
        .map(|range| measure_band(journey, &columns, range, options, l))
        .collect();
    let band_cols = bands.iter().map(|b| b.columns.len()).max().unwrap_or(0);
    let grid_w = LABEL_W + COL_W * band_cols as f32;
    let personas_shown = journey.personas.len().min(3);
    let header_min_w = HEADER_LEFT_W + (PERSONA_W + PERSONA_GAP) * personas_shown as f32;
    let content_w = grid_w.max(header_min_w).max(720.0);
    let total_w = content_w + 2.0 * PAD;
    let header_h = header_height(journey, l);
    let bands_top = PAD + header_h + 28.0;
    let bands_h: f32 = bands.iter().map(|b| b.height + BAND_GAP).sum::<f32>();
    let unlinked: Vec<&Opportunity> = journey
        .opportunities
        .iter()
        .filter(|o| {
            o.touchpoint_id
                .is_none_or(|id| journey.touchpoint(id).is_none())
        })
        .collect();
    let footer_top = bands_top + bands_h;
    let footer_h = 30.0 + if unlinked.is_empty() { 0.0 } else { 28.0 };
    let total_h = footer_top + footer_h + PAD;

    let mut svg = Svg::new(total_w, total_h, journey.title.as_str());
    svg.rect(0.0, 0.0, total_w, total_h, 0.0, CANVAS, None);
    draw_header(&mut svg, journey, lang, l, content_w);
    let mut top = bands_top;
    for (i, band) in bands.iter().enumerate() {
        let before = i
            .checked_sub(1)
            .and_then(|j| bands.get(j))
            .and_then(|b| b.last_emotion);
        let after = bands.get(i + 1).and_then(|b| b.first_emotion);
        draw_band(&mut svg, journey, band, top, (before, after), lang, l);
        top += band.height + BAND_GAP;
    }
    draw_footer(&mut svg, &unlinked, footer_top, content_w, lang, l);
    svg.finish()
}

/// The most touchpoint columns side by side: wider maps wrap into bands stacked vertically,
/// which keeps a 200-touchpoint map viewable, printable (PDF pages have a size limit) and
/// cheap to rasterise.
const BAND_MAX_COLS: usize = 20;
const BAND_GAP: f32 = 28.0;

/// Splits columns into bands of at most [`BAND_MAX_COLS`], breaking between stages where it can.
fn split_bands(columns: &[Column<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut bands = Vec::new();
    let mut start = 0;
    while start < columns.len() {
        let hard_end = (start + BAND_MAX_COLS).min(columns.len());
        let mut end = hard_end;
        if hard_end < columns.len() {
            // The last stage boundary inside the band, if any.
            if let Some(b) = (start + 1..=hard_end).rev().find(|&c| {
                columns
                    .get(c)
                    .zip(columns.get(c - 1))
                    .is_some_and(|(a, b)| a.stage != b.stage)
            }) {
                end = b;
            }
        }
        bands.push(start..end);
        start = end;
    }
    bands
}

/// One horizontal band of the map: a run of columns with its own stage row and lanes.
struct Band<'a> {
    columns: &'a [Column<'a>],
    /// Stages in this band: (stage index, first column in the band, columns, continued from
    /// the previous band).
    spans: Vec<(usize, usize, usize, bool)>,
    lanes: Vec<Lane>,
    height: f32,
    first_emotion: Option<i8>,
    last_emotion: Option<i8>,
}

fn measure_band<'a>(
    journey: &Journey,
    all: &'a [Column<'a>],
    range: std::ops::Range<usize>,
    options: &RenderOptions,
    l: &Labels,
) -> Band<'a> {
    let start = range.start;
    let columns = all.get(range).unwrap_or_default();
    let mut spans: Vec<(usize, usize, usize, bool)> = Vec::new();
    for (c, col) in columns.iter().enumerate() {
        match spans.last_mut() {
            Some(last) if last.0 == col.stage => last.2 += 1,
            _ => {
                let continued =
                    c == 0 && start > 0 && all.get(start - 1).is_some_and(|p| p.stage == col.stage);
                spans.push((col.stage, c, 1, continued));
            }
        }
    }
    let lanes = measure_lanes(journey, columns, options, l);
    let grid_h: f32 = lanes.iter().map(|lane| lane.height).sum::<f32>() + EMOTION_H;
    let emotions = || {
        columns
            .iter()
            .filter_map(|c| c.touchpoint.map(|tp| tp.emotion.get()))
    };
    Band {
        columns,
        spans,
        lanes,
        height: 12.0 + STAGE_H + 32.0 + grid_h + 10.0,
        first_emotion: emotions().next(),
        last_emotion: emotions().next_back(),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_band(
    svg: &mut Svg,
    journey: &Journey,
    band: &Band<'_>,
    top: f32,
    neighbours: (Option<i8>, Option<i8>),
    lang: Lang,
    l: &Labels,
) {
    let stage_top = top + 12.0;
    let centre_y = stage_top + STAGE_H + 16.0;
    let grid_top = centre_y + 16.0;
    let grid_w = LABEL_W + COL_W * band.columns.len() as f32;
    let grid_bottom = top + band.height - 10.0;
    let grid_h = grid_bottom - grid_top;

    // The map panel: a white sheet behind the stages and the grid.
    svg.rect(
        PAD - 8.0,
        top,
        grid_w + 16.0,
        band.height,
        10.0,
        PAPER,
        Some((RULE, 1.0)),
    );

    // Stage columns: alternate tints and dividers through the whole grid.
    let col_x = |c: usize| PAD + LABEL_W + COL_W * c as f32;
    for &(si, first, n, _) in &band.spans {
        if si % 2 == 1 {
            svg.rect(
                col_x(first),
                grid_top,
                COL_W * n as f32,
                grid_h,
                0.0,
                STAGE_TINT,
                None,
            );
        }
    }
    svg.rect(PAD, grid_top, LABEL_W, grid_h, 0.0, LABEL_BG, None);

    draw_stages(svg, journey, &band.spans, stage_top, l);

    // The centre line with a node at every stage boundary.
    svg.line(
        PAD,
        centre_y,
        PAD + grid_w,
        centre_y,
        CENTRE_LINE,
        2.5,
        None,
    );
    for &(_, first, _, _) in &band.spans {
        svg.circle(col_x(first), centre_y, 4.0, PAPER, Some((CENTRE_LINE, 2.0)));
    }
    svg.circle(PAD + grid_w, centre_y, 4.0, CENTRE_LINE, None);
    svg.text(
        PAD + 8.0,
        centre_y - 8.0,
        l.stages,
        F_SMALL_B,
        INK_2,
        Anchor::Start,
    );

    // Lanes, with the emotion curve between thoughts and pain points.
    let mut y = grid_top;
    let mut emotion_drawn = false;
    for lane in &band.lanes {
        if lane.kind == LaneKind::Pains && !emotion_drawn {
            draw_emotion_lane(svg, band.columns, y, grid_w, neighbours, l);
            y += EMOTION_H;
            emotion_drawn = true;
        }
        draw_lane(svg, lane, y, grid_w, lang, l);
        y += lane.height;
    }
    if !emotion_drawn {
        draw_emotion_lane(svg, band.columns, y, grid_w, neighbours, l);
    }

    // Stage dividers on top of lane backgrounds.
    for &(_, first, _, _) in band.spans.iter().skip(1) {
        svg.line(
            col_x(first),
            grid_top,
            col_x(first),
            grid_bottom,
            "#CBD2D9",
            1.0,
            None,
        );
    }
    svg.line(
        PAD + LABEL_W,
        grid_top,
        PAD + LABEL_W,
        grid_bottom,
        "#CBD2D9",
        1.0,
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// Header

fn header_height(journey: &Journey, l: &Labels) -> f32 {
    let left = 40.0 + header_block_lines(journey, l).len() as f32 * 18.0 + 10.0;
    if journey.personas.is_empty() {
        left
    } else {
        left.max(PERSONA_H)
    }
}

/// The goal, value proposition and scope lines under the title.
fn header_block_lines(journey: &Journey, l: &Labels) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (label, text, lines) in [
        (l.goal, journey.goal.as_str(), 2),
        (l.value_proposition, journey.value_proposition.as_str(), 2),
        (l.scope, journey.scope.as_str(), 1),
    ] {
        if text.trim().is_empty() {
            continue;
        }
        let label_w = 108.0;
        for (i, line) in wrap(text, F_BODY, HEADER_LEFT_W - label_w - 24.0, lines)
            .into_iter()
            .enumerate()
        {
            out.push((
                if i == 0 {
                    label.to_owned()
                } else {
                    String::new()
                },
                line,
            ));
        }
    }
    out
}

fn draw_header(svg: &mut Svg, journey: &Journey, lang: Lang, l: &Labels, content_w: f32) {
    let x = PAD;
    let mut y = PAD + 26.0;
    let kind = labels::kind(journey.kind);
    let chip_w = width(kind, F_SMALL_B.size, true) + 14.0;
    svg.rect(x, y - 17.0, chip_w, 20.0, 10.0, CENTRE_LINE, None);
    svg.text(
        x + chip_w / 2.0,
        y - 3.5,
        kind,
        F_SMALL_B,
        PAPER,
        Anchor::Middle,
    );
    let title = fit(
        journey.title.as_str(),
        F_TITLE,
        HEADER_LEFT_W - chip_w - 12.0,
    );
    svg.text(x + chip_w + 10.0, y, &title, F_TITLE, INK, Anchor::Start);
    y += 30.0;
    for (label, line) in header_block_lines(journey, l) {
        svg.text(x, y, &label, F_SMALL_B, INK_3, Anchor::Start);
        svg.text(x + 108.0, y, &line, F_BODY, INK, Anchor::Start);
        y += 18.0;
    }

    let persona_x0 = PAD + HEADER_LEFT_W;
    let fit_n = (((content_w - HEADER_LEFT_W + PERSONA_GAP) / (PERSONA_W + PERSONA_GAP)).floor()
        as usize)
        .max(1);
    let shown = journey.personas.len().min(fit_n);
    for (i, persona) in journey.personas.iter().take(shown).enumerate() {
        draw_persona(
            svg,
            persona,
            persona_x0 + (PERSONA_W + PERSONA_GAP) * i as f32,
            PAD,
            lang,
            l,
        );
    }
    let hidden = journey.personas.len() - shown;
    if hidden > 0 {
        let text = format!("+{hidden}{}", l.personas_more);
        svg.text(
            PAD + content_w,
            PAD + PERSONA_H + 16.0,
            &text,
            F_SMALL,
            INK_3,
            Anchor::End,
        );
    }
}

/// A stable small hash, so an avatar keeps its colour on every machine.
fn fnv(text: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize
}

fn draw_persona(svg: &mut Svg, p: &Persona, x: f32, y: f32, lang: Lang, l: &Labels) {
    svg.open_group(&format!("id=\"persona-{}\"", p.id));
    svg.rect(x, y, PERSONA_W, PERSONA_H, 10.0, PAPER, Some((RULE, 1.0)));
    // Emoji have no glyph in the embedded fonts: the avatar is the name's first letter.
    let colour = AVATAR_COLOURS
        .get(fnv(p.name.as_str()) % AVATAR_COLOURS.len())
        .copied()
        .unwrap_or(INK_2);
    let initial: String = p
        .name
        .as_str()
        .chars()
        .find(|c| c.is_alphanumeric())
        .into_iter()
        .collect();
    svg.circle(x + 34.0, y + 34.0, 21.0, colour, None);
    svg.text(
        x + 34.0,
        y + 41.0,
        &initial,
        Font::new(19.0, true),
        PAPER,
        Anchor::Middle,
    );
    let tx = x + 66.0;
    let tw = PERSONA_W - 66.0 - 12.0;
    svg.text(
        tx,
        y + 28.0,
        &fit(p.name.as_str(), F_H2, tw),
        F_H2,
        INK,
        Anchor::Start,
    );
    let sub = match p.role {
        Some(role) => labels::role(lang, role).to_owned(),
        None => p.description.as_str().to_owned(),
    };
    svg.text(
        tx,
        y + 46.0,
        &fit(&sub, F_SMALL, tw),
        F_SMALL,
        INK_2,
        Anchor::Start,
    );
    let mut ty = y + 72.0;
    if !p.quote.is_empty() {
        svg.rect(x + 12.0, y + 58.0, 3.0, 30.0, 1.5, colour, None);
        for line in wrap(
            &format!("“{}”", p.quote.as_str()),
            F_BODY,
            PERSONA_W - 34.0,
            2,
        ) {
            svg.text(x + 22.0, ty, &line, F_BODY, INK_2, Anchor::Start);
            ty += 16.0;
        }
        ty = ty.max(y + 104.0);
    }
    let half = (PERSONA_W - 36.0) / 2.0;
    for (col, (label, items, dot)) in [
        (l.persona_goals, &p.goals, "#2F9E6B"),
        (l.persona_frustrations, &p.frustrations, "#D64545"),
    ]
    .into_iter()
    .enumerate()
    {
        let cx = x + 12.0 + (half + 12.0) * col as f32;
        svg.text(cx, ty, label, F_SMALL_B, INK_3, Anchor::Start);
        let mut iy = ty + 15.0;
        let max_items = 2;
        for item in items.iter().take(max_items) {
            svg.circle(cx + 3.0, iy - 3.5, 2.5, dot, None);
            for line in wrap(item.as_str(), F_SMALL, half - 10.0, 2) {
                svg.text(cx + 10.0, iy, &line, F_SMALL, INK, Anchor::Start);
                iy += 13.0;
            }
            iy += 2.0;
            if iy > y + PERSONA_H - 10.0 {
                break;
            }
        }
        if items.len() > max_items && iy <= y + PERSONA_H - 4.0 {
            svg.text(
                cx + 10.0,
                iy,
                &labels::more(lang, items.len() - max_items),
                F_SMALL,
                INK_3,
                Anchor::Start,
            );
        }
    }
    svg.close_group();
}

// ---------------------------------------------------------------------------------------------
// Stages

fn draw_stages(
    svg: &mut Svg,
    journey: &Journey,
    spans: &[(usize, usize, usize, bool)],
    top: f32,
    l: &Labels,
) {
    let count = journey.stages.len();
    for (pos, &(si, first, n, continued)) in spans.iter().enumerate() {
        let Some(stage) = journey.stages.get(si) else {
            continue;
        };
        let x = PAD + LABEL_W + COL_W * first as f32 + 3.0;
        let w = COL_W * n as f32 - 6.0;
        let colour = STAGE_COLOURS
            .get(si % STAGE_COLOURS.len())
            .copied()
            .unwrap_or(CENTRE_LINE);
        let shape = Chevron {
            notch: pos > 0 || continued,
            point: si + 1 < count,
        };
        let suffix = if continued { l.continued } else { "" };
        draw_stage(svg, stage, si, suffix, shape, (x, top, w), colour);
    }
}

/// Which ends of a stage header are shaped like an arrow.
#[derive(Clone, Copy)]
struct Chevron {
    notch: bool,
    point: bool,
}

fn draw_stage(
    svg: &mut Svg,
    stage: &Stage,
    index: usize,
    suffix: &str,
    shape: Chevron,
    (x, y, w): (f32, f32, f32),
    colour: &str,
) {
    // A chevron: notched on the left, pointed on the right, flat at the map's ends.
    let tip = 14.0;
    let h = STAGE_H;
    let notch = if shape.notch { tip } else { 0.0 };
    let point = if shape.point { tip } else { 0.0 };
    let mut d = String::new();
    let _ = write!(
        d,
        "M{} {}H{}L{} {}L{} {}H{}L{} {}Z",
        num(x),
        num(y),
        num(x + w - point),
        num(x + w),
        num(y + h / 2.0),
        num(x + w - point),
        num(y + h),
        num(x),
        num(x + notch),
        num(y + h / 2.0)
    );
    svg.open_group(&format!("id=\"stage-{}\"", stage.id));
    svg.path(&d, colour, None, "");
    let tx = x + notch + 10.0;
    let tw = w - notch - point - 20.0;
    let number = format!("{:02}", index + 1);
    svg.text(tx, y + 24.0, &number, F_SMALL_B, "#FFFFFF", Anchor::Start);
    let nx = tx + width(&number, F_SMALL_B.size, true) + 8.0;
    let name = format!("{}{suffix}", stage.name.as_str());
    svg.text(
        nx,
        y + 24.0,
        &fit(&name, F_H2, tw - (nx - tx)),
        F_H2,
        "#FFFFFF",
        Anchor::Start,
    );
    let mut ly = y + 44.0;
    for line in wrap(stage.description.as_str(), F_SMALL, tw, 2) {
        svg.text(tx, ly, &line, F_SMALL, "#E6ECF2", Anchor::Start);
        ly += 14.0;
    }
    svg.close_group();
}

// ---------------------------------------------------------------------------------------------
// Lanes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LaneKind {
    Touchpoints,
    Actions,
    Thoughts,
    Pains,
    Gains,
    Opportunities,
    Kpis,
    Evidence,
}

/// How a block of text is boxed.
#[derive(Clone)]
enum BlockStyle {
    /// Bullet text straight on the lane.
    Bullet(&'static str),
    /// A note with a tinted fill and a coloured bar on the left.
    Note {
        fill: &'static str,
        bar: &'static str,
    },
    /// A pill with a value on the right (evidence badge).
    Badge {
        fill: &'static str,
        ink: &'static str,
        value: String,
    },
    /// Plain trailing text, e.g. "+2 more".
    More,
}

struct Line {
    text: String,
    font: Font,
    fill: &'static str,
}

struct Block {
    style: BlockStyle,
    lines: Vec<Line>,
}

impl Block {
    fn height(&self) -> f32 {
        let text: f32 = self.lines.iter().map(|l| l.font.line_height()).sum();
        match self.style {
            BlockStyle::Bullet(_) | BlockStyle::More => text,
            BlockStyle::Note { .. } => text + 2.0 * BLOCK_PAD - 3.0,
            BlockStyle::Badge { .. } => 22.0,
        }
    }
}

/// What one column shows in one lane.
enum Cell {
    Card(CardLayout),
    Blocks(Vec<Block>),
}

struct Lane {
    kind: LaneKind,
    label: &'static str,
    height: f32,
    cells: Vec<Cell>,
}

const TEXT_W: f32 = CARD_W - 2.0 * BLOCK_PAD - 4.0;

fn text_lines(text: &str, font: Font, fill: &'static str, width: f32, max: usize) -> Vec<Line> {
    wrap(text, font, width, max)
        .into_iter()
        .map(|text| Line { text, font, fill })
        .collect()
}

/// Up to `max` items as blocks, then "+N more".
fn list_blocks<'a>(
    items: impl ExactSizeIterator<Item = &'a str>,
    max: usize,
    lang: Lang,
    make: impl Fn(&str) -> Block,
) -> Vec<Block> {
    let total = items.len();
    let mut blocks: Vec<Block> = items.take(max).map(make).collect();
    if total > max {
        blocks.push(Block {
            style: BlockStyle::More,
            lines: vec![Line {
                text: labels::more(lang, total - max),
                font: F_SMALL,
                fill: INK_3,
            }],
        });
    }
    blocks
}

fn blocks_height(blocks: &[Block]) -> f32 {
    let n = blocks.len() as f32;
    blocks.iter().map(Block::height).sum::<f32>() + BLOCK_GAP * (n - 1.0).max(0.0)
}

fn measure_lanes(
    journey: &Journey,
    columns: &[Column<'_>],
    options: &RenderOptions,
    l: &Labels,
) -> Vec<Lane> {
    let lang = options.lang;
    let mut kinds = vec![
        (LaneKind::Touchpoints, l.touchpoints),
        (LaneKind::Actions, l.actions),
        (LaneKind::Thoughts, l.thoughts),
        (LaneKind::Pains, l.pains),
        (LaneKind::Gains, l.gains),
        (LaneKind::Opportunities, l.opportunities),
        (LaneKind::Kpis, l.kpis),
    ];
    if !options.overlay.is_empty() {
        kinds.push((LaneKind::Evidence, l.evidence));
    }
    kinds
        .into_iter()
        .map(|(kind, label)| {
            let cells: Vec<Cell> = columns
                .iter()
                .map(|col| match col.touchpoint {
                    None => Cell::Blocks(Vec::new()),
                    Some(tp) => cell(kind, tp, journey, options, lang, l),
                })
                .collect();
            let content = cells
                .iter()
                .map(|c| match c {
                    Cell::Card(card) => card.height,
                    Cell::Blocks(blocks) => blocks_height(blocks),
                })
                .fold(0.0_f32, f32::max);
            let label_h =
                wrap(label, F_LANE, LABEL_W - 28.0, 2).len() as f32 * F_LANE.line_height();
            let height = (content.max(label_h) + 2.0 * LANE_PAD).max(LANE_MIN).ceil();
            Lane {
                kind,
                label,
                height,
                cells,
            }
        })
        .collect()
}

fn cell(
    kind: LaneKind,
    tp: &Touchpoint,
    journey: &Journey,
    options: &RenderOptions,
    lang: Lang,
    l: &Labels,
) -> Cell {
    let strs = |v: &'_ [cxmap_domain::Text]| -> Vec<String> {
        v.iter().map(|t| t.as_str().to_owned()).collect()
    };
    match kind {
        LaneKind::Touchpoints => Cell::Card(card_layout(tp, lang, l)),
        LaneKind::Actions => {
            let items = strs(&tp.customer_actions);
            Cell::Blocks(list_blocks(
                items.iter().map(String::as_str),
                3,
                lang,
                |t| Block {
                    style: BlockStyle::Bullet("#52606D"),
                    lines: text_lines(t, F_BODY, INK, TEXT_W + 4.0, 3),
                },
            ))
        }
        LaneKind::Thoughts => {
            let items = strs(&tp.thoughts);
            Cell::Blocks(list_blocks(
                items.iter().map(String::as_str),
                2,
                lang,
                |t| Block {
                    style: BlockStyle::Note {
                        fill: "#F1F3F5",
                        bar: "#ADB5BD",
                    },
                    lines: text_lines(&format!("“{t}”"), F_BODY, INK_2, TEXT_W, 3),
                },
            ))
        }
        LaneKind::Pains => {
            let items = strs(&tp.pain_points);
            Cell::Blocks(list_blocks(
                items.iter().map(String::as_str),
                3,
                lang,
                |t| Block {
                    style: BlockStyle::Note {
                        fill: "#FDECEC",
                        bar: "#D64545",
                    },
                    lines: text_lines(t, F_BODY, "#8A1C1C", TEXT_W, 3),
                },
            ))
        }
        LaneKind::Gains => {
            let items = strs(&tp.gain_points);
            Cell::Blocks(list_blocks(
                items.iter().map(String::as_str),
                3,
                lang,
                |t| Block {
                    style: BlockStyle::Note {
                        fill: "#E6F4EC",
                        bar: "#2F9E6B",
                    },
                    lines: text_lines(t, F_BODY, "#1B5E3B", TEXT_W, 3),
                },
            ))
        }
        LaneKind::Opportunities => {
            let opps: Vec<&Opportunity> = journey
                .opportunities
                .iter()
                .filter(|o| o.touchpoint_id == Some(tp.id))
                .collect();
            let total = opps.len();
            let mut blocks: Vec<Block> = opps
                .iter()
                .take(2)
                .map(|o| {
                    let mut lines = text_lines(o.title.as_str(), F_BODY_B, "#364FC7", TEXT_W, 2);
                    lines.extend(text_lines(
                        o.description.as_str(),
                        F_SMALL,
                        INK_2,
                        TEXT_W,
                        2,
                    ));
                    let meta = format!(
                        "{} {} · {} {}",
                        l.impact,
                        o.impact.get(),
                        l.effort,
                        o.effort.get()
                    );
                    lines.push(Line {
                        text: meta,
                        font: F_SMALL_B,
                        fill: "#5C7CFA",
                    });
                    Block {
                        style: BlockStyle::Note {
                            fill: "#EDF2FF",
                            bar: "#5C7CFA",
                        },
                        lines,
                    }
                })
                .collect();
            if total > 2 {
                blocks.push(Block {
                    style: BlockStyle::More,
                    lines: vec![Line {
                        text: labels::more(lang, total - 2),
                        font: F_SMALL,
                        fill: INK_3,
                    }],
                });
            }
            Cell::Blocks(blocks)
        }
        LaneKind::Kpis => {
            let total = tp.kpis.len();
            let mut blocks: Vec<Block> = tp
                .kpis
                .iter()
                .take(2)
                .map(|k| {
                    let mut lines = text_lines(k.name.as_str(), F_BODY_B, INK, TEXT_W, 2);
                    for (label, value) in [(l.target, k.target), (l.benchmark, k.benchmark)] {
                        if let Some(v) = value {
                            let text = format!("{label} {}", kpi_value(v, k.unit.as_str()));
                            lines.push(Line {
                                text: fit(&text, F_SMALL, TEXT_W),
                                font: F_SMALL,
                                fill: INK_2,
                            });
                        }
                    }
                    Block {
                        style: BlockStyle::Note {
                            fill: "#FFF8E6",
                            bar: "#E0A526",
                        },
                        lines,
                    }
                })
                .collect();
            if total > 2 {
                blocks.push(Block {
                    style: BlockStyle::More,
                    lines: vec![Line {
                        text: labels::more(lang, total - 2),
                        font: F_SMALL,
                        fill: INK_3,
                    }],
                });
            }
            Cell::Blocks(blocks)
        }
        LaneKind::Evidence => {
            let badges: &[Badge] = options
                .overlay
                .get(&tp.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let max = 4;
            let mut blocks: Vec<Block> = badges.iter().take(max).map(badge_block).collect();
            if badges.len() > max {
                blocks.push(Block {
                    style: BlockStyle::More,
                    lines: vec![Line {
                        text: labels::more(lang, badges.len() - max),
                        font: F_SMALL,
                        fill: INK_3,
                    }],
                });
            }
            Cell::Blocks(blocks)
        }
    }
}

fn badge_block(b: &Badge) -> Block {
    let (fill, ink) = match b.tone {
        Tone::Good => ("#E6F4EC", "#1B5E3B"),
        Tone::Neutral => ("#F1F3F5", "#343A40"),
        Tone::Bad => ("#FDECEC", "#8A1C1C"),
    };
    let value = fit(&b.value, F_SMALL_B, CARD_W * 0.45);
    let value_w = width(&value, F_SMALL_B.size, true);
    let label = fit(&b.label, F_SMALL, CARD_W - value_w - 30.0);
    Block {
        style: BlockStyle::Badge { fill, ink, value },
        lines: vec![Line {
            text: label,
            font: F_SMALL,
            fill: ink,
        }],
    }
}

/// "85%", "10 days", "1.5 h".
fn kpi_value(v: f64, unit: &str) -> String {
    let mut s = format!("{v:.2}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    match unit.trim() {
        "" => s,
        "%" => format!("{s}%"),
        u => format!("{s} {u}"),
    }
}

/// A touchpoint card, measured.
struct CardLayout {
    id: String,
    category: TouchpointCategory,
    category_label: &'static str,
    name: Vec<String>,
    channel: String,
    owner: String,
    moment_of_truth: bool,
    core: bool,
    height: f32,
}

fn card_layout(tp: &Touchpoint, lang: Lang, l: &Labels) -> CardLayout {
    let inner = CARD_W - 24.0;
    let name = wrap(tp.name.as_str(), F_CARD_TITLE, inner, 2);
    let channel = if tp.channel.is_empty() {
        String::new()
    } else {
        fit(
            &format!("{} · {}", l.channel, tp.channel.as_str()),
            F_SMALL,
            inner,
        )
    };
    let owner = if tp.owner.is_empty() {
        String::new()
    } else {
        fit(
            &format!("{} · {}", l.owner, tp.owner.as_str()),
            F_SMALL,
            inner,
        )
    };
    let mut height = 36.0 + name.len() as f32 * F_CARD_TITLE.line_height() + 4.0;
    height += [&channel, &owner].iter().filter(|s| !s.is_empty()).count() as f32 * 15.0;
    if tp.core_experience {
        height += 24.0;
    }
    height += 6.0;
    CardLayout {
        id: tp.id.to_string(),
        category: tp.category,
        category_label: labels::category(lang, tp.category),
        name,
        channel,
        owner,
        moment_of_truth: tp.moment_of_truth,
        core: tp.core_experience,
        height,
    }
}

fn draw_lane(svg: &mut Svg, lane: &Lane, y: f32, grid_w: f32, lang: Lang, l: &Labels) {
    let _ = (lang, l);
    let marker = match lane.kind {
        LaneKind::Touchpoints => "#3B6FD8",
        LaneKind::Actions => "#52606D",
        LaneKind::Thoughts => "#ADB5BD",
        LaneKind::Pains => "#D64545",
        LaneKind::Gains => "#2F9E6B",
        LaneKind::Opportunities => "#5C7CFA",
        LaneKind::Kpis => "#E0A526",
        LaneKind::Evidence => "#0B7285",
    };
    draw_lane_label(svg, lane.label, marker, y);
    svg.line(
        PAD,
        y + lane.height,
        PAD + grid_w,
        y + lane.height,
        RULE,
        1.0,
        None,
    );
    for (c, cell) in lane.cells.iter().enumerate() {
        let x = PAD + LABEL_W + COL_W * c as f32 + CARD_INSET;
        match cell {
            Cell::Card(card) => draw_card(svg, card, x, y + LANE_PAD, l),
            Cell::Blocks(blocks) => draw_blocks(svg, blocks, x, y + LANE_PAD),
        }
    }
}

fn draw_lane_label(svg: &mut Svg, label: &str, marker: &str, y: f32) {
    svg.rect(PAD + 12.0, y + LANE_PAD + 3.0, 4.0, 14.0, 2.0, marker, None);
    let mut ly = y + LANE_PAD + 15.0;
    for line in wrap(label, F_LANE, LABEL_W - 28.0, 2) {
        svg.text(PAD + 22.0, ly, &line, F_LANE, INK, Anchor::Start);
        ly += F_LANE.line_height();
    }
}

fn draw_blocks(svg: &mut Svg, blocks: &[Block], x: f32, mut y: f32) {
    for block in blocks {
        let h = block.height();
        match &block.style {
            BlockStyle::Bullet(dot) => {
                let mut ly = y + 12.0;
                svg.circle(x + 4.0, y + 8.0, 2.5, dot, None);
                for line in &block.lines {
                    svg.text(
                        x + 12.0,
                        ly,
                        &line.text,
                        line.font,
                        line.fill,
                        Anchor::Start,
                    );
                    ly += line.font.line_height();
                }
            }
            BlockStyle::Note { fill, bar } => {
                svg.rect(x, y, CARD_W, h, 5.0, fill, None);
                svg.rect(x, y, 3.0, h, 1.5, bar, None);
                let mut ly = y + BLOCK_PAD + 10.0;
                for line in &block.lines {
                    svg.text(
                        x + BLOCK_PAD + 4.0,
                        ly,
                        &line.text,
                        line.font,
                        line.fill,
                        Anchor::Start,
                    );
                    ly += line.font.line_height();
                }
            }
            BlockStyle::Badge { fill, ink, value } => {
                svg.rect(x, y, CARD_W, h, 11.0, fill, None);
                if let Some(line) = block.lines.first() {
                    svg.text(
                        x + 10.0,
                        y + 15.0,
                        &line.text,
                        line.font,
                        line.fill,
                        Anchor::Start,
                    );
                }
                svg.text(
                    x + CARD_W - 10.0,
                    y + 15.0,
                    value,
                    F_SMALL_B,
                    ink,
                    Anchor::End,
                );
            }
            BlockStyle::More => {
                if let Some(line) = block.lines.first() {
                    svg.text(
                        x + 2.0,
                        y + 11.0,
                        &line.text,
                        line.font,
                        line.fill,
                        Anchor::Start,
                    );
                }
            }
        }
        y += h + BLOCK_GAP;
    }
}

/// A unit five-pointed star (outer radius 1, inner 0.45), as literal coordinates so that no
/// platform's `sin`/`cos` can change the output bytes.
const STAR: [(f32, f32); 10] = [
    (0.0, -1.0),
    (0.2645, -0.3641),
    (0.9511, -0.3090),
    (0.4280, 0.1391),
    (0.5878, 0.8090),
    (0.0, 0.45),
    (-0.5878, 0.8090),
    (-0.4280, 0.1391),
    (-0.9511, -0.3090),
    (-0.2645, -0.3641),
];

fn star(svg: &mut Svg, cx: f32, cy: f32, r: f32, fill: &str) {
    let mut d = String::new();
    for (i, (px, py)) in STAR.iter().enumerate() {
        let _ = write!(
            d,
            "{}{} {}",
            if i == 0 { "M" } else { "L" },
            num(cx + px * r),
            num(cy + py * r)
        );
    }
    d.push('Z');
    svg.path(&d, fill, None, "");
}

/// A small drawing of the category: a phone (digital), a person (human), a box (physical).
fn category_icon(svg: &mut Svg, category: TouchpointCategory, cx: f32, cy: f32) {
    let colour = category_colour(category);
    svg.circle(cx, cy, 9.0, colour, None);
    let white = "#FFFFFF";
    match category {
        TouchpointCategory::Digital => {
            svg.rect(
                cx - 3.5,
                cy - 5.5,
                7.0,
                11.0,
                1.5,
                "none",
                Some((white, 1.4)),
            );
            svg.circle(cx, cy + 3.2, 0.9, white, None);
        }
        TouchpointCategory::Human => {
            svg.circle(cx, cy - 2.6, 2.6, white, None);
            let d = format!(
                "M{} {}C{} {} {} {} {} {}Z",
                num(cx - 5.0),
                num(cy + 5.5),
                num(cx - 5.0),
                num(cy - 0.5),
                num(cx + 5.0),
                num(cy - 0.5),
                num(cx + 5.0),
                num(cy + 5.5)
            );
            svg.path(&d, white, None, "");
        }
        TouchpointCategory::Physical => {
            svg.rect(
                cx - 5.0,
                cy - 4.0,
                10.0,
                9.0,
                1.0,
                "none",
                Some((white, 1.4)),
            );
            svg.line(cx - 5.0, cy - 1.0, cx + 5.0, cy - 1.0, white, 1.4, None);
        }
    }
}

fn draw_card(svg: &mut Svg, card: &CardLayout, x: f32, y: f32, l: &Labels) {
    let colour = category_colour(card.category);
    svg.open_group(&format!("id=\"tp-{}\"", card.id));
    let border = if card.moment_of_truth {
        (ACCENT, 2.0)
    } else {
        ("#D3D9E0", 1.0)
    };
    svg.rect(x, y, CARD_W, card.height, 8.0, PAPER, Some(border));
    // The category strip along the top edge.
    svg.rect(x + 8.0, y, CARD_W - 16.0, 3.0, 1.5, colour, None);
    category_icon(svg, card.category, x + 20.0, y + 20.0);
    svg.text(
        x + 34.0,
        y + 24.0,
        card.category_label,
        F_SMALL_B,
        colour,
        Anchor::Start,
    );
    if card.moment_of_truth {
        let label = l.moment_of_truth_short;
        let w = width(label, F_SMALL_B.size, true) + 26.0;
        let bx = x + CARD_W - w - 8.0;
        svg.rect(bx, y + 10.0, w, 19.0, 9.5, ACCENT, None);
        star(svg, bx + 10.0, y + 19.5, 5.5, "#FFFFFF");
        svg.text(
            bx + 18.0,
            y + 23.5,
            label,
            F_SMALL_B,
            "#FFFFFF",
            Anchor::Start,
        );
    }
    let mut ty = y + 36.0 + F_CARD_TITLE.size;
    for line in &card.name {
        svg.text(x + 12.0, ty, line, F_CARD_TITLE, INK, Anchor::Start);
        ty += F_CARD_TITLE.line_height();
    }
    ty += 2.0;
    for meta in [&card.channel, &card.owner] {
        if !meta.is_empty() {
            svg.text(x + 12.0, ty, meta, F_SMALL, INK_2, Anchor::Start);
            ty += 15.0;
        }
    }
    if card.core {
        let label = l.core_experience;
        let w = width(label, F_SMALL_B.size, true) + 24.0;
        svg.rect(x + 12.0, ty - 5.0, w, 19.0, 9.5, CORE, None);
        // A diamond marks the core experience here and in the legend.
        let (dx, dy) = (x + 21.0, ty + 4.5);
        svg.path(
            &format!(
                "M{} {}L{} {}L{} {}L{} {}Z",
                num(dx),
                num(dy - 4.5),
                num(dx + 4.0),
                num(dy),
                num(dx),
                num(dy + 4.5),
                num(dx - 4.0),
                num(dy)
            ),
            "#FFFFFF",
            None,
            "",
        );
        svg.text(
            x + 29.0,
            ty + 8.5,
            label,
            F_SMALL_B,
            "#FFFFFF",
            Anchor::Start,
        );
    }
    svg.close_group();
}

// ---------------------------------------------------------------------------------------------
// Emotion curve

/// "+2", "0", "-1". An ASCII hyphen: the embedded fonts have no U+2212 minus sign.
fn signed(e: i8) -> String {
    if e > 0 {
        format!("+{e}")
    } else {
        e.to_string()
    }
}

/// A face for an emotion: fill by level, mouth curved by level.
fn face(svg: &mut Svg, cx: f32, cy: f32, r: f32, emotion: i8) {
    svg.circle(cx, cy, r, emotion_colour(emotion), Some(("#FFFFFF", 2.0)));
    let eye = (r * 0.12).max(1.0);
    svg.circle(cx - r * 0.36, cy - r * 0.22, eye, "#FFFFFF", None);
    svg.circle(cx + r * 0.36, cy - r * 0.22, eye, "#FFFFFF", None);
    let mouth_y = cy + r * 0.32 - f32::from(emotion) * r * 0.06;
    let bend = f32::from(emotion) * r * 0.16;
    let d = format!(
        "M{} {}Q{} {} {} {}",
        num(cx - r * 0.42),
        num(mouth_y),
        num(cx),
        num(mouth_y + bend),
        num(cx + r * 0.42),
        num(mouth_y)
    );
    svg.path(
        &d,
        "none",
        Some(("#FFFFFF", (r * 0.14).max(1.2))),
        "stroke-linecap=\"round\"",
    );
}

/// A smooth path through `points` that never overshoots between them (d3's monotone-x).
pub(crate) fn monotone_path(points: &[(f32, f32)]) -> String {
    let n = points.len();
    let mut d = String::new();
    let Some(&(x0, y0)) = points.first() else {
        return d;
    };
    let _ = write!(d, "M{} {}", num(x0), num(y0));
    if n == 1 {
        return d;
    }
    let secant: Vec<f32> = points
        .windows(2)
        .map(|w| match w {
            [(xa, ya), (xb, yb)] if xb > xa => (yb - ya) / (xb - xa),
            _ => 0.0,
        })
        .collect();
    let tangents: Vec<f32> = (0..n)
        .map(|i| {
            let left = i.checked_sub(1).and_then(|j| secant.get(j)).copied();
            let right = secant.get(i).copied();
            match (left, right) {
                (Some(s0), Some(s1)) => {
                    if s0 * s1 <= 0.0 {
                        0.0
                    } else {
                        let h0 = points
                            .get(i)
                            .zip(points.get(i - 1))
                            .map_or(1.0, |(a, b)| a.0 - b.0);
                        let h1 = points
                            .get(i + 1)
                            .zip(points.get(i))
                            .map_or(1.0, |(a, b)| a.0 - b.0);
                        let p = (s0 * h1 + s1 * h0) / (h0 + h1);
                        s0.signum() * s0.abs().min(s1.abs()).min(0.5 * p.abs()) * 2.0
                    }
                }
                (None, Some(s)) | (Some(s), None) => s,
                (None, None) => 0.0,
            }
        })
        .collect();
    for (i, pair) in points.windows(2).enumerate() {
        if let [(xa, ya), (xb, yb)] = pair {
            let h = (xb - xa) / 3.0;
            let ta = tangents.get(i).copied().unwrap_or(0.0);
            let tb = tangents.get(i + 1).copied().unwrap_or(0.0);
            let _ = write!(
                d,
                "C{} {} {} {} {} {}",
                num(xa + h),
                num(ya + h * ta),
                num(xb - h),
                num(yb - h * tb),
                num(*xb),
                num(*yb)
            );
        }
    }
    d
}

fn draw_emotion_lane(
    svg: &mut Svg,
    columns: &[Column<'_>],
    y: f32,
    grid_w: f32,
    (before, after): (Option<i8>, Option<i8>),
    l: &Labels,
) {
    let top = y + 54.0;
    let bottom = y + EMOTION_H - 30.0;
    let level_y = |e: i8| top + (bottom - top) * (2.0 - f32::from(e)) / 4.0;
    draw_lane_label(svg, l.emotion, "#E8894A", y);
    // The scale: faces for +2, 0 and −2 in the label column, guides across the grid.
    for e in [2_i8, 1, 0, -1, -2] {
        let gy = level_y(e);
        let (stroke, dash) = if e == 0 {
            ("#BCC5CF", None)
        } else {
            ("#E4E7EB", Some("3 4"))
        };
        svg.line(PAD + LABEL_W, gy, PAD + grid_w, gy, stroke, 1.0, dash);
        let text = signed(e);
        svg.text(
            PAD + LABEL_W - 10.0,
            gy + 4.0,
            &text,
            F_SMALL_B,
            INK_3,
            Anchor::End,
        );
    }
    face(svg, PAD + 30.0, level_y(2), 8.0, 2);
    svg.text(
        PAD + 44.0,
        level_y(2) + 4.0,
        l.emotion_high,
        F_SMALL,
        INK_2,
        Anchor::Start,
    );
    face(svg, PAD + 30.0, level_y(-2), 8.0, -2);
    svg.text(
        PAD + 44.0,
        level_y(-2) + 4.0,
        l.emotion_low,
        F_SMALL,
        INK_2,
        Anchor::Start,
    );

    let points: Vec<(f32, f32, &Touchpoint)> = columns
        .iter()
        .enumerate()
        .filter_map(|(c, col)| {
            col.touchpoint.map(|tp| {
                (
                    PAD + LABEL_W + COL_W * (c as f32 + 0.5),
                    level_y(tp.emotion.get()),
                    tp,
                )
            })
        })
        .collect();
    let xy: Vec<(f32, f32)> = points.iter().map(|(x, y, _)| (*x, *y)).collect();
    if xy.len() > 1 {
        // A soft band between the curve and the neutral line, then the curve itself.
        let mut area = monotone_path(&xy);
        if let (Some(first), Some(last)) = (xy.first(), xy.last()) {
            let _ = write!(
                area,
                "L{} {}L{} {}Z",
                num(last.0),
                num(level_y(0)),
                num(first.0),
                num(level_y(0))
            );
        }
        svg.path(&area, "#334E68", None, "fill-opacity=\"0.06\"");
        svg.path(
            &monotone_path(&xy),
            "none",
            Some(("#334E68", 2.5)),
            "stroke-linejoin=\"round\"",
        );
    }
    // Where the map wraps, dashed stubs show the curve coming from and going to the next band.
    if let (Some(e), Some(first)) = (before, xy.first()) {
        let (x0, y0) = (PAD + LABEL_W, (level_y(e) + first.1) / 2.0);
        svg.line(x0, y0, first.0, first.1, "#334E68", 1.5, Some("4 4"));
    }
    if let (Some(e), Some(last)) = (after, xy.last()) {
        let (x1, y1) = (PAD + grid_w, (level_y(e) + last.1) / 2.0);
        svg.line(last.0, last.1, x1, y1, "#334E68", 1.5, Some("4 4"));
    }
    for (x, py, tp) in &points {
        let e = tp.emotion.get();
        if tp.moment_of_truth {
            svg.circle(*x, *py, 17.0, "none", Some((ACCENT, 2.0)));
            star(svg, *x + 14.0, *py - 14.0, 7.0, ACCENT);
        }
        face(svg, *x, *py, 11.0, e);
        let label = signed(e);
        let ly = if e >= 0 { py + 30.0 } else { py - 24.0 };
        svg.text(*x, ly, &label, F_SMALL_B, emotion_colour(e), Anchor::Middle);
    }
    svg.line(
        PAD,
        y + EMOTION_H,
        PAD + grid_w,
        y + EMOTION_H,
        RULE,
        1.0,
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// Footer

fn draw_footer(
    svg: &mut Svg,
    unlinked: &[&Opportunity],
    top: f32,
    content_w: f32,
    lang: Lang,
    l: &Labels,
) {
    let mut x = PAD;
    let cy = top + 10.0;
    svg.text(x, cy + 4.0, l.legend, F_SMALL_B, INK_2, Anchor::Start);
    x += width(l.legend, F_SMALL_B.size, true) + 16.0;
    for category in [
        TouchpointCategory::Digital,
        TouchpointCategory::Human,
        TouchpointCategory::Physical,
    ] {
        category_icon(svg, category, x + 9.0, cy);
        let label = labels::category(lang, category);
        svg.text(x + 23.0, cy + 4.0, label, F_SMALL, INK_2, Anchor::Start);
        x += 23.0 + width(label, F_SMALL.size, false) + 18.0;
    }
    star(svg, x + 8.0, cy, 8.0, ACCENT);
    svg.text(
        x + 21.0,
        cy + 4.0,
        l.moment_of_truth,
        F_SMALL,
        INK_2,
        Anchor::Start,
    );
    x += 21.0 + width(l.moment_of_truth, F_SMALL.size, false) + 18.0;
    svg.path(
        &format!(
            "M{} {}L{} {}L{} {}L{} {}Z",
            num(x + 7.0),
            num(cy - 7.0),
            num(x + 13.0),
            num(cy),
            num(x + 7.0),
            num(cy + 7.0),
            num(x + 1.0),
            num(cy)
        ),
        CORE,
        None,
        "",
    );
    svg.text(
        x + 19.0,
        cy + 4.0,
        l.core_experience,
        F_SMALL,
        INK_2,
        Anchor::Start,
    );
    x += 19.0 + width(l.core_experience, F_SMALL.size, false) + 18.0;
    for e in [-2_i8, -1, 0, 1, 2] {
        face(svg, x + 8.0, cy, 7.0, e);
        x += 20.0;
    }
    svg.text(x + 2.0, cy + 4.0, l.emotion, F_SMALL, INK_2, Anchor::Start);
    svg.text(
        PAD + content_w,
        cy + 4.0,
        "cxmap",
        F_SMALL_B,
        INK_3,
        Anchor::End,
    );

    if !unlinked.is_empty() {
        let y = top + 38.0;
        svg.text(
            PAD,
            y,
            l.unlinked_opportunities,
            F_SMALL_B,
            INK_2,
            Anchor::Start,
        );
        let mut ox = PAD + width(l.unlinked_opportunities, F_SMALL_B.size, true) + 14.0;
        let max_x = PAD + content_w - 80.0;
        for (i, o) in unlinked.iter().enumerate() {
            let text = fit(o.title.as_str(), F_SMALL, 220.0);
            let w = width(&text, F_SMALL.size, false) + 20.0;
            if ox + w > max_x {
                svg.text(
                    ox,
                    y,
                    &labels::more(lang, unlinked.len() - i),
                    F_SMALL,
                    INK_3,
                    Anchor::Start,
                );
                break;
            }
            svg.rect(ox, y - 13.0, w, 18.0, 9.0, "#EDF2FF", None);
            svg.text(ox + 10.0, y, &text, F_SMALL, "#364FC7", Anchor::Start);
            ox += w + 8.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_values_read_naturally() {
        assert_eq!(kpi_value(85.0, "%"), "85%");
        assert_eq!(kpi_value(1.5, "h"), "1.5 h");
        assert_eq!(kpi_value(10.0, "days"), "10 days");
        assert_eq!(kpi_value(0.126, ""), "0.13");
    }

    #[test]
    fn monotone_path_stays_within_the_points() {
        let d = monotone_path(&[(0.0, 10.0), (10.0, 0.0), (20.0, 0.0), (30.0, 10.0)]);
        assert!(d.starts_with("M0 10C"), "{d}");
        // The flat middle segment keeps its control points on y = 0: no overshoot.
        assert!(d.contains("C13.3 0 16.7 0 20 0"), "{d}");
        assert_eq!(monotone_path(&[]), "");
        assert_eq!(monotone_path(&[(1.0, 2.0)]), "M1 2");
    }

    #[test]
    fn every_character_of_the_demo_maps_has_a_glyph() {
        use cxmap_domain::templates::{b2b_saas, retail_online_shopping};
        let now = chrono::Utc::now();
        for j in [
            retail_online_shopping(cxmap_domain::ProjectId::new(), now),
            b2b_saas(cxmap_domain::ProjectId::new(), now),
        ] {
            for lang in [Lang::Ko, Lang::En] {
                let svg = journey_svg(
                    &j,
                    &RenderOptions {
                        lang,
                        ..RenderOptions::default()
                    },
                );
                for chunk in svg.split("<text").skip(1) {
                    let bold = chunk.split('>').next().is_some_and(|a| a.contains("bold"));
                    let body = chunk
                        .split('>')
                        .nth(1)
                        .and_then(|t| t.split('<').next())
                        .unwrap_or("");
                    let body = body
                        .replace("&amp;", "&")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'");
                    for c in body.chars() {
                        assert!(
                            crate::fonts::has_glyph(c, bold) || c == ' ',
                            "no glyph for {c:?} in {body:?}"
                        );
                    }
                }
            }
        }
    }
}
