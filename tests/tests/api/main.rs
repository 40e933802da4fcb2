//! End-to-end API tests; every test runs on SQLite and on PostgreSQL, each on a fresh database.

mod bad_data;
mod concurrency;
mod enforcement;
mod errors;
mod evidence_errors;
mod evidence_loop;
mod fair_scores;
mod faults;
mod health;
mod jobs;
mod openapi;
mod overdue;
mod pagination;
mod public;
mod reviews;
mod roles;
mod scoring;
mod served_enums;
mod service_first;
mod shops;
mod sweep;
mod work_tools;
