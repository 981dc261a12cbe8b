//! The journey file round-trips exactly and reports bad input precisely.
#![allow(clippy::unwrap_used)] // proptest strategies are closures outside #[test]

use chrono::{TimeZone, Utc};
use cxmap_domain::file::{self, FileError};
use cxmap_domain::*;
use proptest::prelude::*;

fn arb_text() -> impl Strategy<Value = Text> {
    "[a-z가-힣 ,.!?\n\"\\\\]{0,24}".prop_map(|s| Text::parse(s).unwrap())
}

fn arb_title() -> impl Strategy<Value = Title> {
    "[A-Za-z가-힣][A-Za-z0-9가-힣 /&]{0,20}".prop_map(|s| Title::parse(s).unwrap())
}

fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        arb_title(),
        arb_text(),
        -2i64..=2,
        proptest::collection::vec(arb_text(), 0..3),
        any::<bool>(),
        proptest::option::of(-1e9f64..1e9),
        0..3usize,
    )
        .prop_map(|(name, channel, emotion, pains, mot, target, cat)| {
            let mut tp = Touchpoint::named(name.clone());
            tp.channel = channel;
            tp.emotion = Emotion::parse(emotion).unwrap();
            tp.pain_points = pains;
            tp.moment_of_truth = mot;
            tp.category = [
                TouchpointCategory::Digital,
                TouchpointCategory::Human,
                TouchpointCategory::Physical,
            ][cat];
            tp.kpis = vec![Kpi {
                name,
                unit: Text::default(),
                target,
                benchmark: None,
            }];
            tp
        })
}

fn arb_journey() -> impl Strategy<Value = Journey> {
    (
        arb_title(),
        arb_text(),
        proptest::collection::vec(
            (
                arb_title(),
                proptest::collection::vec(arb_touchpoint(), 0..4),
            ),
            0..5,
        ),
        0i64..4_000_000_000,
        0u32..1_000_000_000,
    )
        .prop_map(|(title, goal, stages, secs, nanos)| {
            let now = Utc.timestamp_opt(secs, nanos).unwrap();
            let mut j = Journey::new(ProjectId::new(), title, now);
            j.goal = goal;
            j.stages = stages
                .into_iter()
                .map(|(name, tps)| {
                    let mut s = Stage::named(name);
                    s.touchpoints = tps;
                    s
                })
                .collect();
            j
        })
}

proptest! {
    #[test]
    fn export_import_export_is_byte_identical(journey in arb_journey()) {
        let first = file::to_string(&journey);
        let parsed = file::parse(&first).unwrap();
        prop_assert_eq!(&parsed, &journey);
        prop_assert_eq!(file::to_string(&parsed), first);
    }
}

fn sample_file() -> String {
    file::to_string(&templates::retail_online_shopping(
        ProjectId::new(),
        Utc::now(),
    ))
}

#[test]
fn a_bad_field_is_named_with_its_line() {
    let text = sample_file().replacen("\"emotion\": 1", "\"emotion\": 9", 1);
    match file::parse(&text) {
        Err(FileError::Syntax {
            line,
            path: Some(path),
            message,
            ..
        }) => {
            assert!(path.ends_with("emotion"), "{path}");
            assert!(
                path.starts_with("journey.stages[0].touchpoints[0]"),
                "{path}"
            );
            assert!(line > 1);
            assert!(message.contains("between -2 and 2"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn newer_versions_and_other_formats_are_refused() {
    let text = sample_file().replacen("\"version\": 1", "\"version\": 7", 1);
    let err = file::parse(&text).unwrap_err();
    assert!(matches!(err, FileError::UnsupportedVersion { found: 7 }));
    assert!(err.to_string().contains("upgrade cxmap"));
    let text = sample_file().replacen("cxmap.journey", "something.else", 1);
    assert!(matches!(file::parse(&text), Err(FileError::WrongFormat(_))));
}

#[test]
fn truncated_json_reports_a_position() {
    let text = sample_file();
    let cut = &text[..text.len() / 2];
    match file::parse(cut) {
        Err(FileError::Syntax { line, .. }) => assert!(line > 1),
        other => panic!("unexpected {other:?}"),
    }
}
