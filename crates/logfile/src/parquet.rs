//! Parquet event logs, read column by column with the `parquet` crate's
//! low-level column readers (no Arrow).
//!
//! Accepted column types (the columns are found by name among the top-level
//! columns; lists and other repeated columns are refused):
//! - case id: a byte array (string), or a 32/64-bit integer (written in decimal);
//! - activity: a byte array (string);
//! - timestamp: `INT64` with the `TIMESTAMP` logical type (millis, micros or
//!   nanos; read as UTC whether or not it is marked adjusted to UTC), `INT96`
//!   (legacy Spark/Hive timestamps), `INT32` `DATE` (midnight UTC) or a string
//!   in one of the shapes of [`parse_timestamp_ms`](crate::parse_timestamp_ms).
//!
//! Row groups are split into one consecutive range per thread; each range
//! feeds its own [`RadixBuilder`] and the ranges are finished in file order,
//! so ties keep file order as with CSV. Errors name the 1-based row.

use std::sync::atomic::{AtomicU64, Ordering};

use cxmap_analytics::{EventLog, RadixBuilder};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{
    BoolType, ByteArrayType, DataType, DoubleType, FloatType, Int32Type, Int64Type, Int96Type,
};
use parquet::file::reader::{ChunkReader, FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;

use crate::attribute::CaseAttribute;
use crate::keep::KeepSet;
use crate::parquet_pages::{Cell, PageColumn};
use crate::timestamp::parse_timestamp_bytes;
use crate::{LogFileError, ReadOptions};

/// Rows decoded per column at a time.
const BATCH: usize = 16 * 1024;

fn perr(e: parquet::errors::ParquetError) -> LogFileError {
    LogFileError::Parquet(e.to_string())
}

/// How the timestamp column is stored.
#[derive(Debug, Clone, Copy)]
enum TsKind {
    /// INT64 in units of `1 / per_ms` milliseconds (`per_ms` = 1, 1000 or 1 000 000).
    Int64 { per_ms: i64 },
    /// Legacy INT96: nanoseconds of the day and a Julian day.
    Int96,
    /// INT32 days since the epoch.
    Date,
    /// Text.
    Text,
}

/// How the case column is stored.
#[derive(Debug, Clone, Copy)]
enum CaseKind {
    Text,
    Int32,
    Int64,
}

/// The three columns: leaf index and kind.
#[derive(Debug, Clone, Copy)]
struct Layout {
    case: (usize, CaseKind),
    activity: usize,
    timestamp: (usize, TsKind),
}

fn type_name(c: &ColumnDescriptor) -> String {
    match c.logical_type_ref() {
        Some(LogicalType::Timestamp(t)) => {
            format!("{} (TIMESTAMP {:?})", c.physical_type(), t.unit)
        }
        Some(l) => format!("{} ({l:?})", c.physical_type()),
        None if c.converted_type() != ConvertedType::NONE => {
            format!("{} ({})", c.physical_type(), c.converted_type())
        }
        None => c.physical_type().to_string(),
    }
}

/// The top-level, single-valued column `want`: its leaf index and descriptor.
fn find_column<'c>(
    columns: &'c [std::sync::Arc<ColumnDescriptor>],
    want: &str,
) -> Result<(usize, &'c ColumnDescriptor), LogFileError> {
    let found = columns
        .iter()
        .position(|c| c.path().parts().len() == 1 && c.name() == want)
        .ok_or_else(|| LogFileError::MissingColumn {
            column: want.to_owned(),
            found: columns
                .iter()
                .map(|c| c.path().string())
                .collect::<Vec<_>>()
                .join(","),
        })?;
    let c = columns
        .get(found)
        .map(|c| c.as_ref())
        .ok_or_else(|| LogFileError::Parquet("schema changed while reading".into()))?;
    if c.max_rep_level() > 0 {
        return Err(LogFileError::ColumnType {
            column: want.to_owned(),
            found: format!("repeated {}", type_name(c)),
            expected: "a single value per row",
        });
    }
    Ok((found, c))
}

fn layout(
    columns: &[std::sync::Arc<ColumnDescriptor>],
    options: &ReadOptions,
) -> Result<Layout, LogFileError> {
    let find = |want: &str| find_column(columns, want);
    let wrong =
        |column: &str, c: &ColumnDescriptor, expected: &'static str| LogFileError::ColumnType {
            column: column.to_owned(),
            found: type_name(c),
            expected,
        };

    let (ci, c) = find(&options.case_column)?;
    let case_kind = match c.physical_type() {
        PhysicalType::BYTE_ARRAY => CaseKind::Text,
        PhysicalType::INT32 => CaseKind::Int32,
        PhysicalType::INT64 => CaseKind::Int64,
        _ => return Err(wrong(&options.case_column, c, "a string or an integer")),
    };
    let (ai, a) = find(&options.activity_column)?;
    if a.physical_type() != PhysicalType::BYTE_ARRAY {
        return Err(wrong(&options.activity_column, a, "a string"));
    }
    let (ti, t) = find(&options.timestamp_column)?;
    let expected_ts = "a timestamp (INT64 TIMESTAMP, INT96, DATE) or a string";
    let ts_kind = match (t.physical_type(), t.logical_type_ref(), t.converted_type()) {
        (PhysicalType::INT64, Some(LogicalType::Timestamp(tt)), _) => TsKind::Int64 {
            per_ms: match tt.unit {
                TimeUnit::MILLIS => 1,
                TimeUnit::MICROS => 1_000,
                TimeUnit::NANOS => 1_000_000,
            },
        },
        (PhysicalType::INT64, None, ConvertedType::TIMESTAMP_MILLIS) => TsKind::Int64 { per_ms: 1 },
        (PhysicalType::INT64, None, ConvertedType::TIMESTAMP_MICROS) => {
            TsKind::Int64 { per_ms: 1_000 }
        }
        (PhysicalType::INT96, _, _) => TsKind::Int96,
        (PhysicalType::INT32, Some(LogicalType::Date), _)
        | (PhysicalType::INT32, None, ConvertedType::DATE) => TsKind::Date,
        (PhysicalType::BYTE_ARRAY, _, _) => TsKind::Text,
        _ => return Err(wrong(&options.timestamp_column, t, expected_ts)),
    };
    Ok(Layout {
        case: (ci, case_kind),
        activity: ai,
        timestamp: (ti, ts_kind),
    })
}

/// One column's reader and its current batch.
struct Col<T: DataType> {
    reader: ColumnReaderImpl<T>,
    values: Vec<T::T>,
    defs: Vec<i16>,
    max_def: i16,
    next: usize,
}

impl<T: DataType> Col<T> {
    fn new(reader: ColumnReaderImpl<T>, max_def: i16) -> Self {
        Col {
            reader,
            values: Vec::with_capacity(BATCH),
            defs: Vec::with_capacity(BATCH),
            max_def,
            next: 0,
        }
    }

    /// Decodes the next `n` rows; answers how many there were.
    fn fill(&mut self, n: usize) -> Result<usize, LogFileError> {
        self.values.clear();
        self.defs.clear();
        self.next = 0;
        let (rows, _, _) = self
            .reader
            .read_records(n, Some(&mut self.defs), None, &mut self.values)
            .map_err(perr)?;
        Ok(rows)
    }

    /// Steps over row `i` of the batch.
    #[inline]
    fn skip(&mut self, i: usize) {
        let _ = self.value(i);
    }

    /// The value of row `i` of the batch (rows must be visited in order), `None` for null.
    #[inline]
    fn value(&mut self, i: usize) -> Option<&T::T> {
        if self.max_def > 0 && self.defs.get(i).is_none_or(|&d| d < self.max_def) {
            return None;
        }
        let v = self.values.get(self.next);
        self.next += 1;
        v
    }
}

/// The typed reader of a `(column reader, max definition level)` pair.
macro_rules! typed {
    ($column:expr, $variant:ident) => {
        match $column {
            (ColumnReader::$variant(r), max_def) => Ok(Col::new(r, max_def)),
            _ => Err(LogFileError::Parquet(
                "column type changed between row groups".into(),
            )),
        }
    };
}

/// A string column: the typed reader, or pages read as they are (see [`parquet_pages`]).
enum TextCol {
    /// Boxed: the typed reader is large, and one column per row group is cheap to box.
    Typed(Box<Col<ByteArrayType>>),
    Pages(PageColumn),
}

impl TextCol {
    fn open(rg: &dyn RowGroupReader, i: usize, max_def: i16) -> Result<Self, LogFileError> {
        if PageColumn::supports(rg.metadata().column(i)) {
            let pages = rg.get_column_page_reader(i).map_err(perr)?;
            return Ok(TextCol::Pages(PageColumn::new(pages, max_def)));
        }
        typed!(
            (rg.get_column_reader(i).map_err(perr)?, max_def),
            ByteArrayColumnReader
        )
        .map(|c| TextCol::Typed(Box::new(c)))
    }

    /// Decodes the next `n` rows of a typed column (page columns are read row by row).
    fn fill(&mut self, n: usize) -> Result<usize, LogFileError> {
        match self {
            TextCol::Typed(c) => c.fill(n),
            TextCol::Pages(_) => Ok(n),
        }
    }

    /// Row `i` of the batch (rows in order); `None` when a page column ends early.
    #[inline]
    fn value(&mut self, i: usize) -> Result<Option<Cell<'_>>, LogFileError> {
        match self {
            TextCol::Typed(c) => Ok(Some(
                c.value(i).map_or(Cell::Null, |v| Cell::Plain(v.data())),
            )),
            TextCol::Pages(p) => p.next(),
        }
    }

    /// The page column behind a [`Cell::Index`] (typed columns have no dictionary entries).
    fn pages(&self) -> Option<&PageColumn> {
        match self {
            TextCol::Pages(p) => Some(p),
            TextCol::Typed(_) => None,
        }
    }
}

/// The case ids of a column's current dictionary, checked as UTF-8 once per dictionary, and
/// which of them the builder has recorded: a row of a recorded case whose event is dropped
/// adds nothing, so a filtered read skips it before its case id is looked up or hashed. A
/// funnel drops most rows, and in a dictionary-encoded chunk each case appears many times.
#[derive(Default)]
struct CaseDictionary {
    generation: Option<u32>,
    text: String,
    /// Each entry's range in `text`; `None` for an entry that is not UTF-8.
    ranges: Vec<Option<std::ops::Range<usize>>>,
    /// One bit per entry: its case was recorded.
    recorded: Vec<u64>,
}

impl CaseDictionary {
    /// Entry `index` of `column`'s dictionary: `Err(())` when it is not UTF-8, `Ok(None)`
    /// when there is no such entry.
    fn get(&mut self, column: &PageColumn, index: u32) -> Result<Option<&str>, ()> {
        if self.generation != Some(column.generation()) {
            self.generation = Some(column.generation());
            self.text.clear();
            self.ranges.clear();
            self.recorded.clear();
            let mut i = 0;
            while let Some(entry) = column.dictionary(i) {
                self.ranges.push(std::str::from_utf8(entry).ok().map(|t| {
                    let start = self.text.len();
                    self.text.push_str(t);
                    start..self.text.len()
                }));
                i += 1;
            }
        }
        match self.ranges.get(index as usize) {
            None => Ok(None),
            Some(None) => Err(()),
            Some(Some(r)) => Ok(self.text.get(r.clone())),
        }
    }

    /// Whether the case of entry `index` of `column`'s dictionary was recorded.
    #[inline]
    fn is_recorded(&self, column: &PageColumn, index: u32) -> bool {
        self.generation == Some(column.generation())
            && self
                .recorded
                .get(index as usize / 64)
                .is_some_and(|w| (w >> (index % 64)) & 1 == 1)
    }

    /// Marks the case of entry `index` (if any) of the dictionary [`CaseDictionary::get`] last
    /// read as recorded.
    #[inline]
    fn record(&mut self, index: Option<u32>) {
        let Some(index) = index else {
            return;
        };
        let word = index as usize / 64;
        if self.recorded.len() <= word {
            self.recorded.resize(word + 1, 0);
        }
        if let Some(w) = self.recorded.get_mut(word) {
            *w |= 1 << (index % 64);
        }
    }
}

/// What an activity name becomes.
#[derive(Clone, Copy)]
enum Activity {
    /// The builder's activity code.
    Kept(u32),
    /// Not among `keep_activities`: its events are dropped.
    Dropped,
}

impl Activity {
    /// Checks `name` as UTF-8 (`None` if it is not) and looks it up.
    fn of(
        name: &[u8],
        keep: &KeepSet,
        builder: &mut RadixBuilder,
    ) -> Result<Option<Self>, LogFileError> {
        let Ok(text) = std::str::from_utf8(name) else {
            return Ok(None);
        };
        Self::of_text(text, keep, builder).map(Some)
    }

    /// Looks `name` up.
    fn of_text(
        name: &str,
        keep: &KeepSet,
        builder: &mut RadixBuilder,
    ) -> Result<Self, LogFileError> {
        Ok(if keep.keeps(name.as_bytes()) {
            Activity::Kept(builder.activity_code(name)?)
        } else {
            Activity::Dropped
        })
    }
}

/// The activities of a column's current dictionary, each looked up on first use.
#[derive(Default)]
struct ActivityDictionary {
    generation: Option<u32>,
    /// By entry; `None` until the entry is first used.
    codes: Vec<Option<Activity>>,
}

impl ActivityDictionary {
    /// Entry `index` of `column`'s dictionary: `Ok(None)` when it is not UTF-8, an error when
    /// there is no such entry.
    fn get(
        &mut self,
        column: &PageColumn,
        index: u32,
        keep: &KeepSet,
        builder: &mut RadixBuilder,
        no_entry: impl FnOnce() -> LogFileError,
    ) -> Result<Option<Activity>, LogFileError> {
        if self.generation != Some(column.generation()) {
            self.generation = Some(column.generation());
            self.codes.clear();
        }
        let slot = index as usize;
        if let Some(Some(known)) = self.codes.get(slot) {
            return Ok(Some(*known));
        }
        let name = column.dictionary(index).ok_or_else(no_entry)?;
        let resolved = Activity::of(name, keep, builder)?;
        if self.codes.len() <= slot {
            self.codes.resize(slot + 1, None);
        }
        if let Some(s) = self.codes.get_mut(slot) {
            *s = resolved;
        }
        Ok(resolved)
    }
}

enum CaseCol {
    Text(TextCol),
    Int32(Col<Int32Type>),
    Int64(Col<Int64Type>),
}

impl CaseCol {
    /// Decodes the next `n` rows (see [`TextCol::fill`]).
    fn fill(&mut self, n: usize) -> Result<usize, LogFileError> {
        match self {
            CaseCol::Text(c) => c.fill(n),
            CaseCol::Int32(c) => c.fill(n),
            CaseCol::Int64(c) => c.fill(n),
        }
    }
}

enum TsCol {
    Int64(Col<Int64Type>, i64),
    Int96(Col<Int96Type>),
    Date(Col<Int32Type>),
    Text(Col<ByteArrayType>),
}

impl TsCol {
    fn open(column: (ColumnReader, i16), kind: TsKind) -> Result<Self, LogFileError> {
        Ok(match kind {
            TsKind::Int64 { per_ms } => TsCol::Int64(typed!(column, Int64ColumnReader)?, per_ms),
            TsKind::Int96 => TsCol::Int96(typed!(column, Int96ColumnReader)?),
            TsKind::Date => TsCol::Date(typed!(column, Int32ColumnReader)?),
            TsKind::Text => TsCol::Text(typed!(column, ByteArrayColumnReader)?),
        })
    }

    /// Row `i` of the batch in milliseconds (rows in order): `None` for a null, an error
    /// message for a value that is no timestamp.
    #[inline]
    fn ms(&mut self, i: usize) -> Option<Result<i64, String>> {
        Some(match self {
            TsCol::Int64(c, per_ms) => Ok(c.value(i)?.div_euclid(*per_ms)),
            TsCol::Int96(c) => int96_ms(c.value(i)?.data())
                .ok_or_else(|| "is an INT96 timestamp out of range".to_owned()),
            TsCol::Date(c) => Ok(i64::from(*c.value(i)?) * 86_400_000),
            TsCol::Text(c) => {
                let v = c.value(i)?.data();
                parse_timestamp_bytes(v).ok_or_else(|| {
                    format!(
                        "is not a timestamp: {:?}",
                        String::from_utf8_lossy(v)
                            .chars()
                            .take(100)
                            .collect::<String>()
                    )
                })
            }
        })
    }

    /// Decodes the next `n` rows.
    fn fill(&mut self, n: usize) -> Result<usize, LogFileError> {
        match self {
            TsCol::Int64(c, _) => c.fill(n),
            TsCol::Int96(c) => c.fill(n),
            TsCol::Date(c) => c.fill(n),
            TsCol::Text(c) => c.fill(n),
        }
    }

    /// Steps over row `i` of the batch.
    #[inline]
    fn skip(&mut self, i: usize) {
        match self {
            TsCol::Int64(c, _) => c.skip(i),
            TsCol::Int96(c) => c.skip(i),
            TsCol::Date(c) => c.skip(i),
            TsCol::Text(c) => c.skip(i),
        }
    }
}

/// Milliseconds of an INT96 timestamp (nanoseconds of the day in the first
/// two words, Julian day in the third).
fn int96_ms(words: &[u32]) -> Option<i64> {
    let (lo, hi, day) = (*words.first()?, *words.get(1)?, *words.get(2)?);
    let nanos = i64::try_from(u64::from(hi) << 32 | u64::from(lo)).ok()?;
    let days = i64::from(day) - 2_440_588; // Julian day of 1970-01-01
    days.checked_mul(86_400_000)?
        .checked_add(nanos.div_euclid(1_000_000))
}

/// Reads row groups `groups` into `builder`; `first_row` is the 0-based row
/// number of the first row of the first group.
fn read_groups<R: ChunkReader + 'static>(
    reader: &SerializedFileReader<R>,
    groups: std::ops::Range<usize>,
    first_row: u64,
    layout: Layout,
    options: &ReadOptions,
    builder: &mut RadixBuilder,
    read_bytes: &AtomicU64,
) -> Result<(), LogFileError> {
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let max_def = |i: usize| schema.column(i).max_def_level();
    let mut row = first_row;
    let mut case_text = String::new();
    let keep = KeepSet::new(options.keep_activities.as_deref());
    // Only a filtered read drops rows, so only it marks recorded dictionary cases.
    let filtering = options.keep_activities.is_some();
    for g in groups {
        let rg = reader.get_row_group(g).map_err(perr)?;
        let column = |i: usize| -> Result<(ColumnReader, i16), LogFileError> {
            Ok((rg.get_column_reader(i).map_err(perr)?, max_def(i)))
        };
        let (ci, ck) = layout.case;
        let (ti, tk) = layout.timestamp;
        let mut case = match ck {
            CaseKind::Text => CaseCol::Text(TextCol::open(rg.as_ref(), ci, max_def(ci))?),
            CaseKind::Int32 => CaseCol::Int32(typed!(column(ci)?, Int32ColumnReader)?),
            CaseKind::Int64 => CaseCol::Int64(typed!(column(ci)?, Int64ColumnReader)?),
        };
        let mut act = TextCol::open(rg.as_ref(), layout.activity, max_def(layout.activity))?;
        let mut ts = TsCol::open(column(ti)?, tk)?;
        let mut case_dictionary = CaseDictionary::default();
        let mut activities = ActivityDictionary::default();
        loop {
            // The timestamp column is always typed, so it sets the batch.
            let n = ts.fill(BATCH)?;
            if n == 0 {
                break;
            }
            let n_case = case.fill(n)?;
            let n_act = act.fill(n)?;
            if n_act != n || n_case != n {
                return Err(LogFileError::Parquet(format!(
                    "row group {g}: columns have different numbers of rows"
                )));
            }
            for i in 0..n {
                row += 1;
                let bad_text = |column: &String| LogFileError::ParquetValue {
                    row,
                    column: column.clone(),
                    message: "is not valid UTF-8".into(),
                };
                let null = |column: &String| LogFileError::ParquetValue {
                    row,
                    column: column.clone(),
                    message: "is null".into(),
                };
                let no_entry =
                    || LogFileError::Parquet(format!("row {row}: a dictionary index out of range"));
                let uneven = || {
                    LogFileError::Parquet(format!(
                        "row group {g}: columns have different numbers of rows"
                    ))
                };
                let activity = match act.value(i)?.ok_or_else(uneven)? {
                    Cell::Null => return Err(null(&options.activity_column)),
                    Cell::Text(t) => Some(Activity::of_text(t, &keep, builder)?),
                    Cell::Plain(b) => Activity::of(b, &keep, builder)?,
                    Cell::Index(ix) => {
                        let column = act.pages().ok_or_else(no_entry)?;
                        activities.get(column, ix, &keep, builder, no_entry)?
                    }
                }
                .ok_or_else(|| bad_text(&options.activity_column))?;
                let dropped = matches!(activity, Activity::Dropped);
                // The case's dictionary entry, to mark it recorded once it is.
                let mut entry = None;
                let case_id: &str = match &mut case {
                    CaseCol::Text(c) => match c.value(i)?.ok_or_else(uneven)? {
                        Cell::Null => return Err(null(&options.case_column)),
                        Cell::Text(t) => t,
                        Cell::Plain(b) => {
                            std::str::from_utf8(b).map_err(|_| bad_text(&options.case_column))?
                        }
                        Cell::Index(ix) => {
                            let column = c.pages().ok_or_else(no_entry)?;
                            if dropped && case_dictionary.is_recorded(column, ix) {
                                ts.skip(i);
                                continue;
                            }
                            if filtering {
                                entry = Some(ix);
                            }
                            case_dictionary
                                .get(column, ix)
                                .map_err(|()| bad_text(&options.case_column))?
                                .ok_or_else(no_entry)?
                        }
                    },
                    CaseCol::Int32(c) => {
                        let v = *c.value(i).ok_or_else(|| null(&options.case_column))?;
                        case_text.clear();
                        case_text.push_str(&v.to_string());
                        &case_text
                    }
                    CaseCol::Int64(c) => {
                        let v = *c.value(i).ok_or_else(|| null(&options.case_column))?;
                        case_text.clear();
                        case_text.push_str(&v.to_string());
                        &case_text
                    }
                };
                if case_id.is_empty() {
                    return Err(LogFileError::ParquetValue {
                        row,
                        column: options.case_column.clone(),
                        message: "is an empty case id".into(),
                    });
                }
                let code = match activity {
                    Activity::Kept(code) => code,
                    Activity::Dropped => {
                        builder.push_case(case_id)?;
                        case_dictionary.record(entry);
                        ts.skip(i);
                        continue;
                    }
                };
                let tcol = &options.timestamp_column;
                let t = ts.ms(i).ok_or_else(|| null(tcol))?.map_err(|message| {
                    LogFileError::ParquetValue {
                        row,
                        column: tcol.clone(),
                        message,
                    }
                })?;
                builder.push_code(case_id, code, t)?;
                case_dictionary.record(entry);
            }
        }
        let size = rg.metadata().compressed_size();
        read_bytes.fetch_add(u64::try_from(size).unwrap_or(0), Ordering::Relaxed);
    }
    Ok(())
}

/// Reads a Parquet log; `open` gives an independent reader of the same bytes
/// to each thread.
pub(crate) fn read_parquet<R, F>(
    open: F,
    options: &ReadOptions,
    mut progress: Option<&mut dyn FnMut(u64)>,
) -> Result<EventLog, LogFileError>
where
    R: ChunkReader + 'static,
    F: Fn() -> Result<R, LogFileError> + Sync,
{
    let reader = SerializedFileReader::new(open()?).map_err(perr)?;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr_ptr();
    let layout = layout(schema.columns(), options)?;
    drop(schema);
    let rows: Vec<u64> = meta
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    let total: u64 = rows.iter().sum();
    let threads = if options.threads > 0 {
        options.threads
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    }
    .clamp(1, rows.len().max(1));
    // Consecutive ranges of row groups with about equal rows.
    let mut ranges = Vec::with_capacity(threads);
    let mut start = 0;
    let mut acc = 0u64;
    for (g, &n) in rows.iter().enumerate() {
        acc += n;
        let want = total * (ranges.len() as u64 + 1) / threads as u64;
        if acc >= want && ranges.len() + 1 < threads {
            ranges.push(start..g + 1);
            start = g + 1;
        }
    }
    ranges.push(start..rows.len());
    drop(reader);
    let bits = RadixBuilder::bits_for(usize::try_from(total).unwrap_or(usize::MAX));
    let read_bytes = AtomicU64::new(0);
    let first_rows: Vec<u64> = ranges
        .iter()
        .map(|r| rows.get(..r.start).map_or(0, |x| x.iter().sum()))
        .collect();
    let readers = crate::io::Readers::new();
    let results: Vec<Result<RadixBuilder, LogFileError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .cloned()
            .zip(first_rows)
            .map(|(range, first_row)| {
                let (open, read_bytes, rows) = (&open, &read_bytes, &rows);
                readers.spawn(scope, move || {
                    let rows_here: u64 = rows.get(range.clone()).map_or(0, |r| r.iter().sum());
                    // 16 bytes per record plus a case id (guess 16 bytes).
                    let bytes = usize::try_from(rows_here.saturating_mul(32)).unwrap_or(0);
                    let mut b = RadixBuilder::with_capacity(bits, bytes);
                    let own = SerializedFileReader::new(open()?).map_err(perr)?;
                    read_groups(&own, range, first_row, layout, options, &mut b, read_bytes)?;
                    Ok(b)
                })
            })
            .collect();
        readers.wait_reporting(&read_bytes, &mut progress);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let parts = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let log = RadixBuilder::finish(parts, threads)?;
    if let Some(cb) = progress.as_mut() {
        cb(read_bytes.load(Ordering::Relaxed));
    }
    Ok(log)
}

/// Collects `attribute`'s column per case: a second pass over the file, row group by row group,
/// for a funnel split by segment (the parallel pass keeps three columns only). Rows that pass
/// refuses (a null or bad case id or timestamp) have no value here.
pub(crate) fn read_case_attribute<R: ChunkReader + 'static>(
    input: R,
    options: &ReadOptions,
    attribute: &mut CaseAttribute,
) -> Result<(), LogFileError> {
    let reader = SerializedFileReader::new(input).map_err(perr)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let layout = layout(schema.columns(), options)?;
    let (vi, value_column) = find_column(schema.columns(), attribute.column())?;
    let value_type = value_column.physical_type();
    if !matches!(
        value_type,
        PhysicalType::BYTE_ARRAY
            | PhysicalType::BOOLEAN
            | PhysicalType::INT32
            | PhysicalType::INT64
            | PhysicalType::FLOAT
            | PhysicalType::DOUBLE
    ) {
        return Err(LogFileError::ColumnType {
            column: attribute.column().to_owned(),
            found: type_name(value_column),
            expected: "a string, number or boolean",
        });
    }
    let max_def = |i: usize| schema.column(i).max_def_level();
    let (ci, ck) = layout.case;
    let (ti, tk) = layout.timestamp;
    let (mut case_text, mut value_text) = (String::new(), String::new());
    for g in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(g).map_err(perr)?;
        let column = |i: usize| -> Result<(ColumnReader, i16), LogFileError> {
            Ok((rg.get_column_reader(i).map_err(perr)?, max_def(i)))
        };
        let mut case = match ck {
            CaseKind::Text => Scalar::Text(typed!(column(ci)?, ByteArrayColumnReader)?),
            CaseKind::Int32 => Scalar::Int32(typed!(column(ci)?, Int32ColumnReader)?),
            CaseKind::Int64 => Scalar::Int64(typed!(column(ci)?, Int64ColumnReader)?),
        };
        let mut ts = TsCol::open(column(ti)?, tk)?;
        let mut value = Scalar::open(column(vi)?)?;
        loop {
            let n = ts.fill(BATCH)?;
            if n == 0 {
                break;
            }
            if case.fill(n)? != n || value.fill(n)? != n {
                return Err(LogFileError::Parquet(format!(
                    "row group {g}: columns have different numbers of rows"
                )));
            }
            for i in 0..n {
                let t = ts.ms(i);
                let case_id = case.text(i, &mut case_text);
                if let (Some(Ok(t)), Some(case_id), Some(v)) =
                    (t, case_id, value.text(i, &mut value_text))
                {
                    attribute.offer(case_id, t, v);
                }
            }
        }
    }
    Ok(())
}

/// A column of strings, numbers or booleans read as text.
enum Scalar {
    Text(Col<ByteArrayType>),
    Bool(Col<BoolType>),
    Int32(Col<Int32Type>),
    Int64(Col<Int64Type>),
    Float(Col<FloatType>),
    Double(Col<DoubleType>),
}

impl Scalar {
    fn open(column: (ColumnReader, i16)) -> Result<Self, LogFileError> {
        Ok(match column {
            (ColumnReader::ByteArrayColumnReader(r), d) => Scalar::Text(Col::new(r, d)),
            (ColumnReader::BoolColumnReader(r), d) => Scalar::Bool(Col::new(r, d)),
            (ColumnReader::Int32ColumnReader(r), d) => Scalar::Int32(Col::new(r, d)),
            (ColumnReader::Int64ColumnReader(r), d) => Scalar::Int64(Col::new(r, d)),
            (ColumnReader::FloatColumnReader(r), d) => Scalar::Float(Col::new(r, d)),
            (ColumnReader::DoubleColumnReader(r), d) => Scalar::Double(Col::new(r, d)),
            _ => {
                return Err(LogFileError::Parquet(
                    "column type changed between row groups".into(),
                ));
            }
        })
    }

    fn fill(&mut self, n: usize) -> Result<usize, LogFileError> {
        match self {
            Scalar::Text(c) => c.fill(n),
            Scalar::Bool(c) => c.fill(n),
            Scalar::Int32(c) => c.fill(n),
            Scalar::Int64(c) => c.fill(n),
            Scalar::Float(c) => c.fill(n),
            Scalar::Double(c) => c.fill(n),
        }
    }

    /// Row `i` as text (numbers and booleans written out into `buf`); `None` for a null or a
    /// string that is not UTF-8.
    fn text<'a>(&'a mut self, i: usize, buf: &'a mut String) -> Option<&'a str> {
        use std::fmt::Write;
        buf.clear();
        let written = match self {
            Scalar::Text(c) => return c.value(i).and_then(|v| std::str::from_utf8(v.data()).ok()),
            Scalar::Bool(c) => c.value(i).map(|v| write!(buf, "{v}")),
            Scalar::Int32(c) => c.value(i).map(|v| write!(buf, "{v}")),
            Scalar::Int64(c) => c.value(i).map(|v| write!(buf, "{v}")),
            Scalar::Float(c) => c.value(i).map(|v| write!(buf, "{v}")),
            Scalar::Double(c) => c.value(i).map(|v| write!(buf, "{v}")),
        };
        written?.ok()?;
        Some(buf)
    }
}
