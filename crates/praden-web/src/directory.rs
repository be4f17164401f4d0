//! The agency directory for admins: `/admin/agencies` lists each agency's contacts (who
//! receive its issues), with forms to add or update one, remove one, and import a CSV list;
//! `praden agency import FILE` reads the same CSV. Each contact names a registry agency.

use crate::auth::{context, Identity};
use crate::extract::{Form, Path, Query};
use crate::html::{esc, moment, shell};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use praden_core::review::AgencyRef;
use praden_store::{AgencyContact, NewContact};
use serde::Deserialize;
use std::fmt::Write;

/// The CSV columns, by their English or Thai header; `agency`, `name` and `position` are
/// required, `email` and `line_id` may be empty.
const COLUMNS: [(&str, &str); 5] = [
    ("agency", "หน่วยงาน"),
    ("name", "ชื่อ"),
    ("position", "ตำแหน่ง"),
    ("email", "อีเมล"),
    ("line_id", "ไลน์"),
];

/// A CSV line that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based, the header being line 1.
    pub line: u64,
    pub reason: String,
}

/// `name` as the registry spells it: an agency's or a ministry's Thai name, or an
/// abbreviation only one agency has.
pub fn registry_name(agencies: &[AgencyRef], name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(a) = agencies.iter().find(|a| a.name_th == name) {
        return Some(a.name_th.clone());
    }
    if let Some(a) = agencies.iter().find(|a| a.ministry_th == name) {
        return Some(a.ministry_th.clone());
    }
    let mut by_abbr = agencies
        .iter()
        .filter(|a| !a.abbr.is_empty() && a.abbr == name);
    match (by_abbr.next(), by_abbr.next()) {
        (Some(one), None) => Some(one.name_th.clone()),
        _ => None,
    }
}

/// One contact checked: the registry's name for its agency, the required fields, an e-mail
/// address that has one `@` and a dot after it.
pub fn check_contact(agencies: &[AgencyRef], c: NewContact) -> Result<NewContact, String> {
    let agency = registry_name(agencies, &c.agency).ok_or_else(|| {
        format!(
            "agency \"{}\" is not in the agency registry",
            c.agency.trim()
        )
    })?;
    let name = c.name.trim().to_string();
    let position = c.position.trim().to_string();
    if name.is_empty() || position.is_empty() {
        return Err("a contact needs a name and a position".into());
    }
    let optional = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let email = optional(c.email);
    if let Some(e) = &email {
        let ok = matches!(e.split_once('@'), Some((user, host))
            if !user.is_empty() && host.contains('.') && !host.starts_with('.')
                && !host.ends_with('.') && !e.contains(char::is_whitespace) && !host.contains('@'));
        if !ok {
            return Err(format!("e-mail \"{e}\" is not an address"));
        }
    }
    Ok(NewContact {
        agency,
        name,
        position,
        email,
        line_id: optional(c.line_id),
    })
}

/// Reads a CSV list of contacts (UTF-8, a byte-order mark allowed, as spreadsheets save it):
/// the good lines, and each bad one with its reason. A header naming no required column is
/// one bad line 1 and nothing else.
pub fn parse_contacts_csv(agencies: &[AgencyRef], text: &str) -> (Vec<NewContact>, Vec<BadLine>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return (
                Vec::new(),
                vec![BadLine {
                    line: 1,
                    reason: format!("the header cannot be read: {e}"),
                }],
            )
        }
    };
    let column = |name: (&str, &str)| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name.0) || h == name.1)
    };
    let at: Vec<Option<usize>> = COLUMNS.into_iter().map(column).collect();
    if at[..3].iter().any(Option::is_none) {
        return (
            Vec::new(),
            vec![BadLine {
                line: 1,
                reason: "the header must name the columns agency, name, position (and may name \
                         email, line_id), in English or Thai: หน่วยงาน, ชื่อ, ตำแหน่ง, อีเมล, ไลน์"
                    .into(),
            }],
        );
    }
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        // The reader counts a record from the blank lines before it: the line is where its
        // text starts.
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| line_at(text, p.byte() as usize));
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                bad.push(BadLine {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |k: usize| at[k].and_then(|i| record.get(i)).unwrap_or("").to_string();
        let contact = NewContact {
            agency: field(0),
            name: field(1),
            position: field(2),
            email: Some(field(3)),
            line_id: Some(field(4)),
        };
        match check_contact(agencies, contact) {
            Ok(c) => good.push(c),
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    (good, bad)
}

/// The 1-based line of the first text at or after byte `at`.
fn line_at(text: &str, at: usize) -> u64 {
    let bytes = text.as_bytes();
    let mut at = at.min(bytes.len());
    while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
        at += 1;
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    added: Option<usize>,
    #[serde(default)]
    updated: Option<usize>,
    #[serde(default)]
    removed: Option<bool>,
}

/// `GET /admin/agencies`.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(n): Query<Notice>,
) -> Result<Response, ApiError> {
    let mut notice = String::new();
    if let (Some(a), Some(u)) = (n.added, n.updated) {
        notice = format!(
            "<p class=\"notice\" role=\"status\">บันทึกแล้ว: เพิ่ม {a} รายการ ปรับปรุง {u} รายการ</p>"
        );
    }
    if n.removed == Some(true) {
        notice = "<p class=\"notice\" role=\"status\">ลบผู้ติดต่อแล้ว</p>".into();
    }
    directory_page(&state, &who, StatusCode::OK, &notice).await
}

async fn directory_page(
    state: &AppState,
    who: &Identity,
    status: StatusCode,
    notice: &str,
) -> Result<Response, ApiError> {
    let contacts = state.store.agency_contacts(None).await?;
    let mut body = format!(
        "<h1>ทำเนียบหน่วยงาน</h1>{notice}\
         <p class=\"meta\">ผู้ติดต่อของแต่ละหน่วยงาน ผู้รับประเด็นที่มอบหมายและการแจ้งเตือน</p>"
    );
    if contacts.is_empty() {
        body.push_str("<p>ยังไม่มีผู้ติดต่อ เพิ่มทีละรายการหรือนำเข้าจาก CSV ด้านล่าง</p>");
    } else {
        body.push_str(&contacts_table(who, &contacts));
    }
    let mut options = String::new();
    for name in agency_names(&state.agencies) {
        let _ = write!(options, "<option value=\"{v}\">{v}</option>", v = esc(name));
    }
    let _ = write!(
        body,
        "<form class=\"action\" method=\"post\" action=\"/admin/agencies/contacts\">\
         <h3>เพิ่มหรือปรับปรุงผู้ติดต่อ</h3>{csrf}\
         <label>หน่วยงาน<select name=\"agency\" required><option value=\"\" disabled selected>เลือกหน่วยงาน</option>{options}</select></label>\
         <label>ชื่อ<input type=\"text\" name=\"name\" required></label>\
         <label>ตำแหน่ง<input type=\"text\" name=\"position\" required></label>\
         <label>อีเมล<input type=\"text\" name=\"email\" inputmode=\"email\"></label>\
         <label>LINE ID<input type=\"text\" name=\"line_id\"></label>\
         <button type=\"submit\">บันทึก</button></form>\
         <form class=\"action\" method=\"post\" action=\"/admin/agencies/import\">\
         <h3>นำเข้าจาก CSV</h3>{csrf}\
         <label>วางข้อมูล CSV (หัวตาราง: agency,name,position,email,line_id หรือ หน่วยงาน,ชื่อ,ตำแหน่ง,อีเมล,ไลน์) \
         ผู้ติดต่อที่มีอยู่แล้ว (หน่วยงานและชื่อเดียวกัน) จะถูกปรับปรุง\
         <textarea name=\"csv\" rows=\"8\" required></textarea></label>\
         <button type=\"submit\">นำเข้า</button></form>",
        csrf = who.csrf_input(),
    );
    Ok((
        status,
        Html(shell(Some(who), "/admin/agencies", "ทำเนียบหน่วยงาน", &body)),
    )
        .into_response())
}

/// Ministries and agencies by their Thai names, ministries first, once each: what an agency
/// user or a contact may be bound to.
pub(crate) fn agency_names(agencies: &[AgencyRef]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for a in agencies {
        for name in [a.ministry_th.as_str(), a.name_th.as_str()] {
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn contacts_table(who: &Identity, contacts: &[AgencyContact]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>หน่วยงาน</th><th>ชื่อ</th><th>ตำแหน่ง</th><th>อีเมล</th>\
         <th>LINE ID</th><th>ปรับปรุงเมื่อ</th><th></th></tr></thead><tbody>",
    );
    for c in contacts {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><form method=\"post\" action=\"/admin/agencies/contacts/{}/remove\" style=\"display:inline\">{}\
             <button type=\"submit\">ลบ</button></form></td></tr>",
            esc(&c.agency),
            esc(&c.name),
            esc(&c.position),
            esc(c.email.as_deref().unwrap_or("—")),
            esc(c.line_id.as_deref().unwrap_or("—")),
            moment(c.updated_at),
            c.id,
            who.csrf_input(),
        );
    }
    out.push_str("</tbody></table>");
    out
}

#[derive(Deserialize)]
pub struct ContactForm {
    agency: String,
    name: String,
    position: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    line_id: String,
}

async fn saved(
    state: &AppState,
    who: &Identity,
    headers: &HeaderMap,
    contacts: &[NewContact],
) -> Result<Response, ApiError> {
    let s = state
        .store
        .save_agency_contacts(contacts, &context(who, headers))
        .await?;
    Ok(Redirect::to(&format!(
        "/admin/agencies?added={}&updated={}",
        s.added, s.updated
    ))
    .into_response())
}

fn problem(text: &str) -> String {
    format!("<div class=\"conflict\" role=\"alert\">{text}</div>")
}

/// `POST /admin/agencies/contacts`: adds a contact, or updates the one of that agency and name.
pub async fn add(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(f): Form<ContactForm>,
) -> Result<Response, ApiError> {
    let contact = NewContact {
        agency: f.agency,
        name: f.name,
        position: f.position,
        email: Some(f.email),
        line_id: Some(f.line_id),
    };
    match check_contact(&state.agencies, contact) {
        Ok(c) => saved(&state, &who, &headers, &[c]).await,
        Err(reason) => {
            let text = problem(&format!("บันทึกไม่ได้: {}", esc(&reason)));
            directory_page(&state, &who, StatusCode::BAD_REQUEST, &text).await
        }
    }
}

#[derive(Deserialize)]
pub struct ImportForm {
    csv: String,
}

/// `POST /admin/agencies/import`: saves the good lines of a pasted CSV only if every line is
/// good; otherwise lists the bad ones with their reasons and saves nothing, so the admin fixes
/// the list and sends it again whole.
pub async fn import(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(f): Form<ImportForm>,
) -> Result<Response, ApiError> {
    let (good, bad) = parse_contacts_csv(&state.agencies, &f.csv);
    if bad.is_empty() && !good.is_empty() {
        return saved(&state, &who, &headers, &good).await;
    }
    let mut text = String::from("<p><b>ยังไม่ได้นำเข้า: แก้ไขบรรทัดต่อไปนี้แล้วส่งใหม่ทั้งชุด</b></p><ul>");
    if bad.is_empty() {
        text.push_str("<li>ไม่มีรายการผู้ติดต่อ</li>");
    }
    for b in &bad {
        let _ = write!(text, "<li>บรรทัด {}: {}</li>", b.line, esc(&b.reason));
    }
    text.push_str("</ul>");
    directory_page(&state, &who, StatusCode::BAD_REQUEST, &problem(&text)).await
}

/// `POST /admin/agencies/contacts/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    if state
        .store
        .remove_agency_contact(id, &context(&who, &headers))
        .await?
    {
        Ok(Redirect::to("/admin/agencies?removed=true").into_response())
    } else {
        Err(ApiError::NotFound(format!("contact {id} does not exist")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Vec<AgencyRef> {
        vec![AgencyRef {
            name_th: "กรมการค้าภายใน".into(),
            abbr: "คน.".into(),
            ministry_abbr: "พณ.".into(),
            ministry_th: "กระทรวงพาณิชย์".into(),
            name_en: "Department of Internal Trade".into(),
        }]
    }

    #[test]
    fn a_spreadsheets_csv_is_read_with_each_bad_line_named() {
        let csv = "\u{feff}หน่วยงาน,ชื่อ,ตำแหน่ง,อีเมล,ไลน์\n\
                   คน.,นางสาวพรทิพย์ ใจงาม,ผู้อำนวยการกองประชาสัมพันธ์,porntip@dit.go.th,porntip.dit\n\
                   กระทรวงพาณิชย์, นายสมชาย ดีมาก ,โฆษกกระทรวง,,\n\
                   \n\
                   กรมที่ไม่มี,ก,ข,,\n\
                   กรมการค้าภายใน,ค,ง,not-an-address,\n\
                   กรมการค้าภายใน,,ง,,\n";
        let (good, bad) = parse_contacts_csv(&registry(), csv);
        assert_eq!(
            good,
            [
                NewContact {
                    agency: "กรมการค้าภายใน".into(),
                    name: "นางสาวพรทิพย์ ใจงาม".into(),
                    position: "ผู้อำนวยการกองประชาสัมพันธ์".into(),
                    email: Some("porntip@dit.go.th".into()),
                    line_id: Some("porntip.dit".into()),
                },
                NewContact {
                    agency: "กระทรวงพาณิชย์".into(),
                    name: "นายสมชาย ดีมาก".into(),
                    position: "โฆษกกระทรวง".into(),
                    email: None,
                    line_id: None,
                },
            ]
        );
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [5, 6, 7], "{bad:?}");
        assert!(bad[0].reason.contains("กรมที่ไม่มี"), "{bad:?}");
        assert!(bad[1].reason.contains("not-an-address"), "{bad:?}");
        assert!(bad[2].reason.contains("name"), "{bad:?}");
    }

    #[test]
    fn a_header_without_the_required_columns_is_one_clear_error() {
        let (good, bad) = parse_contacts_csv(&registry(), "who,what\nก,ข\n");
        assert!(good.is_empty());
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 1);
        assert!(bad[0].reason.contains("agency, name, position"));
    }
}
