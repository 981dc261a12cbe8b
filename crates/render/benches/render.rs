//! Times `render_svg`, `render_png` and `render_pdf` on a 200-touchpoint journey (10 stages ×
//! 20 touchpoints, every lane filled). A plain `main`: `cargo bench -p cxmap-render`, or
//! `bench/render/run.sh`, which also compares with the goals (SVG < 50 ms, PNG < 500 ms).
//!
//! Prints one line per measurement: `name iterations min_ms median_ms max_ms cpu_ms_per_iter`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use cxmap_domain::{
    Emotion, Journey, Kpi, Lang, Level, Opportunity, OpportunityId, OpportunityStatus, Persona,
    PersonaId, ProjectId, Stage, Text, Title, Touchpoint, TouchpointCategory,
};
use cxmap_render::{Badge, RenderOptions, Tone, render_pdf, render_png, render_svg};

fn title(s: &str) -> Title {
    Title::parse(s).unwrap_or_else(|_| unreachable!("bench literals are valid titles"))
}

fn text(s: String) -> Text {
    Text::parse(s).unwrap_or_default()
}

/// 10 stages × 20 touchpoints, Korean and English text, every lane filled.
fn big_journey() -> Journey {
    let at = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut j = Journey::new(
        ProjectId::new(),
        title("대규모 여정 벤치마크 / large journey"),
        at,
    );
    j.goal = text("모든 채널에서 막힘 없이 구매하고 지원받는다".to_owned());
    j.value_proposition = text("Fast delivery, honest reviews and support that answers".to_owned());
    j.personas = (0..3)
        .map(|p| Persona {
            id: PersonaId::new(),
            name: title(&format!("페르소나 {p} (3{p}, 직장인)")),
            role: None,
            description: text("퇴근길에 모바일로 쇼핑하는 고객".to_owned()),
            goals: vec![
                text("빠른 결제".to_owned()),
                text("믿을 수 있는 후기".to_owned()),
            ],
            frustrations: vec![text("재로그인".to_owned()), text("배송 지연".to_owned())],
            quote: text("결제가 복잡하면 그냥 나가요.".to_owned()),
            avatar: Text::default(),
        })
        .collect();
    let categories = [
        TouchpointCategory::Digital,
        TouchpointCategory::Human,
        TouchpointCategory::Physical,
    ];
    for s in 0..10 {
        let mut stage = Stage::named(title(&format!("단계 {s} stage")));
        stage.description = text(format!("고객이 {s}번째 단계에서 하는 일과 목표"));
        for t in 0..20 {
            let i = s * 20 + t;
            let mut tp = Touchpoint::named(title(&format!("터치포인트 {i} touchpoint name")));
            tp.channel = text(if i % 2 == 0 {
                "앱".to_owned()
            } else {
                "web".to_owned()
            });
            tp.owner = text(format!("팀 {}", i % 7));
            tp.category = categories[i % 3];
            tp.emotion = Emotion::parse(((i * 7) % 5) as i64 - 2).unwrap_or_default();
            tp.customer_actions = (0..2)
                .map(|k| text(format!("고객이 행동 {k}을 한다 and clicks")))
                .collect();
            tp.thoughts = vec![text("이거 괜찮아 보이는데? Looks fine".to_owned())];
            tp.pain_points = (0..(i % 4))
                .map(|k| text(format!("문제 {k}: 대기 시간이 너무 길다")))
                .collect();
            tp.gain_points = (0..(i % 3))
                .map(|k| text(format!("좋은 점 {k}: 빠른 응답")))
                .collect();
            tp.moment_of_truth = i % 9 == 0;
            tp.core_experience = i % 11 == 0;
            tp.kpis = vec![Kpi {
                name: title("결제 완료율"),
                unit: text("%".to_owned()),
                target: Some(85.0),
                benchmark: Some(78.0),
            }];
            stage.touchpoints.push(tp);
        }
        j.stages.push(stage);
    }
    let ids: Vec<_> = j.touchpoints().map(|(_, tp)| tp.id).collect();
    for (k, id) in ids.iter().enumerate().filter(|(k, _)| k % 4 == 0) {
        j.opportunities.push(Opportunity {
            id: OpportunityId::new(),
            title: title(&format!("개선 기회 {k}")),
            description: text("세션 연장과 간편결제 기본 선택으로 이탈을 줄인다".to_owned()),
            touchpoint_id: Some(*id),
            impact: Level::parse(4).unwrap_or_default(),
            effort: Level::parse(2).unwrap_or_default(),
            status: OpportunityStatus::Idea,
        });
    }
    j
}

/// This process's user + system CPU time in ms, from /proc (Linux; 10 ms resolution).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10.0) // USER_HZ is 100 on Linux
}

fn time<T>(name: &str, iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    // RENDER_BENCH_ONLY=png runs only the measurements whose name contains "png" (profiling).
    if std::env::var("RENDER_BENCH_ONLY").is_ok_and(|only| !name.contains(only.as_str())) {
        return Duration::ZERO;
    }
    black_box(f()); // warm-up: fonts, caches
    let cpu_before = cpu_ms();
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    // CPU time of the whole process per iteration (user + system, all threads): less
    // sensitive than wall time to other processes competing for the cores.
    let cpu_per_iter = cpu_ms()
        .zip(cpu_before)
        .map(|(a, b)| (a - b) / iterations.max(1) as f64);
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    println!(
        "{name} {iterations} {:.2} {:.2} {:.2} {}",
        ms(samples.first().copied().unwrap_or_default()),
        ms(median),
        ms(samples.last().copied().unwrap_or_default()),
        cpu_per_iter.map_or_else(|| "-".to_owned(), |c| format!("{c:.0}"))
    );
    median
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::var("RENDER_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let journey = big_journey();
    let mut options = RenderOptions {
        lang: Lang::Ko,
        ..RenderOptions::default()
    };
    for (_, tp) in journey.touchpoints().step_by(5) {
        options.overlay.insert(
            tp.id,
            vec![
                Badge::new("Clicks", "1,204", Tone::Good),
                Badge::new("NPS", "+12", Tone::Bad),
            ],
        );
    }
    let touchpoints = journey.touchpoints().count();
    let mut svg = render_svg(&journey, &options);
    // RENDER_BENCH_SVG=FILE rasterises that SVG instead (to try variants while profiling).
    if let Some(path) = std::env::var_os("RENDER_BENCH_SVG") {
        svg = std::fs::read_to_string(path)?;
    }
    let png = render_png(&svg, 1.0)?;
    let pdf = render_pdf(&svg)?;
    println!(
        "# {touchpoints} touchpoints; svg {} KiB, png {} KiB, pdf {} KiB",
        svg.len() / 1024,
        png.len() / 1024,
        pdf.len() / 1024
    );
    println!("# name iterations min_ms median_ms max_ms cpu_ms_per_iter");
    time("svg", iterations * 5, || render_svg(&journey, &options));
    time("png_1x", iterations, || render_png(&svg, 1.0));
    time("pdf", iterations, || render_pdf(&svg));
    // Where PNG time goes: parsing (text shaping and outlining included) and rasterising; the
    // rest of png_1x is PNG encoding. The font database here is a plain one with the same file.
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(include_bytes!("../fonts/NanumGothic.ttf").to_vec());
    db.load_font_data(include_bytes!("../fonts/NanumGothicBold.ttf").to_vec());
    let usvg_options = usvg::Options {
        fontdb: std::sync::Arc::new(db),
        ..usvg::Options::default()
    };
    time("part_usvg_parse", iterations, || {
        usvg::Tree::from_str(&svg, &usvg_options)
    });
    let tree = usvg::Tree::from_str(&svg, &usvg_options)?;
    time("part_rasterise", iterations, || {
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height());
        if let Some(p) = pixmap.as_mut() {
            resvg::render(
                &tree,
                resvg::tiny_skia::Transform::identity(),
                &mut p.as_mut(),
            );
        }
        pixmap
    });
    if let Some(dir) = std::env::var_os("RENDER_BENCH_OUT") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("bench-200.svg"), &svg)?;
        std::fs::write(dir.join("bench-200.png"), &png)?;
    }
    Ok(())
}
