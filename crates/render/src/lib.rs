//! Journey map rendering: a [`Journey`] to a self-contained SVG, and that SVG to PNG or PDF.
//!
//! - [`render_svg`] is pure and deterministic: the same journey and options give the same
//!   bytes, so exports can be snapshot-tested and cached by content.
//! - [`render_png`] (resvg) and [`render_pdf`] (svg2pdf) parse the SVG once with usvg against
//!   the Nanum Gothic fonts embedded in this crate, and nothing else: Korean text renders the
//!   same on every machine, with no dependency on installed fonts.
//!
//! Architecture invariant: this crate does no I/O and knows nothing about HTTP, storage or
//! where a map came from; callers hand it a journey and get bytes back.

mod fonts;
mod labels;
mod map;
mod process_map;
mod raster;
mod svg;
mod text;

use std::collections::BTreeMap;

pub use cxmap_domain::Lang;
use cxmap_domain::{Journey, TouchpointId};

pub use process_map::{ProcessActivity, ProcessEdge, ProcessMap, render_process_map};
pub use raster::{render_pdf, render_png};

/// How a piece of evidence reads: good, neutral or bad. It picks the badge colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Meets or beats the target (green).
    Good,
    /// No judgement (grey).
    #[default]
    Neutral,
    /// Misses the target (red).
    Bad,
}

/// A small label–value pill shown under a touchpoint, e.g. `NPS` / `+32 (n=140)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Badge {
    /// What is shown, e.g. "Clicks" or "CSAT".
    pub label: String,
    /// The formatted value, e.g. "1,204" or "82% ±4".
    pub value: String,
    /// Its colour.
    pub tone: Tone,
}

impl Badge {
    /// A badge with `label`, `value` and `tone`.
    pub fn new(label: impl Into<String>, value: impl Into<String>, tone: Tone) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
            tone,
        }
    }
}

/// What to draw besides the journey itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderOptions {
    /// The language of the map's own labels (lane names, legend); the journey's text is drawn
    /// as written.
    pub lang: Lang,
    /// Evidence badges per touchpoint (clicks, NPS, ticket counts …), shown in an extra
    /// "Evidence" lane when not empty. Touchpoints not on the journey are ignored.
    pub overlay: BTreeMap<TouchpointId, Vec<Badge>>,
}

/// Why a map could not be turned into PNG or PDF.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The SVG text is not an SVG usvg can read.
    #[error("invalid SVG: {0}")]
    Svg(#[from] usvg::Error),
    /// The scale is not a positive finite number.
    #[error("invalid scale {0}: must be a positive finite number")]
    Scale(f32),
    /// The image would be empty or larger than the renderer allows.
    #[error("image size {width}×{height} px is out of range")]
    Size {
        /// Requested width in pixels.
        width: f32,
        /// Requested height in pixels.
        height: f32,
    },
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// PDF conversion failed.
    #[error("PDF conversion failed: {0}")]
    Pdf(String),
}

/// Draws `journey` as a standalone SVG document (UTF-8 text).
///
/// The map has a header with the title, goal, value proposition and personas; the stages above
/// the centre line; one column per touchpoint below it with lanes for the touchpoint card,
/// customer actions, thoughts, the emotion curve, pain and gain points, opportunities, KPIs
/// and, when `options.overlay` is not empty, evidence badges. Elements carry `id`s
/// (`stage-…`, `tp-…`, `persona-…`) so that a browser can make them interactive.
///
/// Pure and deterministic: no I/O, no clock, no randomness.
pub fn render_svg(journey: &Journey, options: &RenderOptions) -> String {
    map::journey_svg(journey, options)
}
