//! Wall-clock time for `%Y` and `%T`.
//!
//! Both conversions take a nanosecond count since the epoch (normally `walltimestamp`), divide
//! it by 10⁹ truncating toward zero, and break the seconds down in the local time zone:
//!
//! * `%Y` prints the mdb-style form DTrace derives from `ctime(3)`, `"1973 Dec  3 17:20:00"`:
//!   characters 20–23 of the `ctime` line (the year) followed by characters 3–18 (a space, the
//!   month, the day padded to two columns with a space, and the time).
//! * `%T` prints `strftime("%a, %d %b %G %T %Z")`, the RFC 822 form. The year there is the
//!   ISO 8601 week-based year (`%G`), so the last days of December can show the next year —
//!   that is what DTrace prints.

use crate::tz::{TimeZone, system_zone};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down local time, like C's `struct tm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// The year, e.g. 2024.
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day of the month 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u32,
    /// Day of the year, 0 = January 1.
    pub yearday: u32,
    /// Seconds east of UTC.
    pub utc_offset: i64,
    /// Time zone abbreviation.
    pub abbreviation: String,
}

impl LocalTime {
    /// Breaks `seconds` since the epoch down in `zone`.
    pub fn in_zone(seconds: i64, zone: &TimeZone) -> LocalTime {
        let ty = zone.type_at(seconds);
        let local = seconds.saturating_add(ty.utc_offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
            yearday: (days - days_from_civil(year, 1, 1)) as u32,
            utc_offset: ty.utc_offset,
            abbreviation: ty.abbreviation,
        }
    }

    /// Breaks `seconds` since the epoch down in UTC.
    pub fn utc(seconds: i64) -> LocalTime {
        LocalTime::in_zone(seconds, &TimeZone::utc())
    }

    /// Breaks `seconds` since the epoch down in the process's local zone.
    pub fn local(seconds: i64) -> LocalTime {
        LocalTime::in_zone(seconds, system_zone())
    }

    fn weekday_name(&self) -> &'static str {
        WEEKDAYS
            .get(self.weekday as usize)
            .copied()
            .unwrap_or("???")
    }

    fn month_name(&self) -> &'static str {
        MONTHS
            .get(self.month.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("???")
    }

    /// The ISO 8601 week-based year (`strftime`'s `%G`).
    pub fn iso_week_year(&self) -> i64 {
        let monday_based = i64::from((self.weekday + 6) % 7);
        let thursday = i64::from(self.yearday) - monday_based + 3;
        let days_in_year = if is_leap(self.year) { 366 } else { 365 };
        if thursday < 0 {
            self.year - 1
        } else if thursday >= days_in_year {
            self.year + 1
        } else {
            self.year
        }
    }
}

/// Seconds since the epoch of a nanosecond timestamp, truncating toward zero as C does.
pub(crate) fn seconds_of(nanoseconds: i64) -> i64 {
    nanoseconds / 1_000_000_000
}

/// The `%Y` text: `"2024 Oct 11 12:00:00"`.
pub fn format_y(time: &LocalTime) -> String {
    let ctime = format!(
        "{} {}{:3} {:02}:{:02}:{:02} {}\n",
        time.weekday_name(),
        time.month_name(),
        time.day,
        time.hour,
        time.minute,
        time.second,
        time.year
    );
    let year = ctime.get(20..24).unwrap_or("");
    let rest = ctime.get(3..19).unwrap_or("");
    format!("{year}{rest}")
}

/// The `%T` text: `"Fri, 11 Oct 2024 12:00:00 UTC"`.
pub fn format_rfc822(time: &LocalTime) -> String {
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {}",
        time.weekday_name(),
        time.day,
        time.month_name(),
        time.iso_week_year(),
        time.hour,
        time.minute,
        time.second,
        time.abbreviation
    )
}

pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn mdb_and_rfc822_forms() {
        // 1973-12-03 17:20:00 UTC
        let t = LocalTime::utc(123_787_200);
        assert_eq!(format_y(&t), "1973 Dec  3 17:20:00");
        assert_eq!(format_rfc822(&t), "Mon, 03 Dec 1973 17:20:00 UTC");
        // 2024-10-11 12:00:00 UTC
        let t = LocalTime::utc(1_728_648_000);
        assert_eq!(format_y(&t), "2024 Oct 11 12:00:00");
    }

    #[test]
    fn rfc822_uses_the_iso_week_year() {
        // 2024-12-30 is in ISO week 1 of 2025.
        let t = LocalTime::utc(1_735_560_000);
        assert_eq!(format_rfc822(&t), "Mon, 30 Dec 2025 12:00:00 UTC");
        // 2021-01-01 is in ISO week 53 of 2020.
        let t = LocalTime::utc(1_609_502_400);
        assert_eq!(format_rfc822(&t), "Fri, 01 Jan 2020 12:00:00 UTC");
    }

    #[test]
    fn negative_nanoseconds_truncate_toward_zero() {
        assert_eq!(seconds_of(-1_500_000_000), -1);
        assert_eq!(format_y(&LocalTime::utc(-1)), "1969 Dec 31 23:59:59");
    }

    #[test]
    fn extreme_instants_do_not_overflow() {
        let zone = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        for secs in [i64::MAX, i64::MIN, i64::MAX / 2, i64::MIN / 2] {
            let t = LocalTime::in_zone(secs, &zone);
            let _ = (format_y(&t), format_rfc822(&t));
        }
    }

    /// The zone code agrees with the system `date` command for a few zones and instants.
    #[test]
    fn matches_system_date() {
        let zones = [
            "Europe/Paris",
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
        ];
        let instants = [
            0i64,
            1_711_846_799,
            1_711_846_800,
            1_728_648_000,
            2_000_000_000,
        ];
        for zone_name in zones {
            let Some(zone) = TimeZone::from_file(&format!("/usr/share/zoneinfo/{zone_name}"))
            else {
                continue;
            };
            for &secs in &instants {
                let Ok(output) = std::process::Command::new("date")
                    .env("TZ", zone_name)
                    .arg("-d")
                    .arg(format!("@{secs}"))
                    .arg("+%Y %b %e %H:%M:%S|%a, %d %b %G %H:%M:%S %Z")
                    .output()
                else {
                    return; // No `date` command to compare with.
                };
                let expected = String::from_utf8_lossy(&output.stdout)
                    .trim_end()
                    .to_string();
                let t = LocalTime::in_zone(secs, &zone);
                let got = format!("{}|{}", format_y(&t), format_rfc822(&t));
                assert_eq!(got, expected, "{zone_name} at {secs}");
            }
        }
    }
}
