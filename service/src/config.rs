//! Configuration: built-in defaults, then an optional TOML file, then environment variables.
//!
//! The file is `shopcredit.toml` in the working directory, or the path in `SHOPCREDIT_CONFIG`.
//! Every key is documented in the README.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default embedded database: a SQLite file under `./data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/shopcredit.db";

/// All settings of the service and the CLI.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path` or `postgres://...`.
    pub database_url: String,
    /// Address the HTTP server binds, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub bind_addr: String,
    /// Public base URL used in links and door QR codes.
    pub public_base_url: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest number of pooled database connections.
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before answering 503.
    pub db_acquire_timeout_secs: u64,
    /// Number of HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Log filter in `tracing` syntax, e.g. `info` or `shopcredit_service=debug`.
    pub log: String,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Proxies whose `X-Forwarded-For` is believed (exact IP addresses). Everyone else is keyed by
    /// the peer address, so a client cannot dodge rate limits by sending the header itself.
    pub trusted_proxies: Vec<String>,
    /// The district's offset from UTC in minutes (China: +480), for calendar dates such as expiry.
    pub utc_offset_minutes: i32,
    /// How often the sweep rescores shops whose deadlines passed; 0 turns it off.
    pub sweep_interval_secs: u64,
    /// Bad bearer tokens one address may send at once before it is throttled (then one a minute).
    pub bad_token_burst: std::num::NonZeroU32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind_addr: "127.0.0.1:8080".to_owned(),
            public_base_url: "http://localhost:8080".to_owned(),
            max_body_bytes: 256 * 1024,
            db_max_connections: 8,
            db_acquire_timeout_secs: 5,
            workers: 0,
            log: "info".to_owned(),
            log_format: "text".to_owned(),
            trusted_proxies: Vec::new(),
            utc_offset_minutes: 480,
            sweep_interval_secs: 60,
            bad_token_burst: std::num::NonZeroU32::new(10).unwrap_or(std::num::NonZeroU32::MIN),
        }
    }
}

/// A configuration that could not be read; the message names the file or variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid value for {key}: {value:?} ({reason})")]
    Env {
        key: &'static str,
        value: String,
        reason: String,
    },
}

impl Settings {
    /// Defaults, then the config file (if any), then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let explicit = std::env::var_os("SHOPCREDIT_CONFIG").map(PathBuf::from);
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from("shopcredit.toml"));
        let mut settings = if explicit.is_some() || path.exists() {
            Self::from_file(&path)?
        } else {
            Self::default()
        };
        settings.apply_env(|key| std::env::var(key).ok())?;
        Ok(settings)
    }

    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Overrides settings from environment variables, read through `lookup` so tests need not touch
    /// the process environment.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(v) = lookup("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = lookup("SHOPCREDIT_BIND_ADDR") {
            self.bind_addr = v;
        }
        if let Some(v) = lookup("SHOPCREDIT_PUBLIC_BASE_URL") {
            self.public_base_url = v;
        }
        if let Some(v) = lookup("SHOPCREDIT_MAX_BODY_BYTES") {
            self.max_body_bytes = parse_env("SHOPCREDIT_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_DB_MAX_CONNECTIONS") {
            self.db_max_connections = parse_env("SHOPCREDIT_DB_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_DB_ACQUIRE_TIMEOUT_SECS") {
            self.db_acquire_timeout_secs = parse_env("SHOPCREDIT_DB_ACQUIRE_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_WORKERS") {
            self.workers = parse_env("SHOPCREDIT_WORKERS", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_LOG") {
            self.log = v;
        }
        if let Some(v) = lookup("SHOPCREDIT_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = lookup("SHOPCREDIT_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = lookup("SHOPCREDIT_SWEEP_INTERVAL_SECS") {
            self.sweep_interval_secs = parse_env("SHOPCREDIT_SWEEP_INTERVAL_SECS", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_UTC_OFFSET_MINUTES") {
            self.utc_offset_minutes = parse_env("SHOPCREDIT_UTC_OFFSET_MINUTES", v)?;
        }
        if let Some(v) = lookup("SHOPCREDIT_BAD_TOKEN_BURST") {
            self.bad_token_burst = parse_env("SHOPCREDIT_BAD_TOKEN_BURST", v)?;
        }
        Ok(())
    }
}

fn parse_env<T: std::str::FromStr>(key: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
        key,
        reason: e.to_string(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let mut s: Settings =
            toml::from_str("bind_addr = \"0.0.0.0:9000\"\nlog = \"debug\"").unwrap();
        s.apply_env(|k| (k == "SHOPCREDIT_BIND_ADDR").then(|| "127.0.0.1:1".to_owned()))
            .unwrap();
        assert_eq!(s.bind_addr, "127.0.0.1:1");
        assert_eq!(s.log, "debug");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        assert!(toml::from_str::<Settings>("bind_adr = \"x\"").is_err());
    }

    #[test]
    fn malformed_numbers_in_environment_name_the_variable() {
        let mut s = Settings::default();
        let err = s
            .apply_env(|k| (k == "SHOPCREDIT_MAX_BODY_BYTES").then(|| "lots".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("SHOPCREDIT_MAX_BODY_BYTES"));
    }

    #[test]
    fn the_bad_token_burst_is_configurable_and_never_zero() {
        let mut s = Settings::default();
        assert_eq!(s.bad_token_burst.get(), 10);
        s.apply_env(|k| (k == "SHOPCREDIT_BAD_TOKEN_BURST").then(|| "50".to_owned()))
            .unwrap();
        assert_eq!(s.bad_token_burst.get(), 50);
        let err = s
            .apply_env(|k| (k == "SHOPCREDIT_BAD_TOKEN_BURST").then(|| "0".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("SHOPCREDIT_BAD_TOKEN_BURST"));
    }
}
