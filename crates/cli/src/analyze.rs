//! `cxmap analyze`: event-log analyses on a file, without a server.
//!
//! Reads a CSV, XES or XES.gz log with `cxmap-logfile`, runs the pure
//! analyses of `cxmap-analytics` and prints either a readable table (`text`,
//! the default) or one JSON document on stdout in the shape of the contract
//! in PRODUCT.md (`--format json`). Progress goes to stderr, and only when
//! stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use cxmap_analytics::{self as analytics, EventLog, FunnelReport, FunnelSpec};
use cxmap_logfile::{CaseAttribute, LogFileError, ReadOptions, TextEncoding};

/// `cxmap analyze …`
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Which analysis to run.
    #[command(subcommand)]
    pub command: AnalyzeCommand,
}

/// The analyses.
#[derive(Debug, Subcommand)]
pub enum AnalyzeCommand {
    /// Directly-follows graph: activity counts, start/end activities, edges with mean time.
    Dfg(DfgArgs),
    /// Most frequent variants (activity sequences).
    Variants(VariantsArgs),
    /// Exact window funnel over an ordered list of steps.
    Funnel(FunnelArgs),
    /// Slowest transitions between activities, by mean and by median.
    Bottlenecks(BottleneckArgs),
    /// Conformance of the observed cases with a designed ordered list of touchpoints.
    Conformance(ConformanceArgs),
}

/// Where the log is and how to read it.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The event log: CSV with a header row, XES, XES.gz or Parquet (detected from content); a
    /// pipe works too (`--log /dev/stdin`, `--log <(zcat log.csv.gz)`).
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// CSV column with the case id.
    #[arg(long, value_name = "COLUMN", default_value = "case_id")]
    pub case: String,
    /// CSV column with the activity.
    #[arg(long, value_name = "COLUMN", default_value = "activity")]
    pub activity: String,
    /// CSV column with the timestamp.
    #[arg(long, value_name = "COLUMN", default_value = "timestamp")]
    pub timestamp: String,
    /// CSV text encoding (utf-8, cp949, euc-kr, …); default: UTF-8, CP949 when not UTF-8.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table.
    Text,
    /// One JSON document (the `cxmap analyze` contract).
    Json,
}

/// `cxmap analyze dfg`
#[derive(Debug, Args)]
pub struct DfgArgs {
    #[command(flatten)]
    log: LogArgs,
}

/// `cxmap analyze variants`
#[derive(Debug, Args)]
pub struct VariantsArgs {
    #[command(flatten)]
    log: LogArgs,
    /// How many variants to show (most frequent first).
    #[arg(long, value_name = "K", default_value_t = 20)]
    top: usize,
}

/// `cxmap analyze funnel`
#[derive(Debug, Args)]
pub struct FunnelArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Ordered steps, comma-separated activity names.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', required = true)]
    steps: Vec<String>,
    /// Conversion window from the first to the last step: a number with
    /// s, m, h, d or w (e.g. 30d, 12h, 90m); a bare number means seconds.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_window_ms)]
    window: i64,
    /// Also split the funnel by this column (CSV, Parquet) or attribute (XES, of the trace or
    /// its events): a case's segment is the value on its earliest event that has one, and cases
    /// without one form the segment null. A CSV or Parquet file is read a second time for it.
    #[arg(long, value_name = "COLUMN")]
    segment: Option<String>,
}

/// `cxmap analyze bottlenecks`
#[derive(Debug, Args)]
pub struct BottleneckArgs {
    #[command(flatten)]
    log: LogArgs,
    /// How many transitions to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Ignore transitions seen fewer times than this.
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_count: u64,
}

/// `cxmap analyze conformance`
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    #[command(flatten)]
    log: LogArgs,
    /// The designed touchpoints in order, comma-separated activity names.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', required = true)]
    design: Vec<String>,
}

/// Why `cxmap analyze` failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The log could not be read.
    #[error(transparent)]
    Log(#[from] LogFileError),
    /// A step list or design with an empty name.
    #[error("--{0} has an empty activity name")]
    EmptyName(&'static str),
    /// `--segment` without a column name.
    #[error("--segment needs a column name")]
    EmptySegment,
    /// Writing the result failed (e.g. a closed pipe).
    #[error("cannot write the result: {0}")]
    Output(#[from] std::io::Error),
    /// Serialising the result failed.
    #[error("cannot encode the result as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses `30d`, `12h`, `90m`, `45s`, `2w`, `500ms` or bare seconds into milliseconds.
pub fn parse_window_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30d, 12h, 90m or 45s"))?;
    let unit_ms = match unit.trim() {
        "" | "s" => 1_000.0,
        "ms" => 1.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "w" => 604_800_000.0,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} (use s, m, h, d or w)"
            ));
        }
    };
    let ms = (value * unit_ms).round();
    if !(0.0..=9.0e15).contains(&ms) {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(ms as i64)
}

/// Runs `cxmap analyze`.
pub fn run(args: AnalyzeArgs) -> Result<(), AnalyzeError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.command {
        AnalyzeCommand::Dfg(a) => {
            let log = load(&a.log, None, None)?;
            let dfg = analytics::dfg(&log);
            drop(log);
            match a.log.format {
                OutputFormat::Json => json(&mut out, &dfg)?,
                OutputFormat::Text => text_dfg(&mut out, &dfg)?,
            }
        }
        AnalyzeCommand::Variants(a) => {
            let log = load(&a.log, None, None)?;
            let v = analytics::variants(&log, Some(a.top));
            drop(log);
            match a.log.format {
                OutputFormat::Json => json(&mut out, &v)?,
                OutputFormat::Text => text_variants(&mut out, &v)?,
            }
        }
        AnalyzeCommand::Funnel(a) => {
            let steps: Vec<String> = a.steps.iter().map(|s| s.trim().to_owned()).collect();
            if steps.iter().any(String::is_empty) {
                return Err(AnalyzeError::EmptyName("steps"));
            }
            let spec = FunnelSpec {
                steps,
                window_ms: a.window,
            };
            let mut segment = match a.segment.as_deref().map(str::trim) {
                Some("") => return Err(AnalyzeError::EmptySegment),
                Some(column) => Some(CaseAttribute::new(column)),
                None => None,
            };
            // Only the steps' events matter (every case still counts).
            let log = load(&a.log, Some(&spec.steps), segment.as_mut())?;
            let report: FunnelReport = match &segment {
                None => analytics::funnel(&log, &spec).into(),
                Some(values) => analytics::funnel_by_segment(&log, &spec, |case| {
                    Some(values.get(case.id).map(str::to_owned))
                })
                .into(),
            };
            drop(log);
            match a.log.format {
                OutputFormat::Json => json(&mut out, &report)?,
                OutputFormat::Text => text_funnel_report(&mut out, &report, a.window)?,
            }
        }
        AnalyzeCommand::Bottlenecks(a) => {
            let log = load(&a.log, None, None)?;
            let b = analytics::bottlenecks(&log, a.top, a.min_count);
            match a.log.format {
                OutputFormat::Json => json(&mut out, &b)?,
                OutputFormat::Text => text_bottlenecks(&mut out, &b)?,
            }
        }
        AnalyzeCommand::Conformance(a) => {
            let design: Vec<String> = a.design.iter().map(|s| s.trim().to_owned()).collect();
            if design.iter().any(String::is_empty) {
                return Err(AnalyzeError::EmptyName("design"));
            }
            let log = load(&a.log, None, None)?;
            let c = analytics::conformance(&log, &design);
            match a.log.format {
                OutputFormat::Json => json(&mut out, &c)?,
                OutputFormat::Text => text_conformance(&mut out, &c)?,
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn load(
    args: &LogArgs,
    keep_activities: Option<&[String]>,
    mut segment: Option<&mut CaseAttribute>,
) -> Result<EventLog, AnalyzeError> {
    let encoding = match &args.encoding {
        None => TextEncoding::Auto,
        Some(label) => TextEncoding::Fixed(cxmap_logfile::encoding_from_label(label)?),
    };
    let options = ReadOptions {
        case_column: args.case.clone(),
        activity_column: args.activity.clone(),
        timestamp_column: args.timestamp.clone(),
        encoding,
        keep_activities: keep_activities.map(<[String]>::to_vec),
        ..ReadOptions::default()
    };
    let mut read = |progress: Option<&mut dyn FnMut(u64)>| match segment.as_deref_mut() {
        Some(segment) => {
            cxmap_logfile::read_path_with_segment(&args.log, &options, segment, progress)
        }
        None => cxmap_logfile::read_path(&args.log, &options, progress),
    };
    if !std::io::stderr().is_terminal() {
        return Ok(read(None)?);
    }
    let bar = crate::progress::reading(&args.log, &format!("reading {}", args.log.display()));
    let mut report = |n: u64| bar.set_position(n);
    let result = read(Some(&mut report));
    bar.finish_and_clear();
    Ok(result?)
}

fn json<W: Write, T: serde::Serialize>(out: &mut W, value: &T) -> Result<(), AnalyzeError> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Seconds as a short human duration (`45s`, `12.5m`, `3.2h`, `4.1d`).
fn human(seconds: f64) -> String {
    let s = seconds.abs();
    if s < 60.0 {
        format!("{seconds:.1}s")
    } else if s < 3600.0 {
        format!("{:.1}m", seconds / 60.0)
    } else if s < 86_400.0 {
        format!("{:.1}h", seconds / 3600.0)
    } else {
        format!("{:.1}d", seconds / 86_400.0)
    }
}

/// Display width in a terminal: East Asian wide characters (Hangul, CJK,
/// full-width forms) take two columns.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` left-aligned in `width` terminal columns.
fn cell(s: &str, width: usize) -> String {
    let pad = width.saturating_sub(display_width(s));
    format!("{s}{}", " ".repeat(pad))
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn text_dfg<W: Write>(out: &mut W, d: &analytics::Dfg) -> std::io::Result<()> {
    writeln!(
        out,
        "cases {}  events {}  activities {}  edges {}",
        d.cases,
        d.events,
        d.activities.len(),
        d.edges.len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<32} {:>10} {:>10} {:>10}",
        "activity", "events", "start", "end"
    )?;
    let mut acts: Vec<_> = d.activities.iter().collect();
    acts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (a, n) in acts {
        let s = d.start.get(a).copied().unwrap_or(0);
        let e = d.end.get(a).copied().unwrap_or(0);
        writeln!(out, "{} {n:>10} {s:>10} {e:>10}", cell(a, 32))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<32} {:<32} {:>10} {:>10}",
        "from", "to", "count", "mean"
    )?;
    for e in &d.edges {
        writeln!(
            out,
            "{} {} {:>10} {:>10}",
            cell(&e.from, 32),
            cell(&e.to, 32),
            e.count,
            human(e.mean_seconds)
        )?;
    }
    Ok(())
}

fn text_variants<W: Write>(out: &mut W, v: &analytics::Variants) -> std::io::Result<()> {
    writeln!(out, "cases {}", v.cases)?;
    writeln!(out, "{:>4} {:>10} {:>7}  activities", "#", "cases", "share")?;
    for (i, var) in v.variants.iter().enumerate() {
        writeln!(
            out,
            "{:>4} {:>10} {:>7}  {}",
            i + 1,
            var.count,
            pct(var.count, v.cases),
            var.activities.join(" → ")
        )?;
    }
    Ok(())
}

fn text_funnel<W: Write>(
    out: &mut W,
    f: &analytics::Funnel,
    window_ms: i64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "cases {}  window {}",
        f.cases,
        human(window_ms as f64 / 1000.0)
    )?;
    writeln!(
        out,
        "{:>4} {:<32} {:>10} {:>8} {:>10} {:>10} {:>12}",
        "step", "activity", "cases", "of all", "of prev", "drop-off", "median time"
    )?;
    for (i, s) in f.steps.iter().enumerate() {
        let conv = s
            .conversion
            .map(|c| format!("{:.1}%", c * 100.0))
            .unwrap_or_else(|| "-".into());
        let med = s
            .median_seconds_from_first
            .map(human)
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:>4} {} {:>10} {:>8} {:>10} {:>10} {:>12}",
            i + 1,
            cell(&s.activity, 32),
            s.cases,
            pct(s.cases, f.cases),
            conv,
            s.drop_off,
            med
        )?;
    }
    Ok(())
}

fn text_funnel_report<W: Write>(
    out: &mut W,
    report: &FunnelReport,
    window_ms: i64,
) -> std::io::Result<()> {
    text_funnel(out, &report.funnel, window_ms)?;
    for segment in report.segments.iter().flatten() {
        writeln!(out)?;
        writeln!(
            out,
            "segment {}",
            segment.segment.as_deref().unwrap_or("(none)")
        )?;
        text_funnel(out, &segment.funnel, window_ms)?;
    }
    Ok(())
}

fn text_bottlenecks<W: Write>(out: &mut W, b: &analytics::Bottlenecks) -> std::io::Result<()> {
    for (title, list) in [
        ("slowest by mean", &b.by_mean),
        ("slowest by median", &b.by_median),
    ] {
        writeln!(out, "{title}")?;
        writeln!(
            out,
            "{:<32} {:<32} {:>10} {:>10} {:>10} {:>10}",
            "from", "to", "count", "mean", "median", "max"
        )?;
        for e in list.iter() {
            writeln!(
                out,
                "{} {} {:>10} {:>10} {:>10} {:>10}",
                cell(&e.from, 32),
                cell(&e.to, 32),
                e.count,
                human(e.mean_seconds),
                human(e.median_seconds),
                human(e.max_seconds)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn text_conformance<W: Write>(out: &mut W, c: &analytics::Conformance) -> std::io::Result<()> {
    writeln!(
        out,
        "cases {}  fitness {:.3}  conforming {} ({})",
        c.cases,
        c.fitness,
        c.conforming_cases,
        pct(c.conforming_cases, c.cases)
    )?;
    writeln!(
        out,
        "{:<32} {:>10} {:>10} {:>12}",
        "designed step", "in order", "skipped", "out of order"
    )?;
    for s in &c.steps {
        writeln!(
            out,
            "{} {:>10} {:>10} {:>12}",
            cell(&s.activity, 32),
            s.in_order,
            s.skipped,
            s.out_of_order
        )?;
    }
    if !c.off_design_cases.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<32} {:>10} {:>10}",
            "not on the design", "cases", "events"
        )?;
        for (a, n) in &c.off_design_cases {
            let e = c.off_design_events.get(a).copied().unwrap_or(0);
            writeln!(out, "{} {n:>10} {e:>10}", cell(a, 32))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window_ms("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_window_ms("2w"), Ok(14 * 86_400_000));
        assert_eq!(parse_window_ms("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_window_ms("90m"), Ok(90 * 60_000));
        assert_eq!(parse_window_ms("45s"), Ok(45_000));
        assert_eq!(parse_window_ms("45"), Ok(45_000));
        assert_eq!(parse_window_ms("1.5h"), Ok(5_400_000));
        assert_eq!(parse_window_ms("250ms"), Ok(250));
        assert!(parse_window_ms("3y").is_err());
        assert!(parse_window_ms("d").is_err());
        assert!(parse_window_ms("-1d").is_err());
    }

    #[test]
    fn korean_cells_align_by_display_width() {
        assert_eq!(display_width("방문"), 4);
        assert_eq!(cell("방문", 6), "방문  ");
        assert_eq!(cell("visit", 6), "visit ");
        assert_eq!(cell("too long", 3), "too long");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(30.0), "30.0s");
        assert_eq!(human(90.0), "1.5m");
        assert_eq!(human(7200.0), "2.0h");
        assert_eq!(human(172_800.0), "2.0d");
    }
}
