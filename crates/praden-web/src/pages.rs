//! Server-rendered HTML pages, in Thai, usable without JavaScript.

use crate::auth::Identity;
use crate::extract::Query;
use crate::html::{esc, kind_th, url_encode, KINDS};
use crate::search::{link_candidates, SearchParams};
use crate::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::Extension;
use praden_core::thai_time::{format_thai_date_short, to_bangkok, THAI_MONTHS_ABBR};
use praden_index::{FacetCount, SearchResults};
use std::fmt::Write;
use time::OffsetDateTime;

/// The form's values, echoed back so the editor sees what was searched.
#[derive(serde::Deserialize, Default, Clone)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    outlet: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
    /// Only this story's coverage (a link from a hit).
    #[serde(default)]
    candidate: String,
    /// Only documents naming this agency.
    #[serde(default)]
    agency: String,
}

impl SearchForm {
    fn params(&self) -> SearchParams {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        SearchParams {
            q: opt(&self.q),
            limit: None,
            kind: opt(&self.kind),
            outlet: opt(&self.outlet),
            from: opt(&self.from),
            to: opt(&self.to),
            sort: opt(&self.sort),
            after: opt(&self.after),
            facets: Some("true".into()),
            candidate: opt(&self.candidate),
            agency: opt(&self.agency),
        }
    }

    /// This search's URL with some fields replaced (a facet link, the next page).
    fn url_with(&self, changes: &[(&str, &str)]) -> String {
        let mut fields = vec![
            ("q", self.q.as_str()),
            ("kind", self.kind.as_str()),
            ("outlet", self.outlet.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("sort", self.sort.as_str()),
            ("candidate", self.candidate.as_str()),
            ("agency", self.agency.as_str()),
        ];
        for (k, v) in changes {
            match fields.iter_mut().find(|(name, _)| name == k) {
                Some(field) => field.1 = v,
                None => fields.push((k, v)),
            }
        }
        let query: Vec<String> = fields
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        format!("/search?{}", query.join("&"))
    }
}

pub async fn search_page(
    State(state): State<AppState>,
    who: Option<Extension<Identity>>,
    Query(form): Query<SearchForm>,
) -> (StatusCode, Html<String>) {
    let user = who.as_ref().map(|Extension(who)| who);
    let page = |form: &SearchForm, body: &str| page(form, user, body);
    if form.q.trim().is_empty() && form.candidate.trim().is_empty() {
        return (StatusCode::OK, Html(page(&form, "")));
    }
    let outcome: Result<_, ApiError> = async {
        let request = form.params().into_resolved(&state).await?;
        let mut results = state.searches.run(&state.index, request).await?;
        link_candidates(&state, &mut results).await?;
        Ok(results)
    }
    .await;
    match outcome {
        Ok(results) => (
            StatusCode::OK,
            Html(page(&form, &results_html(&form, &results))),
        ),
        // The status and the Thai words come from the error table, as the API's do.
        Err(e) => {
            let (status, _, thai) = e.status_code_thai();
            let body = format!(
                "<p class=\"error\" role=\"alert\">ค้นหาไม่สำเร็จ: {thai} ({})</p>",
                esc(&e.shown_detail())
            );
            (status, Html(page(&form, &body)))
        }
    }
}

const SORTS: [(&str, &str); 3] = [
    ("relevance", "ตรงที่สุด"),
    ("newest", "ใหม่สุดก่อน"),
    ("oldest", "เก่าสุดก่อน"),
];

fn page(form: &SearchForm, user: Option<&Identity>, body: &str) -> String {
    let nav = crate::html::nav(user, "/search");
    let mut kinds = String::new();
    for (value, label) in std::iter::once(("", "ทุกประเภท")).chain(KINDS) {
        let selected = if form.kind == value { " selected" } else { "" };
        let _ = write!(
            kinds,
            "<option value=\"{value}\"{selected}>{label}</option>"
        );
    }
    let mut sorts = String::new();
    for (value, label) in SORTS {
        let selected = if form.sort == value { " selected" } else { "" };
        let _ = write!(
            sorts,
            "<option value=\"{value}\"{selected}>{label}</option>"
        );
    }
    format!(
        r#"<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ค้นหาข่าว · praden</title>
<style>
{fonts}body{{margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a}}
form{{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}}
label{{display:flex;flex-direction:column;font-size:.85rem}}
input,select,button{{font:inherit;padding:.3rem}}
input[name=q]{{min-width:20rem}}
.layout{{display:grid;grid-template-columns:1fr 14rem;gap:2rem}}
.hit{{margin-bottom:1.2rem}} .hit h2{{font-size:1.05rem;margin:0}} .meta{{color:#555;font-size:.85rem}}
.snippet b{{background:#fff3a0}} .facets h3{{font-size:.9rem;margin:.8rem 0 .3rem}} .facets ul{{list-style:none;padding:0;margin:0;font-size:.85rem}}
.error{{color:#a00}} a:focus,input:focus,select:focus,button:focus{{outline:2px solid #2060c0}}
{nav_css}
</style></head>
<body>
{nav}
<h1>ค้นหาข่าว</h1>
<form method="get" action="/search" role="search">
<label>คำค้น<input name="q" value="{q}" autofocus placeholder="เช่น ค่าไฟฟ้า หรือ &quot;วัคซีนโควิด&quot;"></label>
<label>ประเภท<select name="kind">{kinds}</select></label>
<label>สื่อ<input name="outlet" value="{outlet}" size="12"></label>
<label>หน่วยงานที่กล่าวถึง<input name="agency" value="{agency}" size="14" placeholder="เช่น สธ. หรือ กระทรวงพาณิชย์"></label>
<label>ตั้งแต่วันที่ (พ.ศ. หรือ ค.ศ.)<input name="from" value="{from}" placeholder="31/01/2567" size="10"></label>
<label>ถึงวันที่<input name="to" value="{to}" placeholder="31/03/2567" size="10"></label>
<label>เรียงตาม<select name="sort">{sorts}</select></label>
{story}<button type="submit">ค้นหา</button>
</form>
{body}
</body></html>"#,
        nav_css = crate::html::NAV_CSS,
        fonts = crate::assets::font_css(),
        q = esc(&form.q),
        outlet = esc(&form.outlet),
        agency = esc(&form.agency),
        from = esc(&form.from),
        to = esc(&form.to),
        story = if form.candidate.trim().is_empty() {
            String::new()
        } else {
            format!(
                "<label><span>เฉพาะข่าวในเรื่องเดียวกัน (ประเด็นที่ {c})</span>\
                 <input type=\"hidden\" name=\"candidate\" value=\"{c}\"></label>",
                c = esc(&form.candidate)
            )
        },
    )
}

fn results_html(form: &SearchForm, r: &SearchResults) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"layout\"><main><p id=\"total\">พบ{} {} รายการ</p>",
        if r.total_exact {
            ""
        } else {
            "มากกว่า"
        },
        r.total
    );
    for hit in &r.hits {
        let date = hit
            .published_at
            .as_deref()
            .and_then(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|t| format_thai_date_short(to_bangkok(t).date()))
            .unwrap_or_else(|| "ไม่ระบุวันที่".into());
        let title = match &hit.url {
            Some(url) => format!("<a href=\"{}\">{}</a>", esc(url), esc(&hit.title)),
            None => esc(&hit.title),
        };
        // The story the document is part of: its whole coverage, as a search editors may run.
        let story = hit.candidate_id.map_or(String::new(), |id| {
            format!(
                " · <a class=\"story\" href=\"{}\">ข่าวในเรื่องเดียวกัน</a>",
                esc(&form.url_with(&[("candidate", &id.to_string()), ("q", ""), ("after", "")]))
            )
        });
        // snippet_html is produced by the index with its text already escaped.
        let _ = write!(
            out,
            "<article class=\"hit\"><h2>{title}</h2><div class=\"meta\">{} · {} · {}{story}</div><p class=\"snippet\">{}</p></article>",
            esc(&hit.outlet),
            kind_th(&hit.kind),
            date,
            hit.snippet_html
        );
    }
    if let Some(cursor) = &r.next_cursor {
        let _ = write!(
            out,
            "<p><a rel=\"next\" href=\"{}\">หน้าถัดไป →</a></p>",
            esc(&form.url_with(&[("after", cursor)]))
        );
    }
    out.push_str("</main><aside class=\"facets\">");
    if let Some(f) = &r.facets {
        facet_list(
            &mut out,
            "ประเภท",
            &f.kinds,
            |v| kind_th(v).to_string(),
            |v| form.url_with(&[("kind", v)]),
        );
        facet_list(
            &mut out,
            "สื่อ",
            &f.outlets,
            |v| v.to_string(),
            |v| form.url_with(&[("outlet", v)]),
        );
        // Newest months first: the list is cut, and recent coverage is what editors want.
        let months: Vec<FacetCount> = f.months.iter().rev().cloned().collect();
        facet_list(
            &mut out,
            "เดือน",
            &months,
            |v| month_th(v).unwrap_or_else(|| v.to_string()),
            |v| match month_range(v) {
                Some((from, to)) => form.url_with(&[("from", &from), ("to", &to)]),
                None => form.url_with(&[]),
            },
        );
    }
    out.push_str("</aside></div>");
    out
}

fn facet_list(
    out: &mut String,
    heading: &str,
    counts: &[FacetCount],
    label: impl Fn(&str) -> String,
    link: impl Fn(&str) -> String,
) {
    let _ = write!(out, "<h3>{heading}</h3><ul>");
    for c in counts.iter().take(24) {
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a> ({})</li>",
            esc(&link(&c.value)),
            esc(&label(&c.value)),
            c.count
        );
    }
    out.push_str("</ul>");
}

/// `2024-03` → `มี.ค. 2567`.
fn month_th(ym: &str) -> Option<String> {
    let (y, m) = ym.split_once('-')?;
    let (y, m): (i32, usize) = (y.parse().ok()?, m.parse().ok()?);
    Some(format!(
        "{} {}",
        THAI_MONTHS_ABBR.get(m.checked_sub(1)?)?,
        y + praden_core::thai_time::BE_OFFSET
    ))
}

/// `2024-03` → (`2567-03-01`, `2567-03-31`): the month as a date filter, in B.E. as editors
/// write it.
fn month_range(ym: &str) -> Option<(String, String)> {
    let (y, m) = ym.split_once('-')?;
    let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
    let last = time::util::days_in_month(time::Month::try_from(m).ok()?, y);
    let be = y + praden_core::thai_time::BE_OFFSET;
    Some((format!("{be}-{m:02}-01"), format!("{be}-{m:02}-{last:02}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_in_thai_and_become_date_filters() {
        assert_eq!(month_th("2024-03").as_deref(), Some("มี.ค. 2567"));
        assert_eq!(
            month_range("2024-02"),
            Some(("2567-02-01".into(), "2567-02-29".into()))
        );
    }
}
