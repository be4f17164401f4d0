//! Asia/Bangkok time and Thai-style dates. Thailand has been UTC+7 all year since 1920
//! (no daylight saving), so a fixed offset is exact and needs no time-zone database.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

mod parse;
pub use parse::parse_thai_datetime;

pub const BANGKOK: UtcOffset = time::macros::offset!(+7);

/// Buddhist-era years run 543 ahead of Common-era years (2567 B.E. = 2024 C.E.).
pub const BE_OFFSET: i32 = 543;

pub const THAI_MONTHS: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

pub const THAI_MONTHS_ABBR: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];

pub fn to_bangkok(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(BANGKOK)
}

pub fn be_year(ce_year: i32) -> i32 {
    ce_year + BE_OFFSET
}

pub fn ce_year(be_year: i32) -> i32 {
    be_year - BE_OFFSET
}

/// Replaces ASCII digits by Thai digits ๐–๙, leaving everything else alone.
pub fn to_thai_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('๐' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Replaces Thai digits ๐–๙ by ASCII digits.
pub fn to_ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '๐'..='๙' => char::from_u32('0' as u32 + (c as u32 - '๐' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// `14 กุมภาพันธ์ 2560` (or with Thai digits: `๑๔ กุมภาพันธ์ ๒๕๖๐`).
pub fn format_thai_date_long(d: Date, thai_digits: bool) -> String {
    let s = format!(
        "{} {} {}",
        d.day(),
        THAI_MONTHS[d.month() as usize - 1],
        be_year(d.year())
    );
    if thai_digits {
        to_thai_digits(&s)
    } else {
        s
    }
}

/// `14 ก.พ. 2560`.
pub fn format_thai_date_short(d: Date) -> String {
    format!(
        "{} {} {}",
        d.day(),
        THAI_MONTHS_ABBR[d.month() as usize - 1],
        be_year(d.year())
    )
}

/// `14 ก.พ. 2560 09:30 น.`: an instant's Bangkok day and time of day, as Thai pages and
/// reports print it.
pub fn format_thai_moment(t: OffsetDateTime) -> String {
    let b = to_bangkok(t);
    format!(
        "{} {:02}:{:02} น.",
        format_thai_date_short(b.date()),
        b.hour(),
        b.minute()
    )
}

/// The years (C.E.) a date given to praden may fall in. The store cannot hold every year
/// `time` can: SQLite keeps instants as RFC 3339 text, which has no room for a year before 0
/// or after 9999 (sqlx then fails the whole statement, and with it every other row of the
/// batch), and compares them as text, which is only right for four-digit years; PostgreSQL
/// holds 4713 BC to 294276 AD. A date outside these years is a typo, a B.E. year read as C.E.
/// twice, or a Unix time in the wrong unit, never news: refusing it at the edge, named, keeps
/// it from failing the request it came in (and keeps Bangkok-time arithmetic away from
/// `time`'s limits).
pub const SANE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// Whether `d` falls in [`SANE_YEARS`].
pub fn is_sane_date(d: Date) -> bool {
    SANE_YEARS.contains(&d.year())
}

/// `t` if its day, in UTC and in Bangkok, falls in [`SANE_YEARS`]; else why not.
pub fn sane_instant(t: OffsetDateTime) -> Result<OffsetDateTime, &'static str> {
    // Checked in UTC, where the store keeps it (by Unix time: converting an instant near
    // `time`'s own limits to UTC could panic). The Bangkok day is then at most one day later,
    // far from those limits.
    const FIRST: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
    const END: i64 = 7_258_118_400; // 2200-01-01T00:00:00Z
    if (FIRST..END).contains(&t.unix_timestamp()) {
        Ok(t)
    } else {
        Err(OUT_OF_RANGE)
    }
}

/// The reason given for a date outside [`SANE_YEARS`].
pub const OUT_OF_RANGE: &str = "year out of range (1900–2199 C.E., 2443–2742 B.E.)";

/// Midnight Bangkok time of a calendar date, as the instant a date-only timestamp stands for.
pub fn bangkok_midnight(d: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(BANGKOK)
}

/// What a date field accepts, for messages.
pub const DATE_FORMS: &str = "expected a date such as 2567-01-31, 31/01/2567 or 31 ม.ค. 67";

/// Parses a day as Thai users type it: `YYYY-MM-DD`, `D/M/YYYY` (or `D.M.YYYY`) and
/// `D <Thai month, full or abbreviated> YYYY`, in Thai or Arabic digits. A year above 2400 is
/// B.E. (no document we handle is dated before 2400 C.E. or after 2400 B.E., 1857 C.E.), a
/// two-digit year is B.E. 25YY as Thai writing abbreviates it ("31 ธ.ค. 66" is 2023-12-31).
pub fn parse_date_any_era(s: &str) -> Result<Date, DateError> {
    let ascii = to_ascii_digits(s.trim());
    let num = |p: &str| {
        p.trim()
            .parse::<i32>()
            .map_err(|_| DateError::new(s, DATE_FORMS))
    };
    let fields = |sep: char| {
        let parts: Vec<&str> = ascii.split(sep).collect();
        (parts.len() == 3).then_some(parts)
    };
    let (year, m, d) = if let Some(p) = fields('-') {
        (p[0], num(p[1])?, num(p[2])?)
    } else if let Some(p) = fields('/').or_else(|| fields('.').filter(|p| p[0].len() <= 2)) {
        (p[2], num(p[1])?, num(p[0])?)
    } else {
        // "31 ธ.ค. 66", "31 ธันวาคม 2566": the day, the month's name, the year.
        let words: Vec<&str> = ascii.split_whitespace().collect();
        let [d, month, y] = words[..] else {
            return Err(DateError::new(s, DATE_FORMS));
        };
        let bare = |m: &str| m.replace('.', "");
        let m = THAI_MONTHS
            .iter()
            .position(|full| *full == month)
            .or_else(|| {
                THAI_MONTHS_ABBR
                    .iter()
                    .position(|abbr| bare(abbr) == bare(month))
            })
            .ok_or_else(|| DateError::new(s, "unknown Thai month name"))?;
        (y, m as i32 + 1, num(d)?)
    };
    let y = match num(year)? {
        y if year.trim().len() <= 2 => ce_year(2500 + y),
        y if y > 2400 => ce_year(y),
        y => y,
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| DateError::new(s, "month must be 1–12"))?;
    let day = u8::try_from(d).map_err(|_| DateError::new(s, "day out of range"))?;
    let date =
        Date::from_calendar_date(y, month, day).map_err(|_| DateError::new(s, "no such day"))?;
    if !is_sane_date(date) {
        return Err(DateError::new(s, OUT_OF_RANGE));
    }
    Ok(date)
}

#[derive(Debug, thiserror::Error)]
#[error("invalid date “{input}”: {reason}")]
pub struct DateError {
    pub input: String,
    pub reason: &'static str,
}

impl DateError {
    fn new(input: &str, reason: &'static str) -> Self {
        Self {
            input: input.to_string(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn formats_thai_dates_in_buddhist_era() {
        assert_eq!(
            format_thai_date_long(date!(2017 - 02 - 14), true),
            "๑๔ กุมภาพันธ์ ๒๕๖๐"
        );
        assert_eq!(
            format_thai_date_long(date!(2017 - 02 - 14), false),
            "14 กุมภาพันธ์ 2560"
        );
        assert_eq!(
            format_thai_date_short(date!(2017 - 02 - 14)),
            "14 ก.พ. 2560"
        );
        assert_eq!(
            format_thai_date_short(date!(2023 - 12 - 31)),
            "31 ธ.ค. 2566"
        );
        assert_eq!(format_thai_date_short(date!(2024 - 01 - 01)), "1 ม.ค. 2567");
    }

    #[test]
    fn bangkok_is_utc_plus_seven_across_the_year_boundary() {
        let t = datetime!(2023-12-31 17:30 UTC);
        let b = to_bangkok(t);
        assert_eq!(b.date(), date!(2024 - 01 - 01));
        assert_eq!(b.hour(), 0);
    }

    #[test]
    fn parses_dates_in_either_era_and_thai_digits() {
        assert_eq!(
            parse_date_any_era("2024-03-05").unwrap(),
            date!(2024 - 03 - 05)
        );
        assert_eq!(
            parse_date_any_era("2567-03-05").unwrap(),
            date!(2024 - 03 - 05)
        );
        assert_eq!(
            parse_date_any_era("๒๕๖๗-๐๓-๐๕").unwrap(),
            date!(2024 - 03 - 05)
        );
        assert!(parse_date_any_era("2024-02-30").is_err());
        assert!(parse_date_any_era("2024-13-01").is_err());
        assert!(parse_date_any_era("yesterday").is_err());
    }

    #[test]
    fn parses_dates_as_thai_users_type_them() {
        let eve = date!(2023 - 12 - 31);
        for typed in [
            "31/12/2566",
            "31/12/2023",
            "31/12/66",
            "๓๑/๑๒/๒๕๖๖",
            "31.12.2566",
            "31 ธ.ค. 66",
            "31 ธ.ค. 2566",
            "31 ธค 2566",
            "31 ธันวาคม 2566",
            "๓๑ ธันวาคม ๒๕๖๖",
            " 2566-12-31 ",
        ] {
            assert_eq!(parse_date_any_era(typed).unwrap(), eve, "{typed}");
        }
        assert_eq!(
            parse_date_any_era("5/3/2567").unwrap(),
            date!(2024 - 03 - 05)
        );
        let e = parse_date_any_era("31 ธันวา 2566").unwrap_err();
        assert_eq!(e.reason, "unknown Thai month name");
        assert!(parse_date_any_era("31/02/2567").is_err());
        assert!(parse_date_any_era("31/12").is_err());
    }

    #[test]
    fn dates_the_store_cannot_hold_are_refused_by_name() {
        for bad in [
            "0000-01-01",
            "1899-12-31",
            "2200-01-01",
            "2399-01-01",
            "9999-12-31",
        ] {
            let e = parse_date_any_era(bad).unwrap_err();
            assert_eq!(e.reason, OUT_OF_RANGE, "{bad}");
        }
        assert_eq!(
            parse_date_any_era("1900-01-01").unwrap(),
            date!(1900 - 01 - 01)
        );
        assert_eq!(
            parse_date_any_era("2742-12-31").unwrap(),
            date!(2199 - 12 - 31)
        );
        assert!(sane_instant(datetime!(2024-03-05 10:00 +7)).is_ok());
        // Still 1899 in UTC, where the store keeps it.
        assert!(sane_instant(datetime!(1900-01-01 06:00 +7)).is_err());
        assert!(sane_instant(datetime!(-1200-01-01 00:00 UTC)).is_err());
        assert!(sane_instant(datetime!(9999-12-31 23:00 UTC)).is_err());
        assert!(sane_instant(datetime!(9999-12-31 23:00 -5)).is_err());
        assert!(sane_instant(datetime!(2199-12-31 23:59:59 UTC)).is_ok());
        assert!(sane_instant(datetime!(2200-01-01 00:00 UTC)).is_err());
        assert!(sane_instant(datetime!(1900-01-01 00:00 UTC)).is_ok());
    }
}
