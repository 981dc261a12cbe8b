//! The fast path for plain CSV files on disk: the file is split into one
//! byte range per core at line starts, each range is parsed by a hand-written
//! line splitter into its own `EventLogBuilder`, and the builders are appended
//! in file order (so ties keep file order exactly as in a sequential read).
//!
//! The splitter handles quoted fields within one line (including `""`
//! escapes). A line with an odd number of quotes means a quoted field spans
//! lines — then a range boundary might cut a record, so the whole file is
//! read again by the general, sequential `csv`-crate reader. Anything the
//! fast path cannot decide is handed to that reader the same way.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use cxmap_analytics::RadixBuilder;

use crate::csvlog::Decoder;
use crate::keep::KeepSet;
use crate::timestamp::{DateCache, parse_timestamp_cached};
use crate::{LogFileError, ReadOptions};

/// Why a range could not be parsed by the fast path.
pub(crate) enum ChunkError {
    /// Use the general reader for the whole file.
    Fallback,
    /// A real error; `line` fields are relative to the range's first line (1-based).
    Fail(LogFileError),
}

/// Columns to extract.
pub(crate) struct Columns {
    pub(crate) case: usize,
    pub(crate) activity: usize,
    pub(crate) timestamp: usize,
}

/// The result of one range.
pub(crate) struct Chunk {
    pub(crate) builder: RadixBuilder,
    pub(crate) decoder: Decoder,
    /// Lines in the range (terminated or final).
    pub(crate) lines: u64,
}

const BLOCK: usize = 4 << 20;

/// Splits a line into fields; `None` when it has an odd number of quotes.
fn split_quoted<'l>(line: &'l [u8], delim: u8, out: &mut Vec<Cow<'l, [u8]>>) -> Option<()> {
    out.clear();
    let mut i = 0;
    loop {
        if line.get(i) == Some(&b'"') {
            let mut value = Vec::new();
            i += 1;
            loop {
                match line.get(i) {
                    None => return None,
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        value.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
            // Text after the closing quote up to the delimiter is kept, as csv does.
            let start = i;
            while line.get(i).is_some_and(|&b| b != delim) {
                if line.get(i) == Some(&b'"') {
                    return None;
                }
                i += 1;
            }
            value.extend_from_slice(line.get(start..i).unwrap_or(&[]));
            out.push(Cow::Owned(value));
        } else {
            let start = i;
            while line.get(i).is_some_and(|&b| b != delim) {
                if line.get(i) == Some(&b'"') {
                    return None;
                }
                i += 1;
            }
            out.push(Cow::Borrowed(line.get(start..i).unwrap_or(&[])));
        }
        if i >= line.len() {
            return Some(());
        }
        i += 1; // the delimiter
    }
}

struct LineParser<'o> {
    options: &'o ReadOptions,
    cols: &'o Columns,
    max_col: usize,
    builder: RadixBuilder,
    decoder: Decoder,
    line: u64,
    fields: Vec<(usize, usize)>,
    dates: DateCache,
    keep: KeepSet,
}

impl LineParser<'_> {
    /// One line `data[start..end]` (without its `\n`) whose delimiter
    /// positions up to the last needed column are in `self.fields` (absolute
    /// ranges, the last one still open) and which contains a quote when `quoted`.
    #[inline]
    fn line(
        &mut self,
        data: &[u8],
        text: Option<&str>,
        start: usize,
        end: usize,
        quoted: bool,
    ) -> Result<(), ChunkError> {
        self.line += 1;
        let end = if end > start && data.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        let line = data.get(start..end).unwrap_or(&[]);
        if line.is_empty() {
            return Ok(());
        }
        let delim = self.options.delimiter;
        // A quote anywhere (even in a column we do not read) may open a field
        // that spans lines, so the scan flags the whole line.
        if quoted {
            let mut owned = Vec::new();
            split_quoted(line, delim, &mut owned).ok_or(ChunkError::Fallback)?;
            let pick = |i: usize| owned.get(i).map(|c| c.as_ref());
            let (c, a, t) = self.event(
                pick(self.cols.case),
                pick(self.cols.activity),
                pick(self.cols.timestamp),
            )?;
            return self.push_kept(&c, &a, t);
        }
        // Close the last field at the end of the line.
        if let Some(last) = self.fields.last_mut()
            && last.1 == usize::MAX
        {
            last.1 = end;
        }
        let line = data;
        let pick = |i: usize| self.fields.get(i).and_then(|&(s, e)| line.get(s..e));
        let (c, a, t) = (
            pick(self.cols.case),
            pick(self.cols.activity),
            pick(self.cols.timestamp),
        );
        if let Some(text) = text {
            // The block was validated as UTF-8 once; fields split at ASCII
            // delimiters are char boundaries, so slicing needs no re-check.
            let pick_str = |i: usize| self.fields.get(i).and_then(|&(s, e)| text.get(s..e));
            let (cs, as_) = (pick_str(self.cols.case), pick_str(self.cols.activity));
            if let (Some(cs), Some(as_), Some(t)) = (cs, as_, t) {
                if !self.keeps(as_) {
                    if cs.is_empty() {
                        return Err(self.empty_case());
                    }
                    return self
                        .builder
                        .push_case(cs)
                        .map_err(|e| ChunkError::Fail(e.into()));
                }
                let t = self.event_str(cs, t)?;
                return push(&mut self.builder, cs, as_, t);
            }
        }
        let (c, a, t) = self.event(c, a, t)?;
        self.push_kept(&c, &a, t)
    }

    /// Whether events of `activity` are kept (see `ReadOptions::keep_activities`).
    #[inline]
    fn keeps(&self, activity: &str) -> bool {
        self.keep.keeps(activity.as_bytes())
    }

    fn empty_case(&self) -> ChunkError {
        ChunkError::Fail(LogFileError::EmptyCaseId {
            line: self.line,
            field: self.options.case_column.clone(),
        })
    }

    fn push_kept(&mut self, case: &str, activity: &str, t: i64) -> Result<(), ChunkError> {
        if self.keeps(activity) {
            push(&mut self.builder, case, activity, t)
        } else {
            self.builder
                .push_case(case)
                .map_err(|e| ChunkError::Fail(e.into()))
        }
    }

    /// Checks the case id and parses the timestamp of a UTF-8 line.
    #[inline]
    fn event_str(&mut self, case: &str, ts: &[u8]) -> Result<i64, ChunkError> {
        if case.is_empty() {
            return Err(self.empty_case());
        }
        let t = parse_timestamp_cached(ts, &mut self.dates).ok_or_else(|| {
            ChunkError::Fail(LogFileError::BadTimestamp {
                line: self.line,
                field: self.options.timestamp_column.clone(),
                value: String::from_utf8_lossy(ts).chars().take(100).collect(),
            })
        })?;
        Ok(t)
    }

    #[inline]
    fn event<'a>(
        &mut self,
        case: Option<&'a [u8]>,
        activity: Option<&'a [u8]>,
        ts: Option<&'a [u8]>,
    ) -> Result<(Cow<'a, str>, Cow<'a, str>, i64), ChunkError> {
        let line = self.line;
        let o = self.options;
        let missing = |field: &String| {
            ChunkError::Fail(LogFileError::MissingField {
                line,
                field: field.clone(),
            })
        };
        let case = case.ok_or_else(|| missing(&o.case_column))?;
        let activity = activity.ok_or_else(|| missing(&o.activity_column))?;
        let ts = ts.ok_or_else(|| missing(&o.timestamp_column))?;
        let case = self
            .decoder
            .decode(case, line, &o.case_column)
            .map_err(ChunkError::Fail)?;
        if case.is_empty() {
            return Err(ChunkError::Fail(LogFileError::EmptyCaseId {
                line,
                field: o.case_column.clone(),
            }));
        }
        let activity = self
            .decoder
            .decode(activity, line, &o.activity_column)
            .map_err(ChunkError::Fail)?;
        let t = parse_timestamp_cached(ts, &mut self.dates).ok_or_else(|| {
            ChunkError::Fail(LogFileError::BadTimestamp {
                line,
                field: o.timestamp_column.clone(),
                value: String::from_utf8_lossy(ts).chars().take(100).collect(),
            })
        })?;
        Ok((case, activity, t))
    }
}

#[inline]
fn push(b: &mut RadixBuilder, case: &str, activity: &str, t: i64) -> Result<(), ChunkError> {
    b.push(case, activity, t)
        .map_err(|e| ChunkError::Fail(e.into()))
}

/// Parses `[start, end)` of the file (both at line starts) into a builder
/// with `2^bits` partitions.
pub(crate) fn parse_range(
    path: &Path,
    start: u64,
    end: u64,
    options: &ReadOptions,
    cols: &Columns,
    bits: u32,
    read_bytes: &AtomicU64,
) -> Result<Chunk, ChunkError> {
    let io = |source| {
        ChunkError::Fail(LogFileError::Io {
            path: path.display().to_string(),
            source,
        })
    };
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut input = file.take(end - start);
    let mut p = LineParser {
        options,
        cols,
        max_col: cols.case.max(cols.activity).max(cols.timestamp),
        builder: RadixBuilder::with_capacity(bits, usize::try_from(end - start).unwrap_or(0)),
        decoder: Decoder::new(options.encoding),
        line: 0,
        fields: Vec::with_capacity(8),
        dates: DateCache::default(),
        keep: KeepSet::new(options.keep_activities.as_deref()),
    };
    let limit = options.max_line_bytes;
    let mut buf = vec![0u8; BLOCK.max(limit + 1)];
    let mut filled = 0;
    loop {
        let n = input
            .read(buf.get_mut(filled..).unwrap_or(&mut []))
            .map_err(io)?;
        read_bytes.fetch_add(n as u64, Ordering::Relaxed);
        filled += n;
        let data = buf.get(..filled).unwrap_or(&[]);
        // Validate the block's complete lines as UTF-8 in one (vectorised) pass.
        let complete = match data.iter().rposition(|&b| b == b'\n') {
            Some(last) if n > 0 => data.get(..=last).unwrap_or(&[]),
            _ => data,
        };
        let block_text = if p.decoder.is_utf8() {
            std::str::from_utf8(complete).ok()
        } else {
            None
        };
        if let Some(t) = block_text {
            p.decoder.saw_utf8(!t.is_ascii());
        }
        let mut pos = 0;
        // One vectorised scan for every structural byte of the block's
        // complete lines: delimiters, line ends and quotes.
        let scan = if n == 0 { data } else { complete };
        let delim = options.delimiter;
        let max_col = p.max_col;
        let mut quoted = false;
        p.fields.clear();
        p.fields.push((0, usize::MAX));
        for i in memchr::memchr3_iter(b'\n', b'"', delim, scan) {
            match scan.get(i) {
                Some(b'\n') => {
                    if i - pos > limit {
                        return Err(ChunkError::Fail(LogFileError::LineTooLong {
                            line: p.line + 1,
                            limit,
                        }));
                    }
                    p.line(data, block_text, pos, i, quoted)?;
                    pos = i + 1;
                    quoted = false;
                    p.fields.clear();
                    p.fields.push((pos, usize::MAX));
                }
                Some(b'"') => quoted = true,
                _ => {
                    // Close the open field; open the next one only while
                    // columns we need remain.
                    if let Some(last) = p.fields.last_mut()
                        && last.1 == usize::MAX
                    {
                        last.1 = i;
                        if p.fields.len() <= max_col {
                            p.fields.push((i + 1, usize::MAX));
                        }
                    }
                }
            }
        }
        let rest = filled - pos;
        if n == 0 {
            if rest > 0 {
                if rest > limit {
                    return Err(ChunkError::Fail(LogFileError::LineTooLong {
                        line: p.line + 1,
                        limit,
                    }));
                }
                p.line(data, block_text, pos, filled, quoted)?;
            }
            break;
        }
        if rest > limit {
            return Err(ChunkError::Fail(LogFileError::LineTooLong {
                line: p.line + 1,
                limit,
            }));
        }
        buf.copy_within(pos..filled, 0);
        filled = rest;
    }
    Ok(Chunk {
        builder: p.builder,
        decoder: p.decoder,
        lines: p.line,
    })
}

/// Offsets where the ranges start: `first` (after the header) and the next
/// line start after each even split of the rest; the last entry is `size`.
pub(crate) fn split_points(
    path: &Path,
    first: u64,
    size: u64,
    parts: usize,
) -> std::io::Result<Vec<u64>> {
    let mut points = vec![first];
    let mut file = File::open(path)?;
    let mut byte = [0u8; 4096];
    for i in 1..parts as u64 {
        let guess = first + (size - first) * i / parts as u64;
        let prev = points.last().copied().unwrap_or(first);
        if guess <= prev {
            continue;
        }
        file.seek(SeekFrom::Start(guess - 1))?;
        let mut at = guess - 1;
        let found = loop {
            let n = file.read(&mut byte)?;
            if n == 0 {
                break None;
            }
            if let Some(p) = byte
                .get(..n)
                .and_then(|b| b.iter().position(|&c| c == b'\n'))
            {
                break Some(at + p as u64 + 1);
            }
            at += n as u64;
        };
        match found {
            Some(p) if p < size && p > prev => points.push(p),
            _ => {}
        }
    }
    points.push(size);
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        split_quoted(line.as_bytes(), b',', &mut out)?;
        Some(
            out.iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect(),
        )
    }

    #[test]
    fn quoted_fields_on_one_line() {
        assert_eq!(
            split(r#"a,"b, c","d ""q"" e""#).unwrap(),
            vec!["a", "b, c", r#"d "q" e"#]
        );
        assert_eq!(split(r#""",x,"#).unwrap(), vec!["", "x", ""]);
        assert!(split(r#"a,"unterminated"#).is_none());
        assert!(split(r#"a,b"c"#).is_none());
    }
}
