//! Dates as Thai sites print them, to an instant. Feeds mostly use RFC 822 / RFC 3339, but
//! article pages and older feeds write "5 มี.ค. 2567 10:15 น.", "วันอังคารที่ ๕ มีนาคม พ.ศ. ๒๕๖๗",
//! "05/03/67" or "2 ชั่วโมงที่แล้ว". Without a zone the time is Bangkok time; without a time of
//! day, midnight Bangkok. Relative forms need `now`, so the function stays pure.

use super::{ce_year, to_ascii_digits, DateError, BANGKOK, THAI_MONTHS, THAI_MONTHS_ABBR};
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Parses a Thai or standard date-time; see the module documentation for the forms.
pub fn parse_thai_datetime(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, DateError> {
    let t = parse_any(s, now)?;
    super::sane_instant(t).map_err(|reason| DateError::new(s, reason))
}

fn parse_any(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, DateError> {
    let trimmed = s.trim();
    if let Ok(t) = OffsetDateTime::parse(trimmed, &Rfc3339) {
        return Ok(t);
    }
    if let Ok(t) = OffsetDateTime::parse(trimmed, &Rfc2822) {
        return Ok(t);
    }
    let ascii = to_ascii_digits(trimmed);
    if let Some(t) = relative(&ascii, now) {
        return Ok(t);
    }
    let (date, rest) = thai_month_date(&ascii)
        .or_else(|| numeric_date(&ascii))
        .ok_or_else(|| DateError::new(s, "no date found (expected e.g. 5 มี.ค. 2567 10:15)"))?
        .map_err(|reason| DateError::new(s, reason))?;
    let time = time_of_day(rest).unwrap_or(Time::MIDNIGHT);
    Ok(PrimitiveDateTime::new(date, time).assume_offset(BANGKOK))
}

/// "2 ชั่วโมงที่แล้ว", "5 นาทีที่แล้ว", "เมื่อวานนี้ 10:15", "วันนี้ 08.00 น.", "เมื่อสักครู่".
fn relative(s: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let today = now.to_offset(BANGKOK);
    let on_day = |days_back: i64, rest: &str| {
        let day = today.date() - Duration::days(days_back);
        let time = time_of_day(rest).unwrap_or(Time::MIDNIGHT);
        PrimitiveDateTime::new(day, time).assume_offset(BANGKOK)
    };
    for (word, days_back) in [("เมื่อวานซืน", 2), ("เมื่อวานนี้", 1), ("เมื่อวาน", 1), ("วันนี้", 0)]
    {
        if let Some(rest) = compact.strip_prefix(word) {
            return Some(on_day(days_back, rest));
        }
    }
    if compact.starts_with("เมื่อสักครู่") || compact.starts_with("เมื่อครู่") || compact == "ล่าสุด"
    {
        return Some(now);
    }
    let ago = compact
        .strip_suffix("ที่แล้ว")
        .or_else(|| compact.strip_suffix("ก่อน"))?;
    let digits_end = ago.find(|c: char| !c.is_ascii_digit()).unwrap_or(ago.len());
    let n: i64 = if digits_end == 0 {
        1
    } else {
        ago[..digits_end].parse().ok()?
    };
    let unit = match &ago[digits_end..] {
        "วินาที" => Duration::seconds(1),
        "นาที" => Duration::minutes(1),
        "ชั่วโมง" | "ชม." | "ชม" => Duration::hours(1),
        "วัน" => Duration::days(1),
        "สัปดาห์" | "อาทิตย์" => Duration::weeks(1),
        _ => return None,
    };
    Some(now - unit * (n as i32))
}

/// A date written with a Thai month name or abbreviation: the day is the last number before
/// it, the year the first number after it. Returns the text after the year.
fn thai_month_date(s: &str) -> Option<Result<(Date, &str), &'static str>> {
    let (month_at, month_len, month) = find_month(s)?;
    let before = &s[..month_at];
    let after = &s[month_at + month_len..];
    let day = before
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|p| !p.is_empty());
    let Some(day) = day.and_then(|d| d.parse::<u8>().ok()) else {
        return Some(Err("a month without a day"));
    };
    let explicit_ce = after.trim_start().starts_with("ค.ศ.");
    let year_at = after.find(|c: char| c.is_ascii_digit())?;
    let year_len = after[year_at..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after.len() - year_at);
    let Ok(year) = after[year_at..year_at + year_len].parse::<i32>() else {
        return Some(Err("the year is not a number"));
    };
    let year = if explicit_ce { year } else { full_year(year) };
    Some(
        Date::from_calendar_date(year, month, day)
            .map(|d| (d, &after[year_at + year_len..]))
            .map_err(|_| "no such day"),
    )
}

/// The month name at the earliest position; among names starting there, the longest (so
/// "มีนาคม" is not read as "มี.ค." and "มกราคม" not as a shorter abbreviation).
fn find_month(s: &str) -> Option<(usize, usize, Month)> {
    let dotless: Vec<String> = THAI_MONTHS_ABBR
        .iter()
        .map(|a| a.replace('.', ""))
        .collect();
    let mut best: Option<(usize, usize, Month)> = None;
    for (i, names) in THAI_MONTHS.iter().zip(THAI_MONTHS_ABBR.iter()).enumerate() {
        let month = Month::try_from(i as u8 + 1).ok()?;
        for name in [*names.0, *names.1, dotless[i].as_str()] {
            let mut from = 0;
            while let Some(at) = s[from..].find(name).map(|p| p + from) {
                // A dotless abbreviation must not be the start of a longer Thai word.
                let next = s[at + name.len()..].chars().next();
                let whole = !name.contains('.')
                    && name != *names.0
                    && next.is_some_and(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c));
                if !whole {
                    let better = match best {
                        None => true,
                        Some((b_at, b_len, _)) => at < b_at || (at == b_at && name.len() > b_len),
                    };
                    if better {
                        best = Some((at, name.len(), month));
                    }
                    break;
                }
                from = at + name.len();
            }
        }
    }
    best
}

/// `05/03/2567`, `5-3-67`, `2024-03-05 10:15` (day first unless the year leads).
fn numeric_date(s: &str) -> Option<Result<(Date, &str), &'static str>> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let mut nums = Vec::new();
    let mut rest = &s[start..];
    for _ in 0..3 {
        let len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        nums.push((rest[..len].parse::<i32>().ok()?, len));
        rest = &rest[len..];
        if nums.len() < 3 {
            rest = rest.strip_prefix(['/', '-', '.'])?;
        }
    }
    let (y, m, d) = if nums[0].1 == 4 {
        (nums[0].0, nums[1].0, nums[2].0)
    } else {
        (full_year(nums[2].0), nums[1].0, nums[0].0)
    };
    let y = if y > 2400 { ce_year(y) } else { y };
    let month = u8::try_from(m).ok().and_then(|m| Month::try_from(m).ok());
    let Some(month) = month else {
        return Some(Err("month must be 1–12"));
    };
    let Ok(day) = u8::try_from(d) else {
        return Some(Err("no such day"));
    };
    Some(
        Date::from_calendar_date(y, month, day)
            .map(|d| (d, rest))
            .map_err(|_| "no such day"),
    )
}

/// Years as Thai sites write them: B.E. (2567), C.E. (2024) or two-digit B.E. (67).
fn full_year(y: i32) -> i32 {
    match y {
        0..=99 => ce_year(2500 + y),
        y if y > 2400 => ce_year(y),
        y => y,
    }
}

/// The first `HH:MM[:SS]` or `HH.MM` in `s`.
fn time_of_day(s: &str) -> Option<Time> {
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            continue;
        }
        let rest = &s[i..];
        let hl = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let after_h = &rest[hl..];
        let Some(after_sep) = after_h.strip_prefix([':', '.']) else {
            continue;
        };
        let ml = after_sep
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after_sep.len());
        if hl > 2 || ml != 2 {
            continue;
        }
        let (h, m) = (rest[..hl].parse().ok()?, after_sep[..ml].parse().ok()?);
        let sec = after_sep[ml..]
            .strip_prefix(':')
            .and_then(|x| x.get(..2))
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        if let Ok(t) = Time::from_hms(h, m, sec) {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-03-05 05:00 UTC); // 12:00 in Bangkok

    fn p(s: &str) -> OffsetDateTime {
        parse_thai_datetime(s, NOW).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn standard_formats() {
        assert_eq!(
            p("Tue, 05 Mar 2024 10:15:00 +0700"),
            datetime!(2024-03-05 03:15 UTC)
        );
        assert_eq!(
            p("2024-03-05T10:15:00+07:00"),
            datetime!(2024-03-05 03:15 UTC)
        );
        assert_eq!(p("2024-03-05T03:15:00Z"), datetime!(2024-03-05 03:15 UTC));
        assert_eq!(p("2024-03-05 10:15"), datetime!(2024-03-05 10:15 +7));
        assert_eq!(p("2567-03-05"), datetime!(2024-03-05 00:00 +7));
    }

    #[test]
    fn thai_month_names_and_abbreviations_in_either_era() {
        assert_eq!(p("5 มี.ค. 2567 10:15 น."), datetime!(2024-03-05 10:15 +7));
        assert_eq!(
            p("5 มีนาคม 2567 เวลา 10.15 น."),
            datetime!(2024-03-05 10:15 +7)
        );
        assert_eq!(
            p("วันอังคารที่ ๕ มีนาคม พ.ศ. ๒๕๖๗"),
            datetime!(2024-03-05 00:00 +7)
        );
        assert_eq!(p("๑๔ ก.พ. ๖๐"), datetime!(2017-02-14 00:00 +7));
        assert_eq!(
            p("14 กพ 2560 - 09:30:15"),
            datetime!(2017-02-14 09:30:15 +7)
        );
        assert_eq!(p("1 มกราคม ค.ศ. 2024"), datetime!(2024-01-01 00:00 +7));
        assert_eq!(p("31 ธ.ค. 2566 23:59"), datetime!(2023-12-31 23:59 +7));
        assert_eq!(p("12 พฤศจิกายน 2567"), datetime!(2024-11-12 00:00 +7));
        assert_eq!(p("3 มิ.ย. 2024"), datetime!(2024-06-03 00:00 +7));
        for (i, name) in THAI_MONTHS.iter().enumerate() {
            let got = p(&format!("1 {name} 2567"));
            assert_eq!(got.month() as usize, i + 1, "{name}");
            let got = p(&format!("1 {} 2567", THAI_MONTHS_ABBR[i]));
            assert_eq!(got.month() as usize, i + 1, "{}", THAI_MONTHS_ABBR[i]);
        }
    }

    #[test]
    fn numeric_dates_are_day_first() {
        assert_eq!(p("05/03/2567 10:15"), datetime!(2024-03-05 10:15 +7));
        assert_eq!(p("5-3-67"), datetime!(2024-03-05 00:00 +7));
        assert_eq!(p("๐๕/๐๓/๒๕๖๗"), datetime!(2024-03-05 00:00 +7));
    }

    #[test]
    fn relative_forms() {
        assert_eq!(p("2 ชั่วโมงที่แล้ว"), NOW - Duration::hours(2));
        assert_eq!(p("๑๕ นาทีที่แล้ว"), NOW - Duration::minutes(15));
        assert_eq!(p("3 วันที่แล้ว"), NOW - Duration::days(3));
        assert_eq!(p("1 สัปดาห์ก่อน"), NOW - Duration::weeks(1));
        assert_eq!(p("เมื่อสักครู่"), NOW);
        assert_eq!(p("เมื่อวานนี้"), datetime!(2024-03-04 00:00 +7));
        assert_eq!(p("เมื่อวาน 18:30 น."), datetime!(2024-03-04 18:30 +7));
        assert_eq!(p("วันนี้ 08.00 น."), datetime!(2024-03-05 08:00 +7));
        // Just after midnight in Bangkok, "yesterday" is the Bangkok yesterday.
        let early = datetime!(2024-03-04 17:30 UTC); // 00:30 on the 5th in Bangkok
        assert_eq!(
            parse_thai_datetime("เมื่อวาน", early).unwrap(),
            datetime!(2024-03-04 00:00 +7)
        );
    }

    #[test]
    fn nonsense_is_an_error_naming_the_input() {
        for bad in ["", "พรุ่งนี้เช้า", "31 ก.พ. 2567", "มีนาคม 2567", "13/13/2567"]
        {
            let e = parse_thai_datetime(bad, NOW).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
