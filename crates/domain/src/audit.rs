//! The touchpoint audit: one row per touchpoint with everything a CX lead inventories.

use crate::journey::{Journey, TouchpointCategory};

/// One line of the audit table.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    /// 1-based position of the stage.
    pub stage_no: usize,
    /// Stage name.
    pub stage: String,
    /// Touchpoint name.
    pub touchpoint: String,
    /// Channel.
    pub channel: String,
    /// Digital, human or physical.
    pub category: TouchpointCategory,
    /// Owner.
    pub owner: String,
    /// Designed emotion.
    pub emotion: i8,
    /// Moment of truth.
    pub moment_of_truth: bool,
    /// Core experience.
    pub core_experience: bool,
    /// Pain points, joined with " | ".
    pub pain_points: String,
    /// Gain points, joined with " | ".
    pub gain_points: String,
    /// KPIs as "name: target (benchmark)".
    pub kpis: String,
    /// The touchpoint id.
    pub id: String,
}

/// The audit rows of a journey, in map order.
pub fn rows(journey: &Journey) -> Vec<AuditRow> {
    let join = |items: &[crate::values::Text]| {
        items
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    journey
        .stages
        .iter()
        .enumerate()
        .flat_map(|(si, stage)| {
            stage.touchpoints.iter().map(move |tp| AuditRow {
                stage_no: si + 1,
                stage: stage.name.to_string(),
                touchpoint: tp.name.to_string(),
                channel: tp.channel.to_string(),
                category: tp.category,
                owner: tp.owner.to_string(),
                emotion: tp.emotion.get(),
                moment_of_truth: tp.moment_of_truth,
                core_experience: tp.core_experience,
                pain_points: join(&tp.pain_points),
                gain_points: join(&tp.gain_points),
                kpis: tp
                    .kpis
                    .iter()
                    .map(|k| {
                        let num =
                            |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                        format!(
                            "{}: {}{} ({})",
                            k.name,
                            num(k.target),
                            k.unit,
                            num(k.benchmark)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" | "),
                id: tp.id.to_string(),
            })
        })
        .collect()
}

/// The header of the CSV export.
pub const CSV_HEADER: [&str; 13] = [
    "stage_no",
    "stage",
    "touchpoint",
    "channel",
    "category",
    "owner",
    "emotion",
    "moment_of_truth",
    "core_experience",
    "pain_points",
    "gain_points",
    "kpis",
    "touchpoint_id",
];

/// RFC 4180 quoting; cells that a spreadsheet would run as a formula are prefixed with `'`.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The audit table as CSV: UTF-8 with a byte-order mark so spreadsheet apps read Korean.
pub fn to_csv(journey: &Journey) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&CSV_HEADER.join(","));
    out.push_str("\r\n");
    for row in rows(journey) {
        let category = match row.category {
            TouchpointCategory::Digital => "digital",
            TouchpointCategory::Human => "human",
            TouchpointCategory::Physical => "physical",
        };
        let cells = [
            row.stage_no.to_string(),
            row.stage,
            row.touchpoint,
            row.channel,
            category.to_owned(),
            row.owner,
            row.emotion.to_string(),
            row.moment_of_truth.to_string(),
            row.core_experience.to_string(),
            row.pain_points,
            row.gain_points,
            row.kpis,
            row.id,
        ];
        out.push_str(&cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProjectId;

    #[test]
    fn csv_has_one_row_per_touchpoint_and_quotes_safely() {
        let mut j = crate::templates::retail_online_shopping(ProjectId::new(), chrono::Utc::now());
        j.stages[0].touchpoints[0].owner = crate::values::Text::parse("=HYPERLINK(\"x\")").unwrap();
        let csv = to_csv(&j);
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<_> = csv.trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 1 + j.touchpoints().count());
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "{}",
            lines[1]
        );
        assert!(csv.contains("모바일 결제"));
    }
}
