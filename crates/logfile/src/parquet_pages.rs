//! String (BYTE_ARRAY) columns read straight from their pages.
//!
//! The `parquet` crate's typed column reader hands out every value as its own reference-counted
//! `ByteArray`, so each row of a 10-million-row log costs an allocation-free but atomic clone
//! and drop, and every row's text must be checked as UTF-8 again. Event logs store the
//! activity (a few dozen names) and often the case id dictionary-encoded, so this reader keeps
//! what the file has: a row is either an index into the column chunk's dictionary, which the
//! caller resolves once per dictionary entry, or a slice of a plain page.
//!
//! Only the encodings that writers use for strings by default are read here (plain and
//! dictionary values, RLE definition levels, data pages v1 and v2);
//! [`PageColumn::supports`] says whether a column chunk qualifies, and the typed reader is
//! used otherwise.

use std::ops::Range;

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::file::metadata::ColumnChunkMetaData;

use crate::LogFileError;

fn unsupported(what: impl std::fmt::Display) -> LogFileError {
    LogFileError::Parquet(format!("unsupported string column page: {what}"))
}

fn corrupt(what: &str) -> LogFileError {
    LogFileError::Parquet(format!("corrupt string column page: {what}"))
}

/// One row of a string column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell<'a> {
    Null,
    /// An index into the current dictionary ([`PageColumn::dictionary`]).
    Index(u32),
    /// A value of a plain page whose text as a whole is UTF-8, and which starts and ends on
    /// its character boundaries: so the value is UTF-8 too.
    Text(&'a str),
    /// A value of a plain page not known to be UTF-8.
    Plain(&'a [u8]),
}

/// The values of the current data page.
enum Values {
    Indices(Vec<u32>),
    /// A page that is UTF-8 as a whole (length prefixes included; true of every page whose
    /// values are UTF-8 and shorter than 128 bytes), checked in one vectorised pass instead
    /// of once per value, and each value's range in it.
    Text(String, Vec<Range<usize>>),
    /// Any other page and each value's range in it.
    Plain(Bytes, Vec<Range<usize>>),
}

/// A string column chunk, read page by page.
pub(crate) struct PageColumn {
    pages: Box<dyn PageReader>,
    max_def: i16,
    /// The dictionary page and each entry's range in it.
    dictionary: (Bytes, Vec<Range<usize>>),
    /// Bumped for every dictionary page, so callers know when to drop what they derived.
    generation: u32,
    /// Whether each row of the current page has a value; empty when every row has one (a
    /// required column, or a page without nulls).
    present: Vec<bool>,
    values: Values,
    rows: usize,
    next_row: usize,
    next_value: usize,
}

/// The little-endian `u32` length prefix at `pos`, if the buffer holds all four bytes.
fn length_at(buf: &[u8], pos: usize) -> Option<usize> {
    let bytes = buf.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?) as usize)
}

/// Splits a run of PLAIN byte arrays (`u32` little-endian length, then the bytes) into ranges.
fn plain_ranges(buf: &[u8], count: usize, out: &mut Vec<Range<usize>>) -> Result<(), LogFileError> {
    out.clear();
    // Every value takes at least its 4-byte length, so a count the page cannot hold is refused
    // before anything is allocated for it.
    if count > buf.len() / 4 {
        return Err(corrupt("more values than the page can hold"));
    }
    out.reserve(count);
    let mut pos = 0;
    for _ in 0..count {
        let len = length_at(buf, pos).ok_or_else(|| corrupt("a value's length is cut off"))?;
        let start = pos + 4;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= buf.len())
            .ok_or_else(|| corrupt("a value runs past the page"))?;
        out.push(start..end);
        pos = end;
    }
    Ok(())
}

/// Decodes `count` values of `bit_width` (at most 32) bits in Parquet's RLE/bit-packed hybrid
/// encoding (definition levels, dictionary indices). Written here because the `parquet`
/// crate's decoder is public only behind its "experimental" feature, which brings in Arrow.
fn hybrid(data: &[u8], bit_width: u8, count: usize) -> Result<Vec<u32>, LogFileError> {
    let width = usize::from(bit_width);
    if width > 32 {
        return Err(corrupt("a bit width over 32"));
    }
    let mask = if width == 0 {
        0
    } else {
        u32::MAX >> (32 - width)
    };
    let cut = || corrupt("encoded values end early");
    let mut out = Vec::with_capacity(count);
    let mut pos = 0;
    while out.len() < count {
        // A ULEB128 run header: a repeated value when the low bit is 0, else groups of 8
        // bit-packed values.
        let mut header = 0u64;
        let mut shift = 0;
        loop {
            let b = *data.get(pos).ok_or_else(cut)?;
            pos += 1;
            header |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 56 {
                return Err(corrupt("a run header too long"));
            }
        }
        let left = count - out.len();
        let run = usize::try_from(header >> 1).unwrap_or(usize::MAX);
        if header & 1 == 0 {
            let bytes = width.div_ceil(8);
            let value = data
                .get(pos..pos + bytes)
                .ok_or_else(cut)?
                .iter()
                .rev()
                .fold(0u32, |v, &b| v << 8 | u32::from(b));
            pos += bytes;
            out.extend(std::iter::repeat_n(value, run.min(left)));
        } else {
            let bytes = run.checked_mul(width).ok_or_else(cut)?;
            let packed = data.get(pos..pos.saturating_add(bytes)).ok_or_else(cut)?;
            pos += bytes;
            let mut bit = 0;
            for _ in 0..run.saturating_mul(8).min(left) {
                let (byte, shift) = (bit / 8, bit % 8);
                // Up to 39 bits from `byte` on, read as one little-endian word.
                let word = match packed.get(byte..byte + 8) {
                    Some(w) => u64::from_le_bytes(w.try_into().map_err(|_| cut())?),
                    None => packed
                        .get(byte..)
                        .unwrap_or(&[])
                        .iter()
                        .rev()
                        .fold(0u64, |v, &b| v << 8 | u64::from(b)),
                };
                out.push((word >> shift) as u32 & mask);
                bit += width;
            }
        }
    }
    Ok(out)
}

/// Most rows one data page may have here. A page is decoded whole, so its row count (from
/// the file) bounds what is allocated; writers keep pages far smaller (about 20,000 rows or
/// 1 MiB by default).
const MAX_PAGE_ROWS: u32 = 1 << 24;

fn page_rows(num_values: u32) -> Result<usize, LogFileError> {
    if num_values > MAX_PAGE_ROWS {
        return Err(unsupported(format!(
            "a data page of {num_values} rows (at most {MAX_PAGE_ROWS} are read)"
        )));
    }
    Ok(num_values as usize)
}

/// Bits needed for levels up to `max`.
fn level_bits(max: i16) -> u8 {
    (16 - (max as u16).leading_zeros()) as u8
}

impl PageColumn {
    /// Whether this reader can read the column chunk (else the typed reader must).
    pub(crate) fn supports(chunk: &ColumnChunkMetaData) -> bool {
        chunk.encodings().all(|e| {
            matches!(
                e,
                Encoding::PLAIN
                    | Encoding::RLE
                    | Encoding::PLAIN_DICTIONARY
                    | Encoding::RLE_DICTIONARY
            )
        })
    }

    pub(crate) fn new(pages: Box<dyn PageReader>, max_def: i16) -> Self {
        PageColumn {
            pages,
            max_def,
            dictionary: (Bytes::new(), Vec::new()),
            generation: 0,
            present: Vec::new(),
            values: Values::Indices(Vec::new()),
            rows: 0,
            next_row: 0,
            next_value: 0,
        }
    }

    /// The dictionary entry `index`, if there is one.
    #[inline]
    pub(crate) fn dictionary(&self, index: u32) -> Option<&[u8]> {
        let (buf, ranges) = &self.dictionary;
        buf.get(ranges.get(index as usize)?.clone())
    }

    /// Changes whenever the dictionary does.
    #[inline]
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// The next row, `None` at the end of the column chunk.
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<Cell<'_>>, LogFileError> {
        if self.next_row == self.rows && !self.load_page()? {
            return Ok(None);
        }
        let row = self.next_row;
        self.next_row += 1;
        if !self.present.is_empty() && !self.present.get(row).copied().unwrap_or(false) {
            return Ok(Some(Cell::Null));
        }
        let v = self.next_value;
        self.next_value += 1;
        let cell = match &self.values {
            Values::Indices(ix) => ix.get(v).map(|&i| Cell::Index(i)),
            Values::Text(text, ranges) => ranges.get(v).and_then(|r| match text.get(r.clone()) {
                Some(value) => Some(Cell::Text(value)),
                // Not on character boundaries: the value alone is not UTF-8.
                None => text.as_bytes().get(r.clone()).map(Cell::Plain),
            }),
            Values::Plain(buf, ranges) => ranges
                .get(v)
                .and_then(|r| buf.get(r.clone()))
                .map(Cell::Plain),
        };
        cell.map(Some)
            .ok_or_else(|| corrupt("fewer values than rows"))
    }

    /// Reads pages up to the next data page with rows; `false` at the end.
    fn load_page(&mut self) -> Result<bool, LogFileError> {
        loop {
            let Some(page) = self
                .pages
                .get_next_page()
                .map_err(|e| LogFileError::Parquet(e.to_string()))?
            else {
                return Ok(false);
            };
            match page {
                Page::DictionaryPage {
                    buf,
                    num_values,
                    encoding,
                    ..
                } => {
                    if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                        return Err(unsupported(format!("{encoding} dictionary")));
                    }
                    let mut ranges = Vec::new();
                    plain_ranges(&buf, num_values as usize, &mut ranges)?;
                    self.dictionary = (buf, ranges);
                    self.generation = self.generation.wrapping_add(1);
                    continue;
                }
                Page::DataPage {
                    buf,
                    num_values,
                    encoding,
                    def_level_encoding,
                    ..
                } => {
                    let rows = page_rows(num_values)?;
                    let mut rest = buf;
                    if self.max_def > 0 {
                        if def_level_encoding != Encoding::RLE {
                            return Err(unsupported(format!("{def_level_encoding} levels")));
                        }
                        let len = length_at(&rest, 0)
                            .ok_or_else(|| corrupt("definition levels cut off"))?;
                        let levels = rest
                            .get(4..4 + len)
                            .map(|_| rest.slice(4..4 + len))
                            .ok_or_else(|| corrupt("definition levels run past the page"))?;
                        self.set_levels(levels, rows)?;
                        rest = rest.slice(4 + len..);
                    }
                    self.set_values(rest, encoding, rows)?;
                }
                Page::DataPageV2 {
                    buf,
                    num_values,
                    encoding,
                    def_levels_byte_len,
                    rep_levels_byte_len,
                    ..
                } => {
                    let rows = page_rows(num_values)?;
                    let rep = rep_levels_byte_len as usize;
                    let def = def_levels_byte_len as usize;
                    if buf.len() < rep + def {
                        return Err(corrupt("levels run past the page"));
                    }
                    if self.max_def > 0 {
                        self.set_levels(buf.slice(rep..rep + def), rows)?;
                    }
                    self.set_values(buf.slice(rep + def..), encoding, rows)?;
                }
            }
            if self.rows > 0 {
                return Ok(true);
            }
        }
    }

    fn set_levels(&mut self, levels: Bytes, rows: usize) -> Result<(), LogFileError> {
        let levels = hybrid(&levels, level_bits(self.max_def), rows)?;
        let max = u32::from(self.max_def.unsigned_abs());
        self.present.clear();
        if levels.iter().any(|&l| l != max) {
            self.present.extend(levels.iter().map(|&l| l == max));
        }
        Ok(())
    }

    fn set_values(
        &mut self,
        buf: Bytes,
        encoding: Encoding,
        rows: usize,
    ) -> Result<(), LogFileError> {
        let count = if self.present.is_empty() {
            rows
        } else {
            self.present.iter().filter(|&&p| p).count()
        };
        self.values = match encoding {
            Encoding::PLAIN => {
                let mut ranges = Vec::new();
                plain_ranges(&buf, count, &mut ranges)?;
                match std::str::from_utf8(&buf) {
                    Ok(text) => Values::Text(text.to_owned(), ranges),
                    Err(_) => Values::Plain(buf, ranges),
                }
            }
            Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                let width = *buf.first().ok_or_else(|| corrupt("no index bit width"))?;
                if width > 32 {
                    return Err(corrupt("index bit width over 32"));
                }
                let indices = if count == 0 {
                    Vec::new()
                } else {
                    hybrid(buf.get(1..).unwrap_or(&[]), width, count)?
                };
                Values::Indices(indices)
            }
            other => return Err(unsupported(format!("{other} values"))),
        };
        self.rows = rows;
        self.next_row = 0;
        self.next_value = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_runs_decode_as_the_spec_says() {
        // RLE run of 5 x 3 (width 2), then one bit-packed group of 0..8 (width 3).
        // 0..=7 in 3 bits each, packed from the least significant bit: 0x88 0xc6 0xfa.
        let data = [5 << 1, 3, 1 << 1 | 1, 0x88, 0xc6, 0xfa];
        assert_eq!(hybrid(&data, 2, 5).unwrap(), vec![3; 5]);
        let mixed = [[10, 3].as_slice(), &data[2..]].concat();
        let got = hybrid(&mixed, 3, 13).unwrap();
        assert_eq!(got, vec![3, 3, 3, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7]);
        // Values past `count` in the last group are ignored; a short buffer is an error.
        assert_eq!(hybrid(&mixed, 3, 7).unwrap().len(), 7);
        assert!(hybrid(&mixed[..4], 3, 13).is_err());
        assert!(hybrid(&[], 1, 1).is_err());
        // Width 0 (a one-entry dictionary) and width 32.
        assert_eq!(hybrid(&[4 << 1], 0, 4).unwrap(), vec![0; 4]);
        let wide = [1 << 1, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(hybrid(&wide, 32, 1).unwrap(), vec![u32::MAX]);
        assert!(hybrid(&wide, 33, 1).is_err());
    }

    #[test]
    fn counts_a_page_cannot_hold_are_refused_before_allocating() {
        let mut ranges = Vec::new();
        let page = [3, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0, 0];
        plain_ranges(&page, 2, &mut ranges).unwrap();
        assert_eq!(ranges, [4..7, 11..11]);
        assert!(plain_ranges(&page, 3, &mut ranges).is_err());
        assert!(plain_ranges(&page, usize::MAX, &mut ranges).is_err());
        assert!(page_rows(u32::MAX).is_err());
        assert_eq!(page_rows(20_000).unwrap(), 20_000);
    }
}
