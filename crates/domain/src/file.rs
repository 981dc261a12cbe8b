//! The journey file format: what `cxmap export` writes and `cxmap import` reads.
//!
//! ```json
//! {"format": "cxmap.journey", "version": 1, "journey": { … }}
//! ```
//! The file carries every id and timestamp, so export → import → export gives the same bytes.
//! Newer format versions are refused with a clear message instead of being half-read.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::journey::Journey;
use crate::values::ValidationError;

/// The value of the `format` field.
pub const FORMAT: &str = "cxmap.journey";
/// The newest format version this build reads and the one it writes.
pub const VERSION: u32 = 1;

/// Why a journey file could not be read.
#[derive(Debug, Error)]
pub enum FileError {
    /// Not JSON, or JSON of the wrong shape; `path` names the field when one is to blame.
    #[error("line {line}, column {column}{}: {message}", path.as_deref().map(|p| format!(", field `{p}`")).unwrap_or_default())]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The field path, e.g. `journey.stages[1].touchpoints[0].emotion`.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The `format` field is not `cxmap.journey`.
    #[error("not a cxmap journey file (format is {0:?}, expected {FORMAT:?})")]
    WrongFormat(String),
    /// Written by a newer cxmap.
    #[error(
        "journey file version {found} is newer than this cxmap supports ({VERSION}); upgrade cxmap"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
    },
    /// Well-formed but breaks an invariant of the journey.
    #[error("field `journey.{}`: {}", .0.field, .0.message)]
    Invalid(ValidationError),
}

#[derive(Serialize, Deserialize)]
struct Envelope<J> {
    format: String,
    version: u32,
    journey: J,
}

#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// Writes a journey as a pretty-printed file.
pub fn to_string(journey: &Journey) -> String {
    let envelope = Envelope {
        format: FORMAT.to_owned(),
        version: VERSION,
        journey,
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(&envelope).unwrap_or_default() + "\n"
}

/// Reads a journey file, checking the format, version, every field and the journey invariants.
pub fn parse(text: &str) -> Result<Journey, FileError> {
    let header: Header = deserialize(text)?;
    if header.format != FORMAT {
        return Err(FileError::WrongFormat(header.format));
    }
    if header.version > VERSION {
        return Err(FileError::UnsupportedVersion {
            found: header.version,
        });
    }
    let envelope: Envelope<Journey> = deserialize(text)?;
    envelope.journey.validate().map_err(FileError::Invalid)?;
    Ok(envelope.journey)
}

fn deserialize<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, FileError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        FileError::Syntax {
            line: inner.line(),
            column: inner.column(),
            path: (path != "." && !path.is_empty()).then_some(path),
            message: inner
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    })
}
