//! One configuration for every command: flags override environment variables, which override
//! the TOML file (`--config`, `CXMAP_CONFIG`, or `./cxmap.toml` when present).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Values the TOML file may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL (`sqlite://PATH` or `postgres://…`).
    pub db: Option<String>,
    /// Listen address, e.g. `127.0.0.1:8080`.
    pub addr: Option<String>,
    /// The externally visible base URL.
    pub public_url: Option<String>,
    /// Largest request body in bytes.
    pub body_limit: Option<usize>,
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
}

impl FileConfig {
    /// Loads `explicit`, or `./cxmap.toml` if it exists, or nothing.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let default = Path::new("cxmap.toml");
        let path = match explicit {
            Some(path) => path,
            None if default.exists() => default,
            None => return Ok(Self::default()),
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

/// A database URL with any password replaced, safe to log.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/cx"),
            "postgres://app:***@db:5432/cx"
        );
        assert_eq!(redact_url("sqlite://cxmap.db"), "sqlite://cxmap.db");
    }

    #[test]
    fn unknown_keys_are_refused_with_a_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cxmap.toml");
        std::fs::write(&path, "db = \"sqlite://x.db\"\nport = 1\n").unwrap();
        let err = FileConfig::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("port"), "{err}");
        std::fs::write(&path, "db = \"sqlite://x.db\"\naddr = \"0.0.0.0:9\"\n").unwrap();
        let cfg = FileConfig::load(Some(&path)).unwrap();
        assert_eq!(cfg.addr.as_deref(), Some("0.0.0.0:9"));
    }
}
