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

/// Midnight Bangkok time of a calendar date, as the instant a date-only timestamp stands for.
pub fn bangkok_midnight(d: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(BANGKOK)
}

/// Parses `YYYY-MM-DD` where the year may be C.E. or B.E.: Thai users write either, and no
/// document we handle is dated before 2400 C.E. or after 2400 B.E. (1857 C.E.), so a year
/// above 2400 is read as B.E.
pub fn parse_date_any_era(s: &str) -> Result<Date, DateError> {
    let ascii = to_ascii_digits(s.trim());
    let mut parts = ascii.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(DateError::new(s, "expected YYYY-MM-DD"));
    };
    let num = |p: &str| {
        p.parse::<i32>()
            .map_err(|_| DateError::new(s, "expected YYYY-MM-DD"))
    };
    let (mut y, m, d) = (num(y)?, num(m)?, num(d)?);
    if y > 2400 {
        y = ce_year(y);
    }
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| DateError::new(s, "month must be 1–12"))?;
    let day = u8::try_from(d).map_err(|_| DateError::new(s, "day out of range"))?;
    Date::from_calendar_date(y, month, day).map_err(|_| DateError::new(s, "no such day"))
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
}
