//! Calendar days, for dates an owner reads (an extinguisher's or a licence's expiry). Which day an
//! instant falls on depends on the district's UTC offset, which the caller gives.
//!
//! Conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`
//! (<https://howardhinnant.github.io/date_algorithms.html>): exact for the proleptic Gregorian
//! calendar, negative days included.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{Timestamp, MS_PER_DAY};

/// A calendar day in the district's local calendar, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Day(pub i32);

/// Days in a 400-year Gregorian era.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01: eras start in March so the leap day ends the year.
const EPOCH_SHIFT: i64 = 719_468;

impl Day {
    /// The day `year-month-day`, or `None` when there is no such date (or it is too far off).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        i32::try_from(days_from_civil(i64::from(year), month, day))
            .ok()
            .map(Day)
    }

    /// Parses `YYYY-MM-DD` (the form dates are stored and sent in).
    pub fn parse(text: &str) -> Option<Day> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        let field = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
        let year = i32::try_from(field(0..4)?).ok()?;
        Day::from_ymd(year, field(5..7)?, field(8..10)?)
    }

    /// The day in the district containing `instant`, given the district's offset from UTC in
    /// minutes (China: +480).
    pub fn containing(instant: Timestamp, utc_offset_minutes: i32) -> Day {
        let local = instant
            .millis()
            .saturating_add(i64::from(utc_offset_minutes) * 60_000);
        clamped(local.div_euclid(MS_PER_DAY))
    }

    /// Year, month (1-12) and day of the month (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (year, month, day) = civil_from_days(i64::from(self.0));
        // |days| < 2^31 keeps |year| under six million, well inside i32.
        (year as i32, month, day)
    }

    /// This day moved by `days` (negative moves back); saturates instead of overflowing.
    pub fn plus_days(self, days: i64) -> Day {
        clamped(i64::from(self.0).saturating_add(days))
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        i64::from(later.0) - i64::from(self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

fn clamped(days: i64) -> Day {
    Day(days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    // Both values are small and non-negative by construction (day 1-31, month 1-12).
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_have_known_day_numbers() {
        let cases = [
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 3, 1), 11_017),
            ((2026, 11, 25), 20_782),
            ((1600, 2, 29), -135_081),
        ];
        for ((y, m, d), n) in cases {
            assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)), "{y}-{m}-{d}");
            assert_eq!(Day(n).ymd(), (y, m, d));
        }
    }

    #[test]
    fn every_day_round_trips_across_leap_years_and_before_the_epoch() {
        // 1599-03-01 to 2401-03-01: every century rule, leap days, and both signs of day number.
        let mut previous = Day(-135_447).ymd();
        for n in -135_446..=157_479 {
            let ymd = Day(n).ymd();
            assert!(ymd > previous, "{ymd:?} after {previous:?}");
            assert_eq!(Day::from_ymd(ymd.0, ymd.1, ymd.2), Some(Day(n)), "{ymd:?}");
            previous = ymd;
        }
        assert_eq!(previous, (2401, 3, 1));
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for (y, m, d) in [
            (2025, 2, 29),
            (1900, 2, 29),
            (2026, 4, 31),
            (2026, 13, 1),
            (2026, 0, 1),
            (2026, 1, 0),
        ] {
            assert_eq!(Day::from_ymd(y, m, d), None, "{y}-{m}-{d}");
        }
        assert!(Day::from_ymd(2000, 2, 29).is_some());
        assert_eq!(Day::from_ymd(i32::MAX, 1, 1), None);
    }

    #[test]
    fn days_display_and_parse_as_iso_dates() {
        let day = Day::from_ymd(2026, 11, 25);
        assert_eq!(day.map(|d| d.to_string()).as_deref(), Some("2026-11-25"));
        assert_eq!(Day::parse("2026-11-25"), day);
        assert_eq!(Day(-1).to_string(), "1969-12-31");
        for bad in [
            "2026-11-31",
            "2026-1-25",
            "26-11-25",
            "2026/11/25",
            "2026-11-2x",
            "",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn day_arithmetic_counts_calendar_days() {
        let leap = Day::from_ymd(2024, 2, 28).unwrap_or(Day(0));
        assert_eq!(leap.plus_days(2).ymd(), (2024, 3, 1));
        assert_eq!(leap.days_until(leap.plus_days(-3)), -3);
        assert!(leap < leap.plus_days(1));
        assert_eq!(Day(i32::MAX).plus_days(1), Day(i32::MAX));
    }

    #[test]
    fn an_instant_falls_on_the_districts_local_day() {
        // 2026-11-24T20:00Z is already the 25th in China (UTC+8) but still the 24th in UTC.
        let instant = Timestamp::from_millis(1_795_550_400_000);
        assert_eq!(Day::containing(instant, 0).to_string(), "2026-11-24");
        assert_eq!(Day::containing(instant, 480).to_string(), "2026-11-25");
        assert_eq!(Day::containing(Timestamp(-1), 0), Day(-1));
    }
}
