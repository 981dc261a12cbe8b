//! The `cxmap` binary. Every subcommand is a thin shell over the library crates; the command
//! line is a contract (PRODUCT.md), so flags are only ever added, never renamed.

mod analyze;
mod config;
mod demo;
mod demo_surveys;
mod events;
mod progress;
mod store;
mod surveys;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use cxmap_domain::{Email, JourneyId, Lang, ProjectId, file};
use cxmap_server::{AppState, ServerConfig};
use cxmap_store::{NewToken, StoreError};

use crate::config::{FileConfig, redact_url};

#[derive(Parser)]
#[command(
    name = "cxmap",
    version,
    about = "The living customer journey map: journeys wired to real measurement."
)]
struct Cli {
    /// A TOML config file (keys: db, addr, public_url, body_limit); `./cxmap.toml` is read when present.
    #[arg(long, global = true, env = "CXMAP_CONFIG")]
    config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "CXMAP_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args, Clone)]
struct DbArg {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "CXMAP_DB")]
    db: Option<String>,
}

/// Tracked-link settings of `serve` and `demo`.
#[derive(clap::Args, Clone)]
struct LinkArgs {
    /// Directory of the click journal, where every click is written before its redirect is
    /// answered (default: next to a SQLite file, else ./cxmap-clicks-<host-port-database>). Use
    /// one directory per database; processes on one database may share it.
    #[arg(long, env = "CXMAP_CLICK_JOURNAL", alias = "click-spool")]
    click_journal: Option<PathBuf>,
    /// A MaxMind or DB-IP country database (.mmdb) to record the country of clicks.
    #[arg(long, env = "CXMAP_GEOIP")]
    geoip: Option<PathBuf>,
    /// Redirects per second one client address may make (0 = unlimited).
    #[arg(long, env = "CXMAP_REDIRECT_RATE", default_value_t = 50)]
    redirect_rate: u32,
    /// Refuse links to this domain and its subdomains (repeatable).
    #[arg(long = "blocked-domain")]
    blocked_domains: Vec<String>,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    #[arg(long, env = "CXMAP_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
}

impl LinkArgs {
    fn config(self, db_url: &str) -> Result<cxmap_server::LinkConfig, CliError> {
        let geoip = match &self.geoip {
            Some(path) => Some(std::sync::Arc::new(
                cxmap_server::GeoIp::open(path)
                    .map_err(|e| CliError::Usage(format!("--geoip {}: {e}", path.display())))?,
            )),
            None => None,
        };
        let journal = self.click_journal.unwrap_or_else(|| {
            match db_url
                .strip_prefix("sqlite://")
                .or_else(|| db_url.strip_prefix("sqlite:"))
            {
                Some(path) if !path.is_empty() && !path.starts_with(':') => {
                    PathBuf::from(format!("{}.clicks", path.split('?').next().unwrap_or(path)))
                }
                // Named after the database, so that two databases never share a journal.
                _ => PathBuf::from(format!("cxmap-clicks-{}", journal_tag(db_url))),
            }
        });
        Ok(cxmap_server::LinkConfig {
            click_journal: Some(journal),
            geoip,
            blocked_domains: self.blocked_domains,
            redirects_per_second: self.redirect_rate,
            trust_forwarded_for: self.trust_forwarded_for,
            ..cxmap_server::LinkConfig::default()
        })
    }
}

/// `postgres://me:secret@db.local:5432/cx?sslmode=require` → `db-local-5432-cx`: the host,
/// port and database, without credentials or options.
fn journal_tag(db_url: &str) -> String {
    let rest = db_url.split_once("://").map_or(db_url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split('?').next().unwrap_or(rest);
    rest.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[derive(Subcommand)]
enum Command {
    /// Serve a ready demo (Korean retail and B2B SaaS journeys) on an embedded SQLite file.
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// Listen address.
        #[arg(long, env = "CXMAP_ADDR")]
        addr: Option<String>,
        #[command(flatten)]
        links: LinkArgs,
        #[command(flatten)]
        surveys: surveys::SurveyArgs,
    },
    /// Run the server.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Listen address.
        #[arg(long, env = "CXMAP_ADDR")]
        addr: Option<String>,
        /// The externally visible base URL (for short links and e-mails).
        #[arg(long, env = "CXMAP_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        links: LinkArgs,
        #[command(flatten)]
        surveys: surveys::SurveyArgs,
    },
    /// Apply database migrations and print the schema version.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Import a journey file (as written by `cxmap export`) in one transaction.
    Import {
        /// The journey file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
        /// The project to import into (the file's own project when it exists).
        #[arg(long)]
        project: Option<ProjectId>,
        /// Overwrite a journey with the same id.
        #[arg(long)]
        replace: bool,
    },
    /// Write a journey file to stdout (or `-o FILE`).
    Export {
        /// The journey id.
        journey: JourneyId,
        #[command(flatten)]
        db: DbArg,
        /// Write here instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Render a journey file to SVG, PNG or PDF (by the output's extension). No database needed.
    Render {
        /// The journey file.
        file: PathBuf,
        /// The output file: `.svg`, `.png` or `.pdf`.
        #[arg(short, long)]
        output: PathBuf,
        /// Language of the lane labels.
        #[arg(long, value_enum, default_value = "ko")]
        lang: LangArg,
    },
    /// API tokens for scripts.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Event-log analyses on a file (CSV, XES, XES.gz, Parquet), without a server.
    Analyze(analyze::AnalyzeArgs),
    /// Customer events in a database: import CSV, XES, XES.gz or Parquet logs.
    Events(events::EventsArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Ko,
    En,
}

impl From<LangArg> for Lang {
    fn from(value: LangArg) -> Self {
        match value {
            LangArg::Ko => Lang::Ko,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a user (created if needed; the first user owns a new workspace).
    /// The token is printed as the last line.
    Create {
        #[command(flatten)]
        db: DbArg,
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
        /// The user's display name (for a new user).
        #[arg(long)]
        name: Option<String>,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

/// Everything a command can fail with; printed as `error: …` with exit code 1.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    File {
        path: String,
        source: file::FileError,
    },
    #[error(transparent)]
    Analyze(#[from] analyze::AnalyzeError),
    #[error(transparent)]
    Log(#[from] cxmap_logfile::LogFileError),
    #[error("render failed: {0}")]
    Render(String),
    #[error("{0}")]
    Usage(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            path: "tokio runtime".into(),
            source,
        })
}

fn run(cli: Cli) -> Result<(), CliError> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let db_url = |arg: &DbArg| -> Result<String, CliError> {
        arg.db.clone().or_else(|| file.db.clone()).ok_or_else(|| {
            CliError::Usage(
                "no database: pass --db sqlite://PATH | postgres://…, or set CXMAP_DB".into(),
            )
        })
    };
    let addr = |arg: &Option<String>| {
        arg.clone()
            .or_else(|| file.addr.clone())
            .unwrap_or_else(|| DEFAULT_ADDR.into())
    };
    let server_config = |public_url: Option<String>, addr: &str| ServerConfig {
        public_url: public_url
            .or_else(|| file.public_url.clone())
            .unwrap_or_else(|| format!("http://{addr}")),
        body_limit: file
            .body_limit
            .unwrap_or(ServerConfig::default().body_limit),
        demo_user: None,
        web_dir: std::env::var_os("CXMAP_WEB_DIR").map(std::path::PathBuf::from),
        ..ServerConfig::default()
    };
    match cli.command {
        Command::Analyze(args) => Ok(analyze::run(args)?),
        Command::Events(args) => runtime()?.block_on(events::run(args, db_url)),
        Command::Render {
            file: path,
            output,
            lang,
        } => render(&path, &output, lang.into()),
        Command::Demo {
            db,
            addr: a,
            links,
            surveys,
        } => {
            let url = db
                .db
                .clone()
                .or_else(|| file.db.clone())
                .unwrap_or_else(|| "sqlite://cxmap-demo.db".into());
            let addr = addr(&a);
            let mut config = server_config(None, &addr);
            config.links = links.config(&url)?;
            config.surveys = surveys.config()?;
            runtime()?.block_on(demo::run(&url, &addr, config))
        }
        Command::Serve {
            db,
            addr: a,
            public_url,
            links,
            surveys,
        } => {
            let url = db_url(&db)?;
            let addr = addr(&a);
            let mut config = server_config(public_url, &addr);
            config.links = links.config(&url)?;
            config.surveys = surveys.config()?;
            runtime()?.block_on(serve(&url, &addr, config))
        }
        Command::Migrate { db } => {
            let url = db_url(&db)?;
            runtime()?.block_on(async {
                let status = store::migrate(&url).await?;
                println!(
                    "database {} is at migration {} (this cxmap knows {})",
                    redact_url(&url),
                    status.database,
                    status.known
                );
                Ok(())
            })
        }
        Command::Import {
            file: path,
            db,
            project,
            replace,
        } => {
            let url = db_url(&db)?;
            runtime()?.block_on(import(&url, &path, project, replace))
        }
        Command::Export {
            journey,
            db,
            output,
        } => {
            let url = db_url(&db)?;
            runtime()?.block_on(async {
                let store = store::open(&url).await?;
                let text = file::to_string(&store.journey(journey).await?);
                match output {
                    Some(path) => std::fs::write(&path, text).map_err(io_err(&path)),
                    None => {
                        print!("{text}");
                        Ok(())
                    }
                }
            })
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    email,
                    name,
                    label,
                },
        } => {
            let url = db_url(&db)?;
            let email = Email::parse(&email)
                .map_err(|e| CliError::Usage(format!("--email: {}", e.message)))?;
            runtime()?.block_on(async {
                let store = store::open(&url).await?;
                let name = name.unwrap_or_else(|| {
                    email
                        .as_str()
                        .split('@')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
                let ensured =
                    cxmap_store::ensure_user(&*store, &email, &name, None, cxmap_domain::now())
                        .await?;
                if let Some(workspace) = &ensured.new_workspace {
                    eprintln!(
                        "created user {email} as owner of workspace {}",
                        workspace.id
                    );
                }
                let token = NewToken::generate();
                store
                    .add_token(ensured.user.id, &label, &token.hash)
                    .await?;
                println!("{}", token.plaintext);
                Ok(())
            })
        }
    }
}

fn render(path: &Path, output: &Path, lang: Lang) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let journey = file::parse(&text).map_err(|source| CliError::File {
        path: path.display().to_string(),
        source,
    })?;
    let svg = cxmap_render::render_svg(
        &journey,
        &cxmap_render::RenderOptions {
            lang,
            ..Default::default()
        },
    );
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("svg") => svg.into_bytes(),
        Some("png") => {
            cxmap_render::render_png(&svg, 2.0).map_err(|e| CliError::Render(e.to_string()))?
        }
        Some("pdf") => {
            cxmap_render::render_pdf(&svg).map_err(|e| CliError::Render(e.to_string()))?
        }
        _ => {
            return Err(CliError::Usage(format!(
                "{}: the output must end in .svg, .png or .pdf",
                output.display()
            )));
        }
    };
    std::fs::write(output, bytes).map_err(io_err(output))
}

async fn serve(url: &str, addr: &str, config: ServerConfig) -> Result<(), CliError> {
    let store = store::open(url).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(io_err(Path::new(addr)))?;
    tracing::info!(db = %redact_url(url), backend = store.backend(), "cxmap listening on http://{addr}");
    run_server(store, listener, addr, config).await
}

/// Serves until SIGTERM or Ctrl-C, then stores the clicks still in the journal (what cannot be
/// stored now is stored by the next start).
async fn run_server(
    store: std::sync::Arc<dyn cxmap_store::Store>,
    listener: tokio::net::TcpListener,
    addr: &str,
    config: ServerConfig,
) -> Result<(), CliError> {
    let journal = config.links.click_journal.clone().unwrap_or_default();
    let state = AppState::new(store, config).map_err(io_err(&journal))?;
    cxmap_server::serve(listener, state.clone(), cxmap_server::shutdown_signal())
        .await
        .map_err(io_err(Path::new(addr)))?;
    state.links.flush_clicks().await;
    Ok(())
}

async fn import(
    url: &str,
    path: &Path,
    project: Option<ProjectId>,
    replace: bool,
) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut journey = file::parse(&text).map_err(|source| CliError::File {
        path: path.display().to_string(),
        source,
    })?;
    let store = store::open(url).await?;
    let project_id = project.unwrap_or(journey.project_id);
    let project = store.project(project_id).await.map_err(|e| match e {
        StoreError::NotFound { .. } => CliError::Usage(format!(
            "project {project_id} is not in this database; pass --project ID of an existing project"
        )),
        other => other.into(),
    })?;
    journey.project_id = project.id;
    store.import_journey(&project, &journey, replace).await?;
    println!(
        "imported journey {} ({}) into project {}",
        journey.id, journey.title, project.id
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn journal_tags_name_the_database_without_credentials() {
        assert_eq!(
            super::journal_tag("postgres://me:s3cret@db.local:5432/cx?sslmode=require"),
            "db-local-5432-cx"
        );
        assert_eq!(
            super::journal_tag("postgres://127.0.0.1/test"),
            "127-0-0-1-test"
        );
    }
}
