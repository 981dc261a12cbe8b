//! Mapping observed event names (what a product or web tracker sends, e.g. "결제 시작") onto the
//! touchpoints of a journey map, so that event analytics speak the map's language.
//!
//! A journey has any number of [`MappingRule`]s. An [`EventMapper`] compiles them once and then
//! answers, for each event name, the touchpoint it belongs to. Precedence is fixed so that the
//! outcome never depends on the order rules were listed in: an exact rule wins over a prefix
//! rule, the longest matching prefix wins among prefixes, and regular expressions are tried
//! last, oldest rule first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{Journey, JourneyId, MappingRuleId, TouchpointId, ValidationError};

/// How a rule's pattern is compared with an event name.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole name equals the pattern.
    Exact,
    /// The name starts with the pattern.
    Prefix,
    /// The name matches the regular expression (Rust `regex` syntax, unanchored).
    Regex,
}

impl MatchKind {
    /// The stored spelling (`exact`, `prefix`, `regex`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Prefix => "prefix",
            Self::Regex => "regex",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "exact" => Ok(Self::Exact),
            "prefix" => Ok(Self::Prefix),
            "regex" => Ok(Self::Regex),
            other => Err(ValidationError::new(
                "kind",
                format!("unknown match kind {other:?}; use exact, prefix or regex"),
            )),
        }
    }
}

/// Event names matching `pattern` (compared as `kind` says) belong to `touchpoint_id`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRule {
    /// Its id.
    pub id: MappingRuleId,
    /// The journey whose touchpoint it points at.
    pub journey_id: JourneyId,
    /// How the pattern is compared.
    pub kind: MatchKind,
    /// The name, prefix or regular expression.
    pub pattern: String,
    /// The touchpoint the matching events belong to.
    pub touchpoint_id: TouchpointId,
    /// When it was made; regex rules are tried oldest first.
    pub created_at: DateTime<Utc>,
}

impl MappingRule {
    /// The longest pattern accepted, in characters.
    pub const MAX_PATTERN_CHARS: usize = 500;
    /// The largest compiled regular expression accepted, in bytes (guards against patterns
    /// that blow up in memory, e.g. `(a{1000}){1000}`).
    pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

    /// Checks the pattern (non-empty, bounded, a valid regex for regex rules) and that the
    /// touchpoint is on `journey`.
    pub fn validate(&self, journey: &Journey) -> Result<(), ValidationError> {
        if self.pattern.is_empty() {
            return Err(ValidationError::new("pattern", "must not be empty"));
        }
        if self.pattern.chars().count() > Self::MAX_PATTERN_CHARS {
            return Err(ValidationError::new(
                "pattern",
                format!("must be at most {} characters", Self::MAX_PATTERN_CHARS),
            ));
        }
        if self.kind == MatchKind::Regex {
            compile(&self.pattern)?;
        }
        if journey.touchpoint(self.touchpoint_id).is_none() {
            return Err(ValidationError::new(
                "touchpoint_id",
                format!(
                    "touchpoint {} is not on journey {}",
                    self.touchpoint_id, journey.id
                ),
            ));
        }
        Ok(())
    }
}

fn compile(pattern: &str) -> Result<Regex, ValidationError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(MappingRule::REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ValidationError::new("pattern", format!("invalid regular expression: {e}")))
}

/// The compiled rules of one journey.
#[derive(Debug, Clone, Default)]
pub struct EventMapper {
    exact: HashMap<String, TouchpointId>,
    /// Longest prefix first.
    prefixes: Vec<(String, TouchpointId)>,
    /// Oldest rule first.
    regexes: Vec<(Regex, TouchpointId)>,
}

impl EventMapper {
    /// Compiles `rules`. Rules whose touchpoint is no longer on `journey` (it was deleted after
    /// the rule was made) or whose regex does not compile are left out.
    pub fn new(journey: &Journey, rules: &[MappingRule]) -> Self {
        let mut rules: Vec<&MappingRule> = rules
            .iter()
            .filter(|r| journey.touchpoint(r.touchpoint_id).is_some())
            .collect();
        rules.sort_by_key(|r| (r.created_at, r.id));
        let mut mapper = Self::default();
        for rule in rules {
            match rule.kind {
                MatchKind::Exact => {
                    mapper
                        .exact
                        .entry(rule.pattern.clone())
                        .or_insert(rule.touchpoint_id);
                }
                MatchKind::Prefix => mapper
                    .prefixes
                    .push((rule.pattern.clone(), rule.touchpoint_id)),
                MatchKind::Regex => {
                    if let Ok(re) = compile(&rule.pattern) {
                        mapper.regexes.push((re, rule.touchpoint_id));
                    }
                }
            }
        }
        // Stable: among equally long prefixes the older rule stays first.
        mapper
            .prefixes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        mapper
    }

    /// True when there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty() && self.regexes.is_empty()
    }

    /// The touchpoint an event name belongs to, if any rule matches.
    pub fn touchpoint_of(&self, event: &str) -> Option<TouchpointId> {
        if let Some(id) = self.exact.get(event) {
            return Some(*id);
        }
        if let Some((_, id)) = self.prefixes.iter().find(|(p, _)| event.starts_with(p)) {
            return Some(*id);
        }
        self.regexes
            .iter()
            .find(|(re, _)| re.is_match(event))
            .map(|(_, id)| *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ProjectId, templates};

    fn rule(journey: &Journey, kind: MatchKind, pattern: &str, tp: usize, age: i64) -> MappingRule {
        let touchpoint_id = journey
            .touchpoints()
            .nth(tp)
            .map(|(_, t)| t.id)
            .unwrap_or_default();
        MappingRule {
            id: MappingRuleId::new(),
            journey_id: journey.id,
            kind,
            pattern: pattern.to_owned(),
            touchpoint_id,
            created_at: DateTime::<Utc>::from_timestamp(1_700_000_000 + age, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn exact_beats_prefix_beats_regex_and_longest_prefix_wins() {
        let j = templates::retail_online_shopping(ProjectId::new(), crate::now());
        let tp = |i: usize| j.touchpoints().nth(i).map(|(_, t)| t.id);
        let rules = vec![
            rule(&j, MatchKind::Regex, "결제", 0, 0),
            rule(&j, MatchKind::Prefix, "결제", 1, 1),
            rule(&j, MatchKind::Prefix, "결제 완", 2, 2),
            rule(&j, MatchKind::Exact, "결제 완료", 3, 3),
            rule(&j, MatchKind::Regex, "^(광고|배너) 클릭$", 4, 4),
        ];
        for r in &rules {
            assert!(r.validate(&j).is_ok());
        }
        let m = EventMapper::new(&j, &rules);
        assert_eq!(m.touchpoint_of("결제 완료"), tp(3));
        assert_eq!(m.touchpoint_of("결제 완료됨"), tp(2));
        assert_eq!(m.touchpoint_of("결제 시작"), tp(1));
        assert_eq!(m.touchpoint_of("간편결제"), tp(0));
        assert_eq!(m.touchpoint_of("배너 클릭"), tp(4));
        assert_eq!(m.touchpoint_of("검색"), None);
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        let j = templates::retail_online_shopping(ProjectId::new(), crate::now());
        let mut r = rule(&j, MatchKind::Regex, "(unclosed", 0, 0);
        assert_eq!(r.validate(&j).unwrap_err().field, "pattern");
        r.pattern = String::new();
        assert_eq!(r.validate(&j).unwrap_err().field, "pattern");
        r.kind = MatchKind::Exact;
        r.pattern = "x".into();
        r.touchpoint_id = TouchpointId::new();
        assert_eq!(r.validate(&j).unwrap_err().field, "touchpoint_id");
        assert!(MatchKind::parse("glob").is_err());
    }
}
