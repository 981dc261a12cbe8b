//! A process map: a directly-follows graph drawn as SVG, the way process-mining tools show what
//! customers really did. Boxes are activities with their event counts; arrows are "directly
//! followed by" with their case count and mean time, thicker the more often they were taken.
//! A start node points at the activities cases began with, and the activities they ended with
//! point at an end node.
//!
//! Layout is layered and deterministic: an activity's layer is its shortest distance (in
//! arrows) from the start node, activities in a layer are ordered by count (then name), forward
//! arrows run downwards and arrows back up (loops, rework) bend around the right-hand side.
//! Pure: the same graph gives the same bytes.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use cxmap_domain::Lang;

use crate::svg::{Anchor, Svg, num};
use crate::text::{Font, fit};

/// One activity (box) of a process map.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessActivity {
    /// Its name.
    pub name: String,
    /// How many events it had.
    pub count: u64,
    /// How many cases began with it.
    pub start: u64,
    /// How many cases ended with it.
    pub end: u64,
}

/// One "directly followed by" arrow.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessEdge {
    /// The earlier activity.
    pub from: String,
    /// The activity that directly followed it.
    pub to: String,
    /// How many times it happened.
    pub count: u64,
    /// The mean time between the two events, in seconds.
    pub mean_seconds: f64,
}

/// The graph to draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessMap {
    /// How many cases the graph was computed from.
    pub cases: u64,
    /// The activities.
    pub activities: Vec<ProcessActivity>,
    /// The arrows between them.
    pub edges: Vec<ProcessEdge>,
}

const BOX_W: f32 = 170.0;
const BOX_H: f32 = 46.0;
const GAP_X: f32 = 60.0;
const GAP_Y: f32 = 80.0;
const MARGIN: f32 = 40.0;
const HEADER: f32 = 56.0;
/// Room on the right for arrows that go back up.
const BACK_LANE: f32 = 28.0;

const NAME: Font = Font::new(12.0, true);
const SMALL: Font = Font::new(10.0, false);

/// Node index 0 is the start node, 1 the end node, activities follow.
struct Node {
    label: String,
    sub: String,
    terminal: bool,
    layer: usize,
    x: f32,
    y: f32,
}

struct Arrow {
    from: usize,
    to: usize,
    count: u64,
    label: String,
}

/// Short human duration: `45s`, `12m`, `3.2h`, `4.1d`.
fn duration(seconds: f64) -> String {
    let s = seconds.abs();
    if !s.is_finite() {
        String::new()
    } else if s < 60.0 {
        format!("{seconds:.0}s")
    } else if s < 3600.0 {
        format!("{:.0}m", seconds / 60.0)
    } else if s < 86_400.0 {
        format!("{:.1}h", seconds / 3600.0)
    } else {
        format!("{:.1}d", seconds / 86_400.0)
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn t(lang: Lang, ko: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

/// Draws `map` as a standalone SVG document.
pub fn render_process_map(map: &ProcessMap, lang: Lang) -> String {
    let mut nodes = vec![
        Node {
            label: t(lang, "시작", "Start").to_owned(),
            sub: format!("{} {}", thousands(map.cases), t(lang, "건", "cases")),
            terminal: true,
            layer: 0,
            x: 0.0,
            y: 0.0,
        },
        Node {
            label: t(lang, "종료", "End").to_owned(),
            sub: String::new(),
            terminal: true,
            layer: 0,
            x: 0.0,
            y: 0.0,
        },
    ];
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &map.activities {
        index.insert(a.name.as_str(), nodes.len());
        nodes.push(Node {
            label: a.name.clone(),
            sub: format!("{} {}", thousands(a.count), t(lang, "회", "events")),
            terminal: false,
            layer: usize::MAX,
            x: 0.0,
            y: 0.0,
        });
    }
    let mut arrows: Vec<Arrow> = Vec::new();
    for a in &map.activities {
        let i = index[a.name.as_str()];
        if a.start > 0 {
            arrows.push(Arrow {
                from: 0,
                to: i,
                count: a.start,
                label: thousands(a.start),
            });
        }
        if a.end > 0 {
            arrows.push(Arrow {
                from: i,
                to: 1,
                count: a.end,
                label: thousands(a.end),
            });
        }
    }
    for e in &map.edges {
        if let (Some(&from), Some(&to)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            let time = duration(e.mean_seconds);
            let label = if time.is_empty() {
                thousands(e.count)
            } else {
                format!("{} · {time}", thousands(e.count))
            };
            arrows.push(Arrow {
                from,
                to,
                count: e.count,
                label,
            });
        }
    }

    // Layers: breadth-first distance from the start node along arrows.
    let mut out_of: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for a in &arrows {
        if a.to != 1 {
            out_of[a.from].push(a.to);
        }
    }
    let mut queue = VecDeque::from([0usize]);
    nodes[0].layer = 0;
    while let Some(n) = queue.pop_front() {
        let next = nodes[n].layer + 1;
        for &m in &out_of[n] {
            if nodes[m].layer == usize::MAX {
                nodes[m].layer = next;
                queue.push_back(m);
            }
        }
    }
    let deepest = nodes
        .iter()
        .skip(2)
        .map(|n| n.layer)
        .filter(|&l| l != usize::MAX)
        .max()
        .unwrap_or(0);
    for n in nodes.iter_mut().skip(2) {
        if n.layer == usize::MAX {
            n.layer = deepest + 1; // not reachable from a start: drawn below the rest
        }
    }
    let last = nodes.iter().skip(2).map(|n| n.layer).max().unwrap_or(0);
    nodes[1].layer = last + 1;

    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); last + 2];
    for (i, n) in nodes.iter().enumerate() {
        layers[n.layer].push(i);
    }
    let counts: Vec<u64> = std::iter::once(u64::MAX)
        .chain(std::iter::once(0))
        .chain(map.activities.iter().map(|a| a.count))
        .collect();
    for layer in &mut layers {
        layer.sort_by(|&a, &b| {
            counts[b]
                .cmp(&counts[a])
                .then_with(|| nodes[a].label.cmp(&nodes[b].label))
        });
    }
    let widest = layers.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32;
    let inner_w = widest * BOX_W + (widest - 1.0) * GAP_X;
    for (l, layer) in layers.iter().enumerate() {
        let row_w = layer.len() as f32 * BOX_W + (layer.len().saturating_sub(1)) as f32 * GAP_X;
        let x0 = MARGIN + (inner_w - row_w) / 2.0;
        for (k, &i) in layer.iter().enumerate() {
            nodes[i].x = x0 + k as f32 * (BOX_W + GAP_X);
            nodes[i].y = HEADER + MARGIN + l as f32 * (BOX_H + GAP_Y);
        }
    }
    let width = MARGIN * 2.0 + inner_w + BACK_LANE * 2.0;
    let height = HEADER + MARGIN * 2.0 + layers.len() as f32 * (BOX_H + GAP_Y) - GAP_Y;

    let title = t(lang, "프로세스 맵", "Process map");
    let mut svg = Svg::new(width, height, title);
    svg.text(
        MARGIN,
        MARGIN,
        title,
        Font::new(18.0, true),
        "#1F2933",
        Anchor::Start,
    );
    svg.text(
        MARGIN,
        MARGIN + 20.0,
        &format!(
            "{} {} · {} {} · {} {}",
            thousands(map.cases),
            t(lang, "건", "cases"),
            map.activities.len(),
            t(lang, "활동", "activities"),
            map.edges.len(),
            t(lang, "연결", "transitions")
        ),
        SMALL,
        "#616E7C",
        Anchor::Start,
    );

    let max_count = arrows.iter().map(|a| a.count).max().unwrap_or(1).max(1) as f32;
    let mut back_lane = 0usize;
    for a in &arrows {
        let (f, g) = (&nodes[a.from], &nodes[a.to]);
        let stroke = 1.0 + 7.0 * (a.count as f32 / max_count);
        let mut d = String::new();
        let (lx, ly);
        if a.from == a.to {
            // A self-loop on the right edge of the box.
            let (x, y) = (f.x + BOX_W, f.y + BOX_H / 2.0);
            let _ = write!(
                d,
                "M{},{} C{},{} {},{} {},{}",
                num(x),
                num(y - 10.0),
                num(x + 40.0),
                num(y - 30.0),
                num(x + 40.0),
                num(y + 30.0),
                num(x),
                num(y + 10.0)
            );
            (lx, ly) = (x + 30.0, y + 4.0);
        } else if g.layer > f.layer {
            let (x1, y1) = (f.x + BOX_W / 2.0, f.y + BOX_H);
            let (x2, y2) = (g.x + BOX_W / 2.0, g.y);
            let my = (y1 + y2) / 2.0;
            let _ = write!(
                d,
                "M{},{} C{},{} {},{} {},{}",
                num(x1),
                num(y1),
                num(x1),
                num(my),
                num(x2),
                num(my),
                num(x2),
                num(y2)
            );
            (lx, ly) = ((x1 + x2) / 2.0 + 4.0, my);
        } else {
            // Back or sideways: out of the right side, up a lane beside the map, into the right side.
            back_lane += 1;
            let lane = MARGIN + inner_w + BACK_LANE * (0.5 + (back_lane % 4) as f32 * 0.4);
            let (x1, y1) = (f.x + BOX_W, f.y + BOX_H * 0.7);
            let (x2, y2) = (g.x + BOX_W, g.y + BOX_H * 0.3);
            let _ = write!(
                d,
                "M{},{} C{},{} {},{} {},{}",
                num(x1),
                num(y1),
                num(lane),
                num(y1),
                num(lane),
                num(y2),
                num(x2),
                num(y2)
            );
            (lx, ly) = (lane - 4.0, (y1 + y2) / 2.0);
        }
        svg.path(
            &d,
            "none",
            Some(("#9AA5B1", stroke)),
            "marker-end=\"url(#arrow)\" opacity=\"0.85\"",
        );
        svg.text(lx, ly, &a.label, SMALL, "#3E4C59", Anchor::Start);
    }

    for (i, n) in nodes.iter().enumerate() {
        let id = if i < 2 {
            format!("pm-{}", if i == 0 { "start" } else { "end" })
        } else {
            format!("pm-{}", i - 2)
        };
        svg.open_group(&format!("id=\"{id}\""));
        if n.terminal {
            svg.rect(
                n.x,
                n.y,
                BOX_W,
                BOX_H,
                BOX_H / 2.0,
                "#E4E7EB",
                Some(("#7B8794", 1.0)),
            );
        } else {
            svg.rect(
                n.x,
                n.y,
                BOX_W,
                BOX_H,
                6.0,
                "#FFFFFF",
                Some(("#3E4C59", 1.2)),
            );
        }
        let name = fit(&n.label, NAME, BOX_W - 12.0);
        svg.text(
            n.x + BOX_W / 2.0,
            n.y + 19.0,
            &name,
            NAME,
            "#1F2933",
            Anchor::Middle,
        );
        svg.text(
            n.x + BOX_W / 2.0,
            n.y + 35.0,
            &n.sub,
            SMALL,
            "#616E7C",
            Anchor::Middle,
        );
        svg.close_group();
    }
    // The arrowhead definition goes right after the title, before anything refers to it.
    svg.finish()
        .replacen("</title>\n", &format!("</title>\n{ARROW_DEFS}"), 1)
}

const ARROW_DEFS: &str = "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
    markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">\
    <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#52606D\"/></marker></defs>\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProcessMap {
        let act = |name: &str, count, start, end| ProcessActivity {
            name: name.into(),
            count,
            start,
            end,
        };
        let edge = |from: &str, to: &str, count, mean_seconds| ProcessEdge {
            from: from.into(),
            to: to.into(),
            count,
            mean_seconds,
        };
        ProcessMap {
            cases: 10,
            activities: vec![
                act("광고 클릭", 10, 10, 0),
                act("검색", 12, 0, 3),
                act("결제 <완료>", 7, 0, 7),
            ],
            edges: vec![
                edge("광고 클릭", "검색", 10, 30.0),
                edge("검색", "검색", 2, 5.0),
                edge("검색", "결제 <완료>", 7, 7200.0),
                edge("결제 <완료>", "광고 클릭", 1, 90_000.0),
            ],
        }
    }

    #[test]
    fn draws_every_activity_and_arrow_with_counts() {
        let svg = render_process_map(&sample(), Lang::Ko);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("광고 클릭") && svg.contains("결제 &lt;완료&gt;"));
        assert!(svg.contains("12 회"));
        assert!(svg.contains("7 · 2.0h"), "{svg}");
        assert!(svg.contains("1 · 1.0d"));
        // 4 transitions + 1 start arrow + 2 end arrows.
        assert_eq!(svg.matches("marker-end").count(), 7);
        assert_eq!(
            svg,
            render_process_map(&sample(), Lang::Ko),
            "deterministic"
        );
        assert!(render_process_map(&sample(), Lang::En).contains("Process map"));
    }

    #[test]
    fn thicker_arrows_for_more_frequent_transitions() {
        let svg = render_process_map(&sample(), Lang::En);
        assert!(
            svg.contains("stroke-width=\"8\""),
            "the most frequent arrow is the thickest"
        );
        assert!(usvg::Tree::from_str(&svg, &usvg::Options::default()).is_ok());
    }

    #[test]
    fn an_empty_graph_is_still_a_document() {
        let svg = render_process_map(&ProcessMap::default(), Lang::En);
        assert!(svg.contains("0 cases"));
    }
}
