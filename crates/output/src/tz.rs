//! The local time zone, read from the system's zoneinfo files without the C library.
//!
//! `%Y` and `%T` print wall-clock time in the local zone, as `localtime_r(3)` would. Calling
//! the C library needs `unsafe`, which this project keeps out of this crate, so the zone is
//! resolved the way the GNU C library resolves it:
//!
//! * `TZ` unset: the compiled zone in `/etc/localtime`;
//! * `TZ` empty: UTC;
//! * `TZ=[:]name`: the file `name` (absolute) or `$TZDIR/name` (default `/usr/share/zoneinfo`),
//!   and if no such file parses, `name` read as a POSIX rule such as `EST5EDT,M3.2.0,M11.1.0`;
//! * anything that cannot be read: UTC.
//!
//! A zoneinfo (TZif, RFC 8536) file lists transition instants and the local-time types in force
//! after each; instants after the last transition follow the POSIX rule in the file's footer.
//! Instants before the first transition use the first local-time type. Leap-second ("right/")
//! zones are read but their leap seconds are not applied.

use std::sync::OnceLock;

/// One kind of local time: offset from UTC, daylight flag, abbreviation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalTimeType {
    /// Seconds east of UTC.
    pub utc_offset: i64,
    /// Whether this is daylight-saving time.
    pub is_dst: bool,
    /// Abbreviation, e.g. `CEST`.
    pub abbreviation: String,
}

/// A day within a year on which a POSIX TZ rule switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuleDay {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(u16),
    /// `n`: day 0..=365, February 29 counted.
    Julian0(u16),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    MonthWeekDay { month: u8, week: u8, weekday: u8 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DstRule {
    daylight: LocalTimeType,
    start: RuleDay,
    /// Seconds after local (standard) midnight.
    start_time: i64,
    end: RuleDay,
    /// Seconds after local (daylight) midnight.
    end_time: i64,
}

/// A POSIX TZ rule: a standard time and optionally a yearly daylight-saving period.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PosixRule {
    standard: LocalTimeType,
    dst: Option<DstRule>,
}

/// A time zone: explicit transitions, then a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone {
    transitions: Vec<(i64, usize)>,
    types: Vec<LocalTimeType>,
    rule: Option<PosixRule>,
}

impl TimeZone {
    /// Coordinated Universal Time.
    pub fn utc() -> TimeZone {
        TimeZone {
            transitions: Vec::new(),
            types: vec![utc_type()],
            rule: None,
        }
    }

    /// The zone the C library would use for this process (see the module documentation).
    pub fn from_environment() -> TimeZone {
        match std::env::var_os("TZ") {
            None => TimeZone::from_file("/etc/localtime").unwrap_or_else(TimeZone::utc),
            Some(value) => {
                let value = value.to_string_lossy().into_owned();
                let spec = value.strip_prefix(':').unwrap_or(&value);
                if spec.is_empty() {
                    return TimeZone::utc();
                }
                let path = if spec.starts_with('/') {
                    spec.to_string()
                } else {
                    let dir = std::env::var("TZDIR")
                        .unwrap_or_else(|_| "/usr/share/zoneinfo".to_string());
                    format!("{dir}/{spec}")
                };
                TimeZone::from_file(&path)
                    .or_else(|| TimeZone::from_posix(spec))
                    .unwrap_or_else(TimeZone::utc)
            }
        }
    }

    /// Reads a compiled zoneinfo file.
    pub fn from_file(path: &str) -> Option<TimeZone> {
        TimeZone::from_tzif(&std::fs::read(path).ok()?)
    }

    /// Parses a POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`.
    pub fn from_posix(spec: &str) -> Option<TimeZone> {
        let rule = parse_posix(spec)?;
        Some(TimeZone {
            transitions: Vec::new(),
            types: vec![rule.standard.clone()],
            rule: Some(rule),
        })
    }

    /// Parses TZif data (versions 1 to 4).
    pub fn from_tzif(data: &[u8]) -> Option<TimeZone> {
        let header = TzifHeader::parse(data)?;
        if header.version < b'2' {
            let (zone, _) = parse_tzif_block(data, &header, 44, 4)?;
            return Some(zone);
        }
        // Version 2+ repeats the data with 64-bit times after the 32-bit block.
        let second = 44 + header.block_len(4);
        let header2 = TzifHeader::parse(data.get(second..)?)?;
        let (mut zone, end) = parse_tzif_block(data, &header2, second + 44, 8)?;
        let footer = data.get(end..)?;
        if let Some(rest) = footer.strip_prefix(b"\n")
            && let Some(newline) = rest.iter().position(|&b| b == b'\n')
        {
            let text = std::str::from_utf8(rest.get(..newline)?).ok()?;
            if !text.is_empty() {
                zone.rule = parse_posix(text);
            }
        }
        Some(zone)
    }

    /// The local time type in force at `seconds` after the epoch.
    pub fn type_at(&self, seconds: i64) -> LocalTimeType {
        let after_last = self.transitions.last().is_none_or(|&(at, _)| seconds >= at);
        if after_last && let Some(rule) = &self.rule {
            return rule.type_at(seconds);
        }
        let index = match self.transitions.partition_point(|&(at, _)| at <= seconds) {
            0 => 0,
            n => self.transitions.get(n - 1).map_or(0, |&(_, ty)| ty),
        };
        self.types.get(index).cloned().unwrap_or_else(utc_type)
    }
}

fn utc_type() -> LocalTimeType {
    LocalTimeType {
        utc_offset: 0,
        is_dst: false,
        abbreviation: "UTC".to_string(),
    }
}

/// The process-wide local zone, resolved once.
pub(crate) fn system_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(TimeZone::from_environment)
}

struct TzifHeader {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

impl TzifHeader {
    fn parse(data: &[u8]) -> Option<TzifHeader> {
        if data.get(..4)? != b"TZif" {
            return None;
        }
        let count = |i: usize| be32(data, 20 + 4 * i).map(|n| n as usize);
        Some(TzifHeader {
            version: *data.get(4)?,
            isutcnt: count(0)?,
            isstdcnt: count(1)?,
            leapcnt: count(2)?,
            timecnt: count(3)?,
            typecnt: count(4)?,
            charcnt: count(5)?,
        })
    }

    fn block_len(&self, time_size: usize) -> usize {
        self.timecnt * (time_size + 1)
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (time_size + 4)
            + self.isstdcnt
            + self.isutcnt
    }
}

/// Parses one data block starting at `at`; returns the zone and the offset after the block.
fn parse_tzif_block(
    data: &[u8],
    header: &TzifHeader,
    at: usize,
    time_size: usize,
) -> Option<(TimeZone, usize)> {
    let times_at = at;
    let indices_at = times_at + header.timecnt * time_size;
    let types_at = indices_at + header.timecnt;
    let chars_at = types_at + header.typecnt * 6;
    let end = at + header.block_len(time_size);
    if end > data.len() || header.typecnt == 0 {
        return None;
    }
    let chars = data.get(chars_at..chars_at + header.charcnt)?;
    let mut types = Vec::with_capacity(header.typecnt);
    for i in 0..header.typecnt {
        let base = types_at + 6 * i;
        let offset = be32(data, base)? as i32;
        let abbr_at = usize::from(*data.get(base + 5)?);
        let abbr = chars.get(abbr_at..)?;
        let abbr = abbr.get(..abbr.iter().position(|&b| b == 0)?)?;
        types.push(LocalTimeType {
            utc_offset: i64::from(offset),
            is_dst: *data.get(base + 4)? != 0,
            abbreviation: String::from_utf8_lossy(abbr).into_owned(),
        });
    }
    let mut transitions = Vec::with_capacity(header.timecnt);
    for i in 0..header.timecnt {
        let at = times_at + i * time_size;
        let time = if time_size == 8 {
            i64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?)
        } else {
            i64::from(be32(data, at)? as i32)
        };
        let index = usize::from(*data.get(indices_at + i)?);
        if index >= types.len() {
            return None;
        }
        transitions.push((time, index));
    }
    Some((
        TimeZone {
            transitions,
            types,
            rule: None,
        },
        end,
    ))
}

/// A cursor over a POSIX TZ string.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Option<i64> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        std::str::from_utf8(self.text.get(start..self.at)?)
            .ok()?
            .parse()
            .ok()
    }

    /// A zone name: three or more letters, or anything between `<` and `>`.
    fn name(&mut self) -> Option<String> {
        let start = self.at;
        let name = if self.eat(b'<') {
            while self.peek().is_some_and(|b| b != b'>') {
                self.at += 1;
            }
            let name = self.text.get(start + 1..self.at)?;
            if !self.eat(b'>') {
                return None;
            }
            name
        } else {
            while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                self.at += 1;
            }
            self.text.get(start..self.at)?
        };
        (name.len() >= 3).then(|| String::from_utf8_lossy(name).into_owned())
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn time(&mut self) -> Option<i64> {
        let negative = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let mut seconds = self.number()? * 3600;
        if self.eat(b':') {
            seconds += self.number()? * 60;
            if self.eat(b':') {
                seconds += self.number()?;
            }
        }
        Some(if negative { -seconds } else { seconds })
    }

    fn rule_day(&mut self) -> Option<RuleDay> {
        if self.eat(b'J') {
            let day = u16::try_from(self.number()?).ok()?;
            (1..=365).contains(&day).then_some(RuleDay::Julian1(day))
        } else if self.eat(b'M') {
            let month = u8::try_from(self.number()?).ok()?;
            let ok = self.eat(b'.');
            let week = u8::try_from(self.number()?).ok()?;
            let ok = ok && self.eat(b'.');
            let weekday = u8::try_from(self.number()?).ok()?;
            (ok && (1..=12).contains(&month) && (1..=5).contains(&week) && weekday <= 6).then_some(
                RuleDay::MonthWeekDay {
                    month,
                    week,
                    weekday,
                },
            )
        } else {
            let day = u16::try_from(self.number()?).ok()?;
            (day <= 365).then_some(RuleDay::Julian0(day))
        }
    }

    fn rule_point(&mut self) -> Option<(RuleDay, i64)> {
        let day = self.rule_day()?;
        let time = if self.eat(b'/') { self.time()? } else { 7200 };
        Some((day, time))
    }
}

fn parse_posix(spec: &str) -> Option<PosixRule> {
    let mut c = Cursor {
        text: spec.as_bytes(),
        at: 0,
    };
    let std_name = c.name()?;
    let std_offset = -c.time()?;
    let standard = LocalTimeType {
        utc_offset: std_offset,
        is_dst: false,
        abbreviation: std_name,
    };
    if c.peek().is_none() {
        return Some(PosixRule {
            standard,
            dst: None,
        });
    }
    let dst_name = c.name()?;
    let dst_offset = match c.peek() {
        Some(b) if b != b',' => -c.time()?,
        _ => std_offset + 3600,
    };
    let ((start, start_time), (end, end_time)) = if c.eat(b',') {
        let start = c.rule_point()?;
        if !c.eat(b',') {
            return None;
        }
        (start, c.rule_point()?)
    } else {
        // The GNU C library's default when a rule is missing: the United States rule.
        (
            (
                RuleDay::MonthWeekDay {
                    month: 3,
                    week: 2,
                    weekday: 0,
                },
                7200,
            ),
            (
                RuleDay::MonthWeekDay {
                    month: 11,
                    week: 1,
                    weekday: 0,
                },
                7200,
            ),
        )
    };
    if c.peek().is_some() {
        return None;
    }
    Some(PosixRule {
        standard,
        dst: Some(DstRule {
            daylight: LocalTimeType {
                utc_offset: dst_offset,
                is_dst: true,
                abbreviation: dst_name,
            },
            start,
            start_time,
            end,
            end_time,
        }),
    })
}

impl PosixRule {
    fn type_at(&self, seconds: i64) -> LocalTimeType {
        let Some(dst) = &self.dst else {
            return self.standard.clone();
        };
        let local = seconds.saturating_add(self.standard.utc_offset);
        let year = crate::time::civil_from_days(local.div_euclid(86_400)).0;
        let instant = |day: RuleDay, time: i64, offset: i64| {
            rule_day_to_days(year, day)
                .saturating_mul(86_400)
                .saturating_add(time)
                .saturating_sub(offset)
        };
        let start = instant(dst.start, dst.start_time, self.standard.utc_offset);
        let end = instant(dst.end, dst.end_time, dst.daylight.utc_offset);
        let in_dst = if start < end {
            seconds >= start && seconds < end
        } else {
            seconds < end || seconds >= start
        };
        if in_dst {
            dst.daylight.clone()
        } else {
            self.standard.clone()
        }
    }
}

/// Days since the epoch of the rule's day in `year`.
fn rule_day_to_days(year: i64, day: RuleDay) -> i64 {
    let jan1 = crate::time::days_from_civil(year, 1, 1);
    let leap = crate::time::is_leap(year);
    match day {
        RuleDay::Julian1(n) => {
            let n = i64::from(n);
            jan1 + n - 1 + i64::from(leap && n >= 60)
        }
        RuleDay::Julian0(n) => jan1 + i64::from(n),
        RuleDay::MonthWeekDay {
            month,
            week,
            weekday,
        } => {
            let first = crate::time::days_from_civil(year, u32::from(month), 1);
            let first_weekday = (first + 4).rem_euclid(7); // 1970-01-01 was a Thursday.
            let mut mday =
                1 + (i64::from(weekday) - first_weekday).rem_euclid(7) + 7 * (i64::from(week) - 1);
            let days_in_month = crate::time::days_in_month(year, u32::from(month));
            while mday > i64::from(days_in_month) {
                mday -= 7;
            }
            first + mday - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rule_switches() {
        let zone = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2024-07-01 12:00:00 UTC is summer time in Europe.
        let summer = zone.type_at(1_719_835_200);
        assert_eq!(summer.utc_offset, 7200);
        assert_eq!(summer.abbreviation, "CEST");
        // 2024-01-15 12:00:00 UTC is winter time.
        let winter = zone.type_at(1_705_320_000);
        assert_eq!(winter.utc_offset, 3600);
        assert_eq!(winter.abbreviation, "CET");
        // The switch on 2024-03-31 happens at 01:00 UTC.
        assert_eq!(zone.type_at(1_711_846_799).abbreviation, "CET");
        assert_eq!(zone.type_at(1_711_846_800).abbreviation, "CEST");
    }

    #[test]
    fn southern_hemisphere_and_quoted_names() {
        let zone = TimeZone::from_posix("<+11>-11<+12>,M9.5.0,M4.1.0/3").unwrap();
        assert_eq!(zone.type_at(1_705_320_000).abbreviation, "+12"); // January
        assert_eq!(zone.type_at(1_719_835_200).abbreviation, "+11"); // July
    }

    #[test]
    fn fixed_offset_rules() {
        let zone = TimeZone::from_posix("EST5").unwrap();
        assert_eq!(zone.type_at(0).utc_offset, -5 * 3600);
        assert!(TimeZone::from_posix("X").is_none());
        assert!(TimeZone::from_posix("EST5EDT,M3.2.0").is_none());
    }

    #[test]
    fn reads_zoneinfo_files_when_present() {
        let Some(zone) = TimeZone::from_file("/usr/share/zoneinfo/Europe/Paris") else {
            return; // No time zone database on this machine.
        };
        assert_eq!(zone.type_at(1_719_835_200).abbreviation, "CEST");
        assert_eq!(zone.type_at(1_705_320_000).abbreviation, "CET");
        // Far beyond the file's transitions the footer rule applies.
        assert_eq!(
            zone.type_at(4_102_444_800 + 200 * 86_400).abbreviation,
            "CEST"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(TimeZone::from_tzif(b"nonsense").is_none());
        assert!(TimeZone::from_tzif(b"TZif2").is_none());
    }
}
