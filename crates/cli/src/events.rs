//! `cxmap events import FILE`: loads a CSV, XES or XES.gz event log into a workspace in one
//! transaction (all of it or nothing), with progress bars for reading and writing.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use cxmap_domain::WorkspaceId;
use cxmap_logfile::{Format, ReadOptions, TextEncoding};

use crate::{CliError, DbArg, store};

/// `cxmap events …`
#[derive(Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    command: EventsCommand,
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Import an event log (CSV with a header row, XES, XES.gz or Parquet) into a workspace;
    /// the whole file lands in one transaction or nothing does.
    Import(ImportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum FileFormat {
    Csv,
    Xes,
    Parquet,
}

#[derive(Args)]
struct ImportArgs {
    /// The event-log file (or a pipe, such as `/dev/stdin`).
    file: PathBuf,
    #[command(flatten)]
    db: DbArg,
    /// The workspace the events belong to.
    #[arg(long)]
    workspace: WorkspaceId,
    /// CSV column with the case id.
    #[arg(long, value_name = "COLUMN", default_value = "case_id")]
    case: String,
    /// CSV column with the event name.
    #[arg(long, value_name = "COLUMN", default_value = "activity")]
    activity: String,
    /// CSV column with the timestamp.
    #[arg(long, value_name = "COLUMN", default_value = "timestamp")]
    timestamp: String,
    /// CSV text encoding (utf-8, cp949, euc-kr, …); default: UTF-8, CP949 when not UTF-8.
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
    /// The file format; default: detected from the content (gzip is always detected).
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
}

/// Runs `cxmap events`.
pub async fn run(
    args: EventsArgs,
    db_url: impl Fn(&DbArg) -> Result<String, CliError>,
) -> Result<(), CliError> {
    let EventsCommand::Import(a) = args.command;
    let url = db_url(&a.db)?;
    let options = ReadOptions {
        case_column: a.case,
        activity_column: a.activity,
        timestamp_column: a.timestamp,
        encoding: match &a.encoding {
            None => TextEncoding::Auto,
            Some(label) => TextEncoding::Fixed(cxmap_logfile::encoding_from_label(label)?),
        },
        format: a.format.map(|f| match f {
            FileFormat::Csv => Format::Csv,
            FileFormat::Xes => Format::Xes,
            FileFormat::Parquet => Format::Parquet,
        }),
        ..ReadOptions::default()
    };
    let store = store::open(&url).await?;
    // Fail before reading a large file when the workspace is not there.
    store.workspace(a.workspace).await?;

    let reading = crate::progress::reading(&a.file, "reading ");
    let path = a.file.clone();
    let read_bar = reading.clone();
    let log = tokio::task::spawn_blocking(move || {
        let mut report = |n: u64| read_bar.set_position(n);
        cxmap_logfile::read_path(&path, &options, Some(&mut report))
    })
    .await
    .map_err(|e| CliError::Usage(format!("reading the file failed: {e}")))??;
    reading.finish_and_clear();

    let writing = crate::progress::bar(
        Some(log.event_count() as u64),
        "{spinner} {msg} {bar:30} {pos}/{len} events ({per_sec}, {eta})",
        "storing ",
    );
    let write_bar = writing.clone();
    let events = cxmap_server::event_import::store_log(&*store, a.workspace, &log, &mut |n| {
        write_bar.set_position(n)
    })
    .await?;
    writing.finish_and_clear();
    println!(
        "imported {events} events of {} cases from {} into workspace {}",
        log.case_count(),
        a.file.display(),
        a.workspace
    );
    Ok(())
}
