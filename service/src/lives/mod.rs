//! LIVES (Yelp's Local Inspector Value-Entry Specification): the open format cities publish their
//! inspection data in — `businesses.csv`, `inspections.csv`, `violations.csv`.
//!
//! [`read`] turns one file's bytes into typed rows the way real exports come: any encoding of UTF-8
//! (with or without a byte-order mark) or, failing that, Windows-1252 (a superset of Latin-1); CRLF or
//! LF; header names in any case and order; unknown and optional columns; quoted fields with commas
//! and newlines. A row that cannot be read is skipped and reported with its file, line and reason;
//! one bad row never stops the rest. Writing the rows to the database is the importer's job.

mod read;

pub use read::{
    read, Business, Columns, Inspection, LivesFile, LivesRow, Skipped, Table, Violation,
};
