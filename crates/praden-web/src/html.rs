//! What every HTML page shares: escaping, URL encoding and the page shell (Thai, no
//! JavaScript, visible keyboard focus).

use crate::auth::{Access, Identity};
use axum::http::Method;
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write;
use std::sync::LazyLock;
use time::OffsetDateTime;

pub(crate) fn esc(s: &str) -> String {
    praden_core::html::escape(s)
}

pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The pages of the navigation bar, in order: name, link, and the route whose access decides
/// who sees the link — so nobody is shown a page that would answer 403.
const NAV: [(&str, &str, &str); 13] = [
    ("คิวประเด็น", "/queue", "/queue"),
    ("ประเด็นที่อนุมัติ", "/issues", "/issues"),
    ("ติดตามประเด็น", "/overdue", "/overdue"),
    ("ประเด็นของหน่วยงาน", "/agency", "/agency"),
    ("ตัวชี้วัดของหน่วยงาน", "/agency/kpi", "/agency/kpi"),
    ("สรุปประจำวัน", "/briefs", "/briefs"),
    ("ส่งประเด็น", "/assignments", "/assignments"),
    ("ตัวชี้วัด", "/kpi", "/kpi"),
    ("ค้นหาข่าว", "/search", "/search"),
    ("แหล่งข่าว", "/sources", "/sources"),
    ("บันทึกการดำเนินการ", "/audit", "/audit"),
    ("ผู้ใช้", "/admin/accounts", "/admin/accounts"),
    ("ทำเนียบหน่วยงาน", "/admin/agencies", "/admin/agencies"),
];

/// Who may open each `NAV` page, from the route table the router is built from.
static NAV_ACCESS: LazyLock<Vec<Access>> = LazyLock::new(|| {
    let table = crate::route_table();
    NAV.iter()
        .map(|(_, _, route)| {
            table
                .iter()
                .find(|r| r.method == Method::GET && r.path == *route)
                .map(|r| r.access)
                .unwrap_or_else(|| panic!("the navigation links to {route}, which is no GET route"))
        })
        .collect()
});

/// The style of the bar `nav` draws; every page's `<style>` has it.
pub(crate) const NAV_CSS: &str = "header.bar{display:flex;flex-wrap:wrap;justify-content:space-between;\
align-items:center;gap:.5rem;margin-bottom:1rem;padding-bottom:.4rem;border-bottom:1px solid #ddd;font-size:.9rem}\
header.bar nav{display:flex;flex-wrap:wrap;gap:1rem}\
header.bar a[aria-current]{font-weight:bold;color:#1a1a1a;text-decoration:none}\
header.bar form.user{display:block;margin:0;color:#555} form.user button{margin-left:.4rem}";

/// The main navigation for `who` (nothing for nobody), then who is logged in with the
/// log-out button. `here` is the path of the page shown, marked for screen readers.
pub(crate) fn nav(who: Option<&Identity>, here: &str) -> String {
    let Some(who) = who else {
        return String::new();
    };
    let mut out = String::from("<header class=\"bar\"><nav aria-label=\"เมนูหลัก\">");
    for ((name, href, _), access) in NAV.iter().zip(NAV_ACCESS.iter()) {
        if access.allows(Some(who.role)) {
            let current = if here == *href {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(out, "<a href=\"{href}\"{current}>{name}</a>");
        }
    }
    out.push_str("</nav>");
    out.push_str(&who.user_bar());
    out.push_str("</header>");
    out
}

/// The kinds of source as every page names them: the query value and the Thai label.
pub(crate) const KINDS: [(&str, &str); 4] = [
    ("news", "ข่าว"),
    ("social", "สื่อสังคมออนไลน์"),
    ("broadcast", "วิทยุ/โทรทัศน์"),
    ("official", "หน่วยงานรัฐ"),
];

/// A kind's Thai label (an unknown one as it is).
pub(crate) fn kind_th(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, th)| th)
}

/// A moment as the pages show it: the Bangkok day, Thai style, and the time
/// ("4 ธ.ค. 2569 18:41 น.").
pub(crate) fn moment(t: OffsetDateTime) -> String {
    praden_core::thai_time::format_thai_moment(t)
}

/// A whole page: `title` (already plain text), the navigation for `who` with `here` (the
/// page's path) marked, then `body` (HTML).
pub(crate) fn shell(who: Option<&Identity>, here: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · praden</title>
<style>
{fonts}body{{margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a}}
{nav_css}
table{{border-collapse:collapse;width:100%}} th,td{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}}
.badge{{display:inline-block;font-size:.75rem;padding:.05rem .4rem;margin:.1rem;border-radius:.6rem;background:#e8eefc;color:#123a8a}}
.badge.warn{{background:#fde8e8;color:#8a1212}}
.meta{{color:#555;font-size:.85rem}} .notice{{padding:.6rem;background:#fff7d6;border:1px solid #e5c85a;margin:.6rem 0}}
.conflict{{padding:.8rem;background:#fde8e8;border:1px solid #d88;margin:.6rem 0}}
form.action{{border:1px solid #ccc;padding:.6rem;margin:.6rem 0}} form.action h3{{margin:.1rem 0 .5rem;font-size:1rem}}
label{{display:block;margin:.3rem 0;font-size:.9rem}} input,select,button,textarea{{font:inherit;padding:.3rem}}
input[type=text],input[type=password],textarea,select{{width:100%;box-sizing:border-box}}
a:focus,input:focus,select:focus,button:focus,textarea:focus{{outline:2px solid #2060c0}}
form.filters{{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.6rem 0}} form.filters label{{margin:0}} form.filters select,form.filters input{{width:auto}}
</style></head>
<body>
{nav}
{body}
</body></html>"#,
        title = esc(title),
        nav = nav(who, here),
        nav_css = NAV_CSS,
        fonts = crate::assets::font_css(),
    )
}

/// A refused form action: the error table's Thai words, the reason in the store's own words,
/// and `back` (links to where the monitor came from) — a page, whatever the error, since a
/// browser sent the form.
pub(crate) fn refused(who: &Identity, here: &str, e: crate::ApiError, back: &str) -> Response {
    let (status, _, lead) = e.status_code_thai();
    let body = format!(
        "<div class=\"conflict\" role=\"alert\"><p><b>{lead}</b></p><p class=\"meta\">{}</p></div>\
         <p>{back}</p>",
        esc(&e.shown_detail())
    );
    let page = shell(Some(who), here, "ดำเนินการไม่สำเร็จ", &body);
    (status, Html(page)).into_response()
}

/// The page a browser gets for a failed request: the error table's Thai words and the way
/// home (`/` sends each role to its start page). The English detail stays in the API's
/// envelope and the log.
pub(crate) fn error_page(who: Option<&Identity>, here: &str, status: u16, thai: &str) -> String {
    let body = format!(
        "<div class=\"conflict\" role=\"alert\"><h1>{}</h1>\
         <p class=\"meta\">ที่อยู่ {} · รหัส {status}</p></div>\
         <p><a href=\"/\">กลับหน้าหลัก</a></p>",
        esc(thai),
        esc(here)
    );
    shell(who, here, thai, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use praden_core::Role;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
        assert_eq!(url_encode("ไข่ a/b"), "%E0%B9%84%E0%B8%82%E0%B9%88%20a%2Fb");
    }

    fn links(html: &str) -> Vec<&str> {
        html.split("href=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect()
    }

    #[test]
    fn the_bar_shows_each_role_only_the_pages_it_may_open() {
        let who = |role| Identity {
            actor: "somchai".into(),
            display_name: "สมชาย <ใจดี>".into(),
            role,
            user_id: Some(1),
            csrf: Some("t".into()),
            agency: None,
        };
        let all = [
            "/queue",
            "/issues",
            "/overdue",
            "/agency",
            "/agency/kpi",
            "/briefs",
            "/assignments",
            "/kpi",
            "/search",
            "/sources",
            "/audit",
            "/admin/accounts",
            "/admin/agencies",
        ];
        assert_eq!(links(&nav(Some(&who(Role::Admin)), "/queue")), all);
        assert_eq!(
            links(&nav(Some(&who(Role::Monitor)), "/queue")),
            [
                "/queue",
                "/issues",
                "/overdue",
                "/briefs",
                "/assignments",
                "/kpi",
                "/search",
                "/sources"
            ]
        );
        assert_eq!(
            links(&nav(Some(&who(Role::Editor)), "/search")),
            ["/briefs", "/search"]
        );
        assert!(links(&nav(Some(&who(Role::Consumer)), "/")).is_empty());
        assert_eq!(
            links(&nav(Some(&who(Role::Agency)), "/agency")),
            ["/agency", "/agency/kpi"]
        );
        assert_eq!(links(&nav(Some(&who(Role::Evaluator)), "/kpi")), ["/kpi"]);
        assert_eq!(nav(None, "/search"), "");
        let bar = nav(Some(&who(Role::Monitor)), "/briefs");
        assert!(
            bar.contains("<a href=\"/briefs\" aria-current=\"page\">"),
            "{bar}"
        );
        assert!(
            bar.contains("สมชาย &lt;ใจดี&gt;") && bar.contains("ออกจากระบบ"),
            "{bar}"
        );
    }
}
