//! Writes the two demo journeys as SVG, PNG and PDF into a directory (default `/tmp`):
//! `cargo run -p cxmap-render --example export -- DIR`.

use std::collections::BTreeMap;

use cxmap_domain::templates::{b2b_saas, retail_online_shopping};
use cxmap_domain::{Lang, ProjectId};
use cxmap_render::{Badge, RenderOptions, Tone, render_pdf, render_png, render_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp".to_owned());
    let now = chrono::Utc::now();
    for (name, journey, lang) in [
        (
            "retail",
            retail_online_shopping(ProjectId::new(), now),
            Lang::Ko,
        ),
        ("b2b", b2b_saas(ProjectId::new(), now), Lang::En),
    ] {
        // Evidence on the first two touchpoints, to show the overlay lane.
        let mut overlay = BTreeMap::new();
        for (i, (_, tp)) in journey.touchpoints().take(2).enumerate() {
            overlay.insert(
                tp.id,
                vec![
                    Badge::new(
                        "Clicks",
                        if i == 0 { "1,204" } else { "87" },
                        if i == 0 { Tone::Good } else { Tone::Bad },
                    ),
                    Badge::new("NPS", "+32 (n=140)", Tone::Neutral),
                ],
            );
        }
        let options = RenderOptions { lang, overlay };
        let svg = render_svg(&journey, &options);
        std::fs::write(format!("{dir}/cxmap-{name}.svg"), &svg)?;
        std::fs::write(format!("{dir}/cxmap-{name}.png"), render_png(&svg, 1.0)?)?;
        std::fs::write(format!("{dir}/cxmap-{name}.pdf"), render_pdf(&svg)?)?;
        println!("{dir}/cxmap-{name}.{{svg,png,pdf}}");
    }
    Ok(())
}
