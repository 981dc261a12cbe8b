//! # cxmap-logfile — event-log files into [`EventLog`]s
//!
//! Streaming readers for CSV (header row, configurable column names), XES and
//! gzip-compressed XES (or CSV). Files are read in bounded buffers, never
//! loaded whole; every event goes straight into an
//! [`EventLogBuilder`](cxmap_analytics::EventLogBuilder) which interns case
//! ids and activities.
//!
//! - **Format** is detected from the content: Parquet's `PAR1` magic, gzip
//!   magic bytes, then `<` (XES) or anything else (CSV), unless
//!   [`ReadOptions::format`] says otherwise. Parquet: see the `parquet` module
//!   docs (string/integer case ids, string activities, timestamp columns).
//! - **Encoding** (CSV): UTF-8 with or without BOM; when the bytes are not
//!   valid UTF-8 and no non-ASCII UTF-8 was seen before, CP949/EUC-KR is
//!   assumed; or an explicit label ([`encoding_from_label`]). XES is XML and
//!   declares its own encoding.
//! - **Timestamps**: see [`parse_timestamp_ms`].
//! - **Errors** name the line (CSV) or byte offset (XES) and the field.
//! - **Segments**: [`read_path_with_segment`] also collects one column per
//!   case ([`CaseAttribute`]), for funnels split by channel or persona.

mod attribute;
mod csvlog;
mod fastcsv;
mod io;
mod keep;
mod parquet;
mod parquet_pages;
mod timestamp;
mod xes;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

pub use attribute::CaseAttribute;
use cxmap_analytics::EventLog;
pub use encoding_rs::Encoding;

pub use timestamp::parse_timestamp_ms;

/// Default limit for one CSV line or one XES element: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// The file formats the reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// IEEE 1849 eXtensible Event Stream (XML), optionally gzip-compressed.
    Xes,
    /// Apache Parquet (detected by its `PAR1` magic bytes).
    Parquet,
}

/// How CSV bytes are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 (BOM optional); switch to CP949 when the bytes are not UTF-8.
    #[default]
    Auto,
    /// Exactly this encoding (must be ASCII-compatible).
    Fixed(&'static Encoding),
}

/// Options for reading a log file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// CSV column with the case id.
    pub case_column: String,
    /// CSV column with the activity name.
    pub activity_column: String,
    /// CSV column with the timestamp.
    pub timestamp_column: String,
    /// CSV text encoding.
    pub encoding: TextEncoding,
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// Longest accepted CSV line (bytes).
    pub max_line_bytes: usize,
    /// CSV field delimiter.
    pub delimiter: u8,
    /// Plain CSV files at least this large are parsed in parallel byte ranges.
    pub parallel_min_bytes: u64,
    /// Threads for parallel parsing; 0 = one per available core (at most 8).
    pub threads: usize,
    /// When set, events of other activities may be dropped while reading:
    /// their cases are still counted (a case can end up with no events) and
    /// their case id checked, but their timestamps are not parsed. For
    /// analyses that look at a few activities only (funnels). The parallel
    /// CSV path and Parquet drop them; other readers keep every event.
    pub keep_activities: Option<Vec<String>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            case_column: "case_id".to_owned(),
            activity_column: "activity".to_owned(),
            timestamp_column: "timestamp".to_owned(),
            encoding: TextEncoding::Auto,
            format: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            delimiter: b',',
            parallel_min_bytes: 32 << 20,
            threads: 0,
            keep_activities: None,
        }
    }
}

/// Everything that can go wrong reading a log file.
#[derive(Debug, thiserror::Error)]
pub enum LogFileError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The gzip stream is corrupt or truncated.
    #[error("unreadable gzip data: {0}")]
    Gzip(#[source] std::io::Error),
    /// A required column is not in the CSV header or the Parquet schema.
    #[error("missing column `{column}` (the file has: {found})")]
    MissingColumn {
        /// The column that was asked for.
        column: String,
        /// The header's columns, comma-separated.
        found: String,
    },
    /// A CSV row has fewer fields than the header names.
    #[error("line {line}: no value for `{field}`")]
    MissingField {
        /// 1-based line number.
        line: u64,
        /// The column.
        field: String,
    },
    /// A case id is empty.
    #[error("line {line}: empty case id in `{field}`")]
    EmptyCaseId {
        /// 1-based line (CSV) or byte offset (XES, see `Xes`).
        line: u64,
        /// The column or XES attribute.
        field: String,
    },
    /// A timestamp is not in an accepted shape.
    #[error("line {line}: bad timestamp {value:?} in `{field}`")]
    BadTimestamp {
        /// 1-based line number.
        line: u64,
        /// The column.
        field: String,
        /// The offending text (cut to 100 characters).
        value: String,
    },
    /// A line is longer than [`ReadOptions::max_line_bytes`].
    #[error("line {line} is longer than {limit} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// Bytes that are not valid text in the chosen encoding.
    #[error("line {line}: `{field}` is not valid {encoding} text (try --encoding)")]
    BadText {
        /// 1-based line number.
        line: u64,
        /// The column.
        field: String,
        /// The encoding's name.
        encoding: &'static str,
    },
    /// Malformed CSV (e.g. an unterminated quote).
    #[error("line {line}: {message}")]
    Csv {
        /// 1-based line number.
        line: u64,
        /// What the CSV parser said.
        message: String,
    },
    /// Malformed XES, or an XES element without a required attribute.
    #[error("XES at byte {position}: {message}")]
    Xes {
        /// Byte offset in the (decompressed) XML.
        position: u64,
        /// What is wrong, naming the element/attribute.
        message: String,
    },
    /// A Parquet file that cannot be read (corrupt, or an unsupported
    /// compression or encoding).
    #[error("unreadable Parquet file: {0}")]
    Parquet(String),
    /// A Parquet column has a type the reader cannot use for its role.
    #[error("column `{column}` has type {found}; expected {expected}")]
    ColumnType {
        /// The column.
        column: String,
        /// Its type in the file.
        found: String,
        /// What the reader accepts.
        expected: &'static str,
    },
    /// A bad value in a Parquet row.
    #[error("row {row}: `{column}` {message}")]
    ParquetValue {
        /// 1-based row number.
        row: u64,
        /// The column.
        column: String,
        /// What is wrong with the value.
        message: String,
    },
    /// An unknown or unsupported encoding label.
    #[error(
        "unsupported encoding {0:?} (use utf-8, cp949/euc-kr or another ASCII-compatible WHATWG label)"
    )]
    UnknownEncoding(String),
    /// Too many distinct cases or activities.
    #[error(transparent)]
    Build(#[from] cxmap_analytics::BuildError),
}

/// Resolves an encoding label: WHATWG labels (`utf-8`, `euc-kr`,
/// `windows-949`, `shift_jis`, …) plus `cp949`/`uhc` for Korean Windows
/// files. Only ASCII-compatible encodings are accepted (CSV syntax is ASCII).
pub fn encoding_from_label(label: &str) -> Result<&'static Encoding, LogFileError> {
    let l = label.trim().to_ascii_lowercase();
    let l = match l.as_str() {
        "cp949" | "ms949" | "uhc" | "euckr" => "euc-kr",
        "utf8" => "utf-8",
        other => other,
    };
    match Encoding::for_label(l.as_bytes()) {
        Some(e) if e.is_ascii_compatible() => Ok(e),
        _ => Err(LogFileError::UnknownEncoding(label.to_owned())),
    }
}

/// Reads a log file from disk. `progress`, if given, is called with the
/// number of bytes read from the file so far (compressed bytes for gzip).
pub fn read_path(
    path: &Path,
    options: &ReadOptions,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    read_path_collecting(path, options, None, progress)
}

/// Reads a log file as [`read_path`] does and collects `segment`'s column (CSV, Parquet) or
/// attribute (XES) per case. A missing CSV or Parquet column is an error; an XES attribute
/// that no trace or event has leaves every case without a value. A plain CSV or Parquet file
/// is read a second time, by one thread and for the segment only.
pub fn read_path_with_segment(
    path: &Path,
    options: &ReadOptions,
    segment: &mut CaseAttribute,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    read_path_collecting(path, options, Some(segment), progress)
}

fn read_path_collecting(
    path: &Path,
    options: &ReadOptions,
    segment: Option<&mut CaseAttribute>,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    let named = |source| LogFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = File::open(path).map_err(named)?;
    let meta = file.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let mut head = [0u8; 4096];
    let n = std::io::Read::read(&mut file, &mut head).unwrap_or(0);
    let head = head.get(..n).unwrap_or(&[]);
    let name_io_errors = |result: Result<EventLog, LogFileError>| {
        result.map_err(|e| match e {
            LogFileError::Io { source, .. } => named(source),
            other => other,
        })
    };
    if !meta.is_some_and(|m| m.is_file()) {
        // A pipe or a device (`/dev/stdin`, a shell's `<(zcat log.csv.gz)`) cannot be opened
        // again from its start, so reading goes on from the bytes already taken.
        let stream = std::io::Cursor::new(head.to_vec()).chain(file);
        return name_io_errors(read_collecting(stream, size, options, segment, progress));
    }
    let is_parquet = match options.format {
        Some(f) => f == Format::Parquet,
        None => head.starts_with(PARQUET_MAGIC),
    };
    if is_parquet {
        drop(file);
        let open = || File::open(path).map_err(named);
        let log = parquet::read_parquet(open, options, progress)?;
        if let Some(segment) = segment {
            parquet::read_case_attribute(open()?, options, segment)?;
        }
        return Ok(log);
    }
    let plain_csv = match options.format {
        Some(f) => f == Format::Csv && !head.starts_with(&[0x1f, 0x8b]),
        None => !head.starts_with(&[0x1f, 0x8b]) && sniff(head) == Format::Csv,
    };
    if plain_csv {
        drop(file);
        let log = csvlog::read_csv_file(path, size, options, progress)?;
        if let Some(segment) = segment {
            csvlog::read_csv_segment(path, options, segment)?;
        }
        return Ok(log);
    }
    file.rewind().map_err(named)?;
    name_io_errors(read_collecting(file, size, options, segment, progress))
}

/// Reads a log from any byte stream. `size_hint` (bytes, 0 if unknown) only
/// pre-sizes buffers.
pub fn read<R: Read>(
    input: R,
    size_hint: u64,
    options: &ReadOptions,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    read_collecting(input, size_hint, options, None, progress)
}

fn read_collecting<R: Read>(
    input: R,
    size_hint: u64,
    options: &ReadOptions,
    segment: Option<&mut CaseAttribute>,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    let counted = io::Progress::new(input, progress);
    let mut raw = BufReader::with_capacity(1 << 20, counted);
    let head = raw.fill_buf().map_err(io_err)?;
    if options.format == Some(Format::Parquet)
        || (options.format.is_none() && head.starts_with(PARQUET_MAGIC))
    {
        // Parquet needs random access (the footer first): hold the bytes.
        let mut bytes = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
        raw.read_to_end(&mut bytes).map_err(io_err)?;
        let bytes = ::bytes::Bytes::from(bytes);
        let log = parquet::read_parquet(|| Ok(bytes.clone()), options, None)?;
        if let Some(segment) = segment {
            parquet::read_case_attribute(bytes, options, segment)?;
        }
        return Ok(log);
    }
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if gzip {
        let decoder = flate2::bufread::MultiGzDecoder::new(raw);
        let mut text = BufReader::with_capacity(1 << 20, decoder);
        let format = match options.format {
            Some(f) => f,
            None => sniff(text.fill_buf().map_err(LogFileError::Gzip)?),
        };
        // Compressed logs expand ~10×; guess the event count from that.
        let hint = size_hint.saturating_mul(10);
        match format {
            Format::Xes => xes::read_xes(text, true, segment),
            Format::Csv => csvlog::read_csv(text, hint, options, true, segment),
            Format::Parquet => Err(LogFileError::Parquet(
                "a gzip-compressed Parquet file is not supported (Parquet compresses its own pages)"
                    .into(),
            )),
        }
    } else {
        let format = match options.format {
            Some(f) => f,
            None => sniff(head),
        };
        match format {
            Format::Xes => xes::read_xes(raw, false, segment),
            Format::Csv => csvlog::read_csv(raw, size_hint, options, false, segment),
            Format::Parquet => Err(LogFileError::Parquet("no Parquet magic bytes".into())),
        }
    }
}

/// The first (and last) four bytes of a Parquet file.
const PARQUET_MAGIC: &[u8] = b"PAR1";

/// XES when the first non-blank character (after a BOM) is `<`.
fn sniff(head: &[u8]) -> Format {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Format::Xes,
        _ => Format::Csv,
    }
}

fn io_err(source: std::io::Error) -> LogFileError {
    LogFileError::Io {
        path: String::new(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_labels() {
        assert_eq!(encoding_from_label("CP949").unwrap(), encoding_rs::EUC_KR);
        assert_eq!(encoding_from_label("euc-kr").unwrap(), encoding_rs::EUC_KR);
        assert_eq!(encoding_from_label("utf8").unwrap(), encoding_rs::UTF_8);
        assert!(matches!(
            encoding_from_label("utf-16le"),
            Err(LogFileError::UnknownEncoding(_))
        ));
        assert!(encoding_from_label("klingon").is_err());
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xEF\xBB\xBF  <?xml"), Format::Xes);
        assert_eq!(sniff(b"case_id,activity"), Format::Csv);
        assert_eq!(sniff(b""), Format::Csv);
    }
}
