//! CSV event logs: `csv::ByteRecord` streaming, fields decoded per record.

use std::borrow::Cow;
use std::io::BufRead;

use cxmap_analytics::{EventLog, EventLogBuilder};
use encoding_rs::{EUC_KR, Encoding, UTF_8};

use crate::attribute::CaseAttribute;
use crate::io::{LineLimit, LineTooLong};
use crate::timestamp::parse_timestamp_ms;
use crate::{LogFileError, ReadOptions, TextEncoding};

/// Field decoding state.
pub(crate) enum Decoder {
    /// UTF-8; `auto` may switch to CP949 while only ASCII has been seen.
    Utf8 { auto: bool, seen_non_ascii: bool },
    /// A fixed ASCII-compatible legacy encoding.
    Legacy(&'static Encoding),
}

impl Decoder {
    /// True when text is read as UTF-8 (so a block that validates as UTF-8
    /// can be sliced directly).
    pub(crate) fn is_utf8(&self) -> bool {
        matches!(self, Decoder::Utf8 { .. })
    }

    /// Records that a whole block validated as UTF-8.
    pub(crate) fn saw_utf8(&mut self, non_ascii: bool) {
        if let Decoder::Utf8 { seen_non_ascii, .. } = self {
            *seen_non_ascii |= non_ascii;
        }
    }

    /// Whether two chunks decoded independently agree on the encoding.
    pub(crate) fn compatible(&self, other: &Decoder) -> bool {
        match (self, other) {
            (Decoder::Legacy(a), Decoder::Legacy(b)) => a == b,
            (
                Decoder::Legacy(_),
                Decoder::Utf8 {
                    seen_non_ascii,
                    auto,
                },
            )
            | (
                Decoder::Utf8 {
                    seen_non_ascii,
                    auto,
                },
                Decoder::Legacy(_),
            ) => *auto && !*seen_non_ascii,
            (Decoder::Utf8 { .. }, Decoder::Utf8 { .. }) => true,
        }
    }

    pub(crate) fn new(choice: TextEncoding) -> Self {
        match choice {
            TextEncoding::Auto => Decoder::Utf8 {
                auto: true,
                seen_non_ascii: false,
            },
            TextEncoding::Fixed(e) if e == UTF_8 => Decoder::Utf8 {
                auto: false,
                seen_non_ascii: false,
            },
            TextEncoding::Fixed(e) => Decoder::Legacy(e),
        }
    }

    #[inline]
    pub(crate) fn decode<'a>(
        &mut self,
        bytes: &'a [u8],
        line: u64,
        field: &str,
    ) -> Result<Cow<'a, str>, LogFileError> {
        if let Decoder::Utf8 {
            auto,
            seen_non_ascii,
        } = self
        {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    if !*seen_non_ascii && !s.is_ascii() {
                        *seen_non_ascii = true;
                    }
                    return Ok(Cow::Borrowed(s));
                }
                Err(_) if *auto && !*seen_non_ascii => *self = Decoder::Legacy(EUC_KR),
                Err(_) => {
                    return Err(LogFileError::BadText {
                        line,
                        field: field.to_owned(),
                        encoding: "UTF-8",
                    });
                }
            }
        }
        match self {
            Decoder::Legacy(e) => e
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| LogFileError::BadText {
                    line,
                    field: field.to_owned(),
                    encoding: e.name(),
                }),
            Decoder::Utf8 { .. } => Err(LogFileError::BadText {
                line,
                field: field.to_owned(),
                encoding: "UTF-8",
            }),
        }
    }
}

fn map_csv_error(e: csv::Error, limit: usize, gzip: bool) -> LogFileError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            if let Some(t) = io.get_ref().and_then(|x| x.downcast_ref::<LineTooLong>()) {
                LogFileError::LineTooLong {
                    line: t.line,
                    limit,
                }
            } else if gzip {
                LogFileError::Gzip(io)
            } else {
                LogFileError::Io {
                    path: String::new(),
                    source: io,
                }
            }
        }
        other => LogFileError::Csv {
            line,
            message: format!("{other:?}"),
        },
    }
}

/// The header's names, decoded and trimmed; a UTF-8 byte-order mark before the first is dropped.
fn header_names(
    header: &csv::ByteRecord,
    decoder: &mut Decoder,
) -> Result<Vec<String>, LogFileError> {
    let mut names = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let h = if i == 0 {
            h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
        } else {
            h
        };
        names.push(decoder.decode(h, 1, "header")?.trim().to_owned());
    }
    Ok(names)
}

fn column_index(names: &[String], want: &str) -> Result<usize, LogFileError> {
    names
        .iter()
        .position(|n| n == want)
        .ok_or_else(|| LogFileError::MissingColumn {
            column: want.to_owned(),
            found: names.join(","),
        })
}

/// Reads a CSV log. `size_hint` is the input size in bytes, for pre-sizing. With `segment`,
/// its column is collected per case as well.
pub(crate) fn read_csv<R: BufRead>(
    input: R,
    size_hint: u64,
    options: &ReadOptions,
    gzip: bool,
    segment: Option<&mut CaseAttribute>,
) -> Result<EventLog, LogFileError> {
    // ~40 bytes per event is typical; over-reserving only costs address space.
    let builder =
        EventLogBuilder::with_capacity(usize::try_from(size_hint / 40).unwrap_or(0).min(1 << 26));
    let mut sink = Sink {
        events: Some(builder),
        segment,
    };
    scan_csv(input, options, gzip, &mut sink)?;
    Ok(sink.events.map(EventLogBuilder::finish).unwrap_or_default())
}

/// Collects `segment`'s column per case from a plain CSV file, events aside: the pass that
/// follows the parallel read of the same file's events.
pub(crate) fn read_csv_segment(
    path: &std::path::Path,
    options: &ReadOptions,
    segment: &mut CaseAttribute,
) -> Result<(), LogFileError> {
    let io = |source| LogFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut sink = Sink {
        events: None,
        segment: Some(segment),
    };
    scan_csv(
        std::io::BufReader::with_capacity(1 << 20, file),
        options,
        false,
        &mut sink,
    )
}

/// What a sequential pass collects: the events, a segment column, or both.
struct Sink<'s> {
    events: Option<EventLogBuilder>,
    segment: Option<&'s mut CaseAttribute>,
}

fn scan_csv<R: BufRead>(
    mut input: R,
    options: &ReadOptions,
    gzip: bool,
    sink: &mut Sink<'_>,
) -> Result<(), LogFileError> {
    let limit = options.max_line_bytes;
    // The csv crate reports a record's line as the line of the previous
    // record's terminator when that is CRLF (the `\n` is consumed with the
    // next record), i.e. one too low. Files use one terminator throughout,
    // so look at the header's.
    let head = input.fill_buf().map_err(|source| {
        if gzip {
            LogFileError::Gzip(source)
        } else {
            LogFileError::Io {
                path: String::new(),
                source,
            }
        }
    })?;
    let crlf = head
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|p| p > 0 && head.get(p - 1) == Some(&b'\r'));
    let line_fix = u64::from(crlf);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(options.delimiter)
        .buffer_capacity(1 << 18)
        .from_reader(LineLimit::new(input, limit));
    let mut decoder = Decoder::new(options.encoding);
    let headers = rdr
        .byte_headers()
        .map_err(|e| map_csv_error(e, limit, gzip))?
        .clone();
    let names = header_names(&headers, &mut decoder)?;
    let ci = column_index(&names, &options.case_column)?;
    let ai = match &sink.events {
        Some(_) => Some(column_index(&names, &options.activity_column)?),
        None => None,
    };
    let ti = column_index(&names, &options.timestamp_column)?;
    let si = match &sink.segment {
        Some(s) => Some(column_index(&names, s.column())?),
        None => None,
    };

    let mut rec = csv::ByteRecord::new();
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| map_csv_error(e, limit, gzip))?
    {
        let line = rec.position().map(|p| p.line()).unwrap_or(0) + line_fix;
        if rec.len() == 1 && rec.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // blank line
        }
        let get = |i: usize, name: &str| {
            rec.get(i).ok_or_else(|| LogFileError::MissingField {
                line,
                field: name.to_owned(),
            })
        };
        // A short row has no segment value rather than an error: the column is optional data.
        let value = match si.and_then(|si| rec.get(si)) {
            Some(raw) => {
                decoder.decode(raw, line, sink.segment.as_ref().map_or("", |s| s.column()))?
            }
            None => Cow::Borrowed(""),
        };
        if sink.events.is_none() && value.is_empty() {
            continue;
        }
        let case_raw = get(ci, &options.case_column)?;
        let ts_raw = get(ti, &options.timestamp_column)?;
        let case = decoder.decode(case_raw, line, &options.case_column)?;
        if case.is_empty() {
            return Err(LogFileError::EmptyCaseId {
                line,
                field: options.case_column.clone(),
            });
        }
        let ts = std::str::from_utf8(ts_raw)
            .ok()
            .and_then(parse_timestamp_ms)
            .ok_or_else(|| LogFileError::BadTimestamp {
                line,
                field: options.timestamp_column.clone(),
                value: String::from_utf8_lossy(ts_raw).chars().take(100).collect(),
            })?;
        if let Some(segment) = sink.segment.as_deref_mut() {
            segment.offer(&case, ts, &value);
        }
        if let (Some(builder), Some(ai)) = (sink.events.as_mut(), ai) {
            let act_raw = get(ai, &options.activity_column)?;
            let activity = decoder.decode(act_raw, line, &options.activity_column)?;
            builder.push(&case, &activity, ts)?;
        }
    }
    Ok(())
}

/// Reads a plain (uncompressed) CSV file, in parallel byte ranges when it is
/// large; falls back to the sequential reader when the fast path cannot be
/// sure (see `fastcsv`).
pub(crate) fn read_csv_file(
    path: &std::path::Path,
    size: u64,
    options: &ReadOptions,
    mut progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError> {
    use crate::fastcsv::{ChunkError, Columns, parse_range, split_points};
    use std::sync::atomic::AtomicU64;

    let io = |source| LogFileError::Io {
        path: path.display().to_string(),
        source,
    };
    // The header: parse the first record with the csv crate to learn its length.
    let file = std::fs::File::open(path).map_err(io)?;
    let limit = options.max_line_bytes;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter)
        .from_reader(LineLimit::new(std::io::BufReader::new(file), limit));
    let mut header = csv::ByteRecord::new();
    rdr.read_byte_record(&mut header)
        .map_err(|e| map_csv_error(e, limit, false))?;
    let header_end = rdr.position().byte();
    let header_line = rdr.position().line();
    drop(rdr);
    let mut decoder = Decoder::new(options.encoding);
    let names = header_names(&header, &mut decoder)?;
    let cols = Columns {
        case: column_index(&names, &options.case_column)?,
        activity: column_index(&names, &options.activity_column)?,
        timestamp: column_index(&names, &options.timestamp_column)?,
    };

    let threads = if size < options.parallel_min_bytes {
        1
    } else if options.threads > 0 {
        options.threads
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8)
    };
    let points = split_points(path, header_end, size, threads).map_err(io)?;
    // ~40 bytes per event is typical.
    let bits =
        cxmap_analytics::RadixBuilder::bits_for(usize::try_from(size / 40).unwrap_or(usize::MAX));
    let read_bytes = AtomicU64::new(header_end);
    let readers = crate::io::Readers::new();
    let results: Vec<Result<crate::fastcsv::Chunk, ChunkError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = points
            .windows(2)
            .map(|w| {
                let (s, e) = (w[0], w[1]);
                let (cols, read_bytes) = (&cols, &read_bytes);
                readers.spawn(scope, move || {
                    parse_range(path, s, e, options, cols, bits, read_bytes)
                })
            })
            .collect();
        readers.wait_reporting(&read_bytes, &mut progress);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(ChunkError::Fallback)))
            .collect()
    });
    if let Some(cb) = progress.as_mut() {
        cb(size);
    }

    let mut chunks = Vec::with_capacity(results.len());
    let mut lines_before = header_line;
    for r in results {
        match r {
            Ok(c) => {
                lines_before += c.lines;
                chunks.push(c);
            }
            Err(ChunkError::Fallback) => return sequential(path, size, options),
            Err(ChunkError::Fail(e)) => {
                // Ranges after a fallback-worthy range never get here first:
                // errors are reported in file order, with absolute lines.
                return Err(shift_line(e, lines_before - 1));
            }
        }
    }
    let consistent = chunks.iter().all(|a| {
        chunks
            .iter()
            .all(|b| a.decoder.compatible(&b.decoder) && a.decoder.compatible(&decoder))
    });
    if !consistent {
        return sequential(path, size, options);
    }
    Ok(cxmap_analytics::RadixBuilder::finish(
        chunks.into_iter().map(|c| c.builder).collect(),
        threads,
    )?)
}

fn sequential(
    path: &std::path::Path,
    size: u64,
    options: &ReadOptions,
) -> Result<EventLog, LogFileError> {
    let file = std::fs::File::open(path).map_err(|source| LogFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_csv(
        std::io::BufReader::with_capacity(1 << 20, file),
        size,
        options,
        false,
        None,
    )
}

fn shift_line(e: LogFileError, by: u64) -> LogFileError {
    use LogFileError as E;
    match e {
        E::MissingField { line, field } => E::MissingField {
            line: line + by,
            field,
        },
        E::EmptyCaseId { line, field } => E::EmptyCaseId {
            line: line + by,
            field,
        },
        E::BadTimestamp { line, field, value } => E::BadTimestamp {
            line: line + by,
            field,
            value,
        },
        E::LineTooLong { line, limit } => E::LineTooLong {
            line: line + by,
            limit,
        },
        E::BadText {
            line,
            field,
            encoding,
        } => E::BadText {
            line: line + by,
            field,
            encoding,
        },
        other => other,
    }
}
