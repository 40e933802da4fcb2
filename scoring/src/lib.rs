//! Pure scoring engine for shop safety credit: evidence in; score, colour and reasons out.
//! No I/O, no clock, no web, no SQL: time is always a parameter.
