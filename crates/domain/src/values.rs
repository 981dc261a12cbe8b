//! Bounded values. Each is built only through `parse`/`TryFrom`, so holding one proves it valid.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a value was refused. `field` names the offending field as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field path, e.g. `stages[2].touchpoints[0].emotion`.
    pub field: String,
    /// A human-readable reason.
    pub message: String,
}

impl ValidationError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error under a parent path (`parent.field`).
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        Self { field, ..self }
    }
}

/// A short, non-empty, single-line name (1–200 characters after trimming).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl Title {
    /// The longest title accepted, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Parses a title: trims it, refuses empty, over-long or multi-line text.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, ValidationError> {
        let trimmed = raw.as_ref().trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ValidationError::new("", "must be a single line"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The title text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Title {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Title> for String {
    fn from(value: Title) -> Self {
        value.0
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text (descriptions, notes, list items): at most 10,000 characters, may be empty.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    /// The longest text accepted, in characters.
    pub const MAX_CHARS: usize = 10_000;

    /// Parses free text; refuses over-long text and NUL characters (PostgreSQL cannot store them).
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValidationError> {
        let raw = raw.into();
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if raw.contains('\0') {
            return Err(ValidationError::new("", "must not contain NUL characters"));
        }
        Ok(Self(raw))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when there is no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for Text {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! bounded_int {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i8);

        impl $name {
            /// The smallest value.
            pub const MIN: i8 = $min;
            /// The largest value.
            pub const MAX: i8 = $max;

            /// Parses a value, refusing anything outside the range.
            pub fn parse(value: i64) -> Result<Self, ValidationError> {
                if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&value) {
                    // The range check above makes the narrowing lossless.
                    Ok(Self(value as i8))
                } else {
                    Err(ValidationError::new(
                        "",
                        format!("must be between {} and {}", Self::MIN, Self::MAX),
                    ))
                }
            }

            /// The value.
            pub const fn get(self) -> i8 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ValidationError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                i64::from(value.0)
            }
        }
    };
}

bounded_int!(
    /// A designed emotion on the −2 (very negative) … +2 (very positive) scale.
    Emotion, -2, 2
);
bounded_int!(
    /// A 1 (low) … 5 (high) rating used for impact and effort of opportunities.
    Level, 1, 5
);

// Neutral; written out because the macro derives the same traits for every bounded type.
#[allow(clippy::derivable_impls)]
impl Default for Emotion {
    fn default() -> Self {
        Self(0)
    }
}

impl Default for Level {
    fn default() -> Self {
        Self(3)
    }
}

/// A URL-safe short code for links: 1–64 characters of `A–Z a–z 0–9 - _`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses a slug.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, ValidationError> {
        let raw = raw.as_ref();
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "",
                "must be 1-64 characters of letters, digits, '-' or '_'",
            ))
        }
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, normalised to lower case. Checks shape only; delivery proves the rest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address of the form `local@domain.tld`.
    pub fn parse(raw: impl AsRef<str>) -> Result<Self, ValidationError> {
        let raw = raw.as_ref().trim();
        let invalid =
            || ValidationError::new("", "must be an e-mail address like name@example.com");
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let shape_ok = !local.is_empty()
            && local.len() <= 64
            && raw.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if shape_ok {
            Ok(Self(raw.to_lowercase()))
        } else {
            Err(invalid())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The optimistic-concurrency version of a journey; every accepted change increments it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Version(pub i64);

impl Version {
    /// The version after one more change.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emotion_accepts_only_minus_two_to_two() {
        for v in -2..=2 {
            assert_eq!(Emotion::parse(v).unwrap().get(), v as i8);
        }
        assert!(Emotion::parse(3).is_err());
        assert!(Emotion::parse(-3).is_err());
        assert!(serde_json::from_str::<Emotion>("5").is_err());
        assert_eq!(serde_json::from_str::<Emotion>("-1").unwrap().get(), -1);
    }

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(Title::parse("  결제  ").unwrap().as_str(), "결제");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse("a\nb").is_err());
        assert!(Title::parse("가".repeat(201)).is_err());
        assert!(Title::parse("가".repeat(200)).is_ok());
    }

    #[test]
    fn slug_rejects_unsafe_characters() {
        assert!(Slug::parse("spring-sale_2026").is_ok());
        for bad in ["", "a/b", "../x", "한글", "a b", &"x".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse(" Kim@Example.COM ").unwrap().as_str(),
            "kim@example.com"
        );
        for bad in [
            "",
            "kim",
            "kim@",
            "@x.com",
            "kim@localhost",
            "a b@x.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_error_paths_nest() {
        let e = ValidationError::new("emotion", "bad")
            .under("touchpoints[1]")
            .under("stages[0]");
        assert_eq!(e.field, "stages[0].touchpoints[1].emotion");
    }
}
