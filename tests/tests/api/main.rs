//! End-to-end API tests; every test runs on SQLite and on PostgreSQL, each on a fresh database.

mod errors;
mod health;
mod openapi;
mod pagination;
mod public;
mod roles;
mod shops;
