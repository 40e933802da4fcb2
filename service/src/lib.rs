//! shopcredit service: the HTTP API (actix-web), its storage (sqlx on SQLite or PostgreSQL) and the
//! `shopcredit` command line. Scoring arithmetic lives in the pure `shopcredit-scoring` crate.

pub mod assessor;
pub mod auth;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod jobs;
pub mod lives;
pub mod openapi;
pub mod outage;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod sweep;
pub mod telemetry;
pub mod throttle;
