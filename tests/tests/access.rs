//! Who may do what: every route of the router × every role, plus nobody, by API token and by
//! login session. The matrix below is the specification; `praden_web::route_table()` is what
//! the router was built from. A route added to the router without a line here fails
//! `the_matrix_lists_every_route_with_its_roles`, and so does a line whose roles differ.

use praden_core::Role;
use praden_tests::{client_with_token, on_both_databases, Db, RunningApp, TestEnv};
use praden_web::auth::Access;
use reqwest::Method;
use std::collections::BTreeSet;

use Role::{Admin, Agency, Consumer, Editor, Evaluator, Ingest, Monitor};

/// `None`: public. `Some(roles)`: these roles (admins may always, listed or not).
type Who = Option<&'static [Role]>;

const PUBLIC: Who = None;
const SEARCH: Who = Some(&[Admin, Monitor, Editor]);
const MONITORS: Who = Some(&[Admin, Monitor]);
const FEED: Who = Some(&[Admin, Monitor, Consumer]);
const ADMINS: Who = Some(&[Admin]);
const PUSH: Who = Some(&[Admin, Ingest]);
const BRIEFS: Who = Some(&[Admin, Monitor, Editor]);
const AGENCY: Who = Some(&[Admin, Agency]);
/// The KPI, its report and exports: monitors and evaluators.
const KPI: Who = Some(&[Admin, Monitor, Evaluator]);
/// Evidence files: the agency whose issue it is (checked per file) and monitors.
const EVIDENCE: Who = Some(&[Admin, Agency, Monitor]);

/// (method, route as mounted, a path to call it with, who may). One line per route, kept
/// as a table on purpose.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, &str, Who)] = &[
    ("GET",  "/",                                   "/",                                      PUBLIC),
    ("GET",  "/healthz",                            "/healthz",                               PUBLIC),
    ("GET",  "/assets/fonts/5.3.0/{file}",         "/assets/fonts/5.3.0/sarabun-thai-400.woff2", PUBLIC),
    ("GET",  "/login",                              "/login",                                 PUBLIC),
    ("POST", "/login",                              "/login",                                 PUBLIC),
    ("POST", "/logout",                             "/logout",                                PUBLIC),
    ("GET",  "/api/v1/openapi.json",                "/api/v1/openapi.json",                   PUBLIC),
    ("GET",  "/api/v1/search",                      "/api/v1/search?q=x",                     SEARCH),
    ("GET",  "/api/v1/search/export",               "/api/v1/search/export?q=x",              SEARCH),
    ("GET",  "/search",                             "/search",                                SEARCH),
    ("GET",  "/api/v1/sources",                     "/api/v1/sources",                        MONITORS),
    ("POST", "/api/v1/ingest/social",               "/api/v1/ingest/social?source=t",         PUSH),
    ("GET",  "/queue",                              "/queue",                                 MONITORS),
    ("GET",  "/candidates/{id}",                    "/candidates/999999",                     MONITORS),
    ("POST", "/candidates/{id}/approve",            "/candidates/999999/approve",             MONITORS),
    ("POST", "/candidates/{id}/reject",             "/candidates/999999/reject",              MONITORS),
    ("POST", "/candidates/{id}/snooze",             "/candidates/999999/snooze",              MONITORS),
    ("POST", "/candidates/{id}/merge",              "/candidates/999999/merge",               MONITORS),
    ("GET",  "/issues",                             "/issues",                                MONITORS),
    ("GET",  "/sources",                            "/sources",                               MONITORS),
    ("GET",  "/issues/{id}",                        "/issues/999999",                         MONITORS),
    ("POST", "/issues/{id}/edit",                   "/issues/999999/edit",                    MONITORS),
    ("POST", "/issues/{id}/withdraw",               "/issues/999999/withdraw",                MONITORS),
    ("GET",  "/api/v1/agencies",                    "/api/v1/agencies",                       MONITORS),
    ("GET",  "/api/v1/candidates",                  "/api/v1/candidates",                     MONITORS),
    ("GET",  "/api/v1/candidates/{id}",             "/api/v1/candidates/999999",              MONITORS),
    ("POST", "/api/v1/candidates/{id}/approve",     "/api/v1/candidates/999999/approve",      MONITORS),
    ("POST", "/api/v1/candidates/{id}/reject",      "/api/v1/candidates/999999/reject",       MONITORS),
    ("POST", "/api/v1/candidates/{id}/snooze",      "/api/v1/candidates/999999/snooze",       MONITORS),
    ("POST", "/api/v1/candidates/{id}/merge",       "/api/v1/candidates/999999/merge",        MONITORS),
    ("GET",  "/api/v1/issues/{id}",                 "/api/v1/issues/999999",                  MONITORS),
    ("POST", "/api/v1/issues/{id}/edit",            "/api/v1/issues/999999/edit",             MONITORS),
    ("POST", "/api/v1/issues/{id}/withdraw",        "/api/v1/issues/999999/withdraw",         MONITORS),
    ("GET",  "/api/v1/issues/approved",             "/api/v1/issues/approved",                FEED),
    ("GET",  "/audit",                              "/audit",                                 ADMINS),
    ("GET",  "/api/v1/audit",                       "/api/v1/audit",                          ADMINS),
    ("GET",  "/api/v1/audit/export",                "/api/v1/audit/export",                   ADMINS),
    ("GET",  "/briefs",                             "/briefs",                                BRIEFS),
    ("GET",  "/briefs/{date}",                      "/briefs/2026-11-23",                     BRIEFS),
    ("GET",  "/api/v1/briefs/{date}",               "/api/v1/briefs/2026-11-23",              BRIEFS),
    ("GET",  "/api/v1/assignments/{date}/message",  "/api/v1/assignments/2026-11-23/message", FEED),
    ("GET",  "/assignments",                        "/assignments",                           MONITORS),
    ("GET",  "/overdue",                            "/overdue",                               MONITORS),
    ("GET",  "/api/v1/kpi",                         "/api/v1/kpi?period=2570Q1",              KPI),
    ("GET",  "/kpi",                                "/kpi?period=2570Q1",                     KPI),
    ("GET",  "/kpi/report",                         "/kpi/report?period=2570Q1",              KPI),
    ("GET",  "/kpi/export.csv",                     "/kpi/export.csv?period=2570Q1",          KPI),
    ("GET",  "/kpi/export.xlsx",                    "/kpi/export.xlsx?period=2570Q1",         KPI),
    ("POST", "/kpi/close",                          "/kpi/close",                             ADMINS),
    ("POST", "/kpi/reopen",                         "/kpi/reopen",                            ADMINS),
    ("GET",  "/agency/kpi",                         "/agency/kpi?period=2570Q1",              AGENCY),
    ("POST", "/issues/{id}/reports/{report}/assess", "/issues/999999/reports/1/assess",       MONITORS),
    ("POST", "/api/v1/issues/{id}/reports/{report}/assessment", "/api/v1/issues/999999/reports/1/assessment", MONITORS),
    ("GET",  "/api/v1/issues/overdue",              "/api/v1/issues/overdue",                 MONITORS),
    ("GET",  "/assignments/{date}",                 "/assignments/2026-11-23",                MONITORS),
    ("GET",  "/api/v1/assignments/{date}",          "/api/v1/assignments/2026-11-23",         FEED),
    ("GET",  "/api/v1/webhooks",                    "/api/v1/webhooks",                       ADMINS),
    ("POST", "/api/v1/webhooks/{name}/replay",      "/api/v1/webhooks/nobody/replay",         ADMINS),
    ("GET",  "/admin/accounts",                     "/admin/accounts",                        ADMINS),
    ("POST", "/admin/users",                        "/admin/users",                           ADMINS),
    ("POST", "/admin/users/{name}/disable",         "/admin/users/nobody/disable",            ADMINS),
    ("POST", "/admin/users/{name}/enable",          "/admin/users/nobody/enable",             ADMINS),
    ("POST", "/admin/tokens",                       "/admin/tokens",                          ADMINS),
    ("POST", "/admin/tokens/{name}/revoke",         "/admin/tokens/nobody/revoke",            ADMINS),
    ("GET",  "/admin/agencies",                     "/admin/agencies",                        ADMINS),
    ("POST", "/admin/agencies/contacts",            "/admin/agencies/contacts",               ADMINS),
    ("POST", "/admin/agencies/contacts/{id}/remove", "/admin/agencies/contacts/999999/remove", ADMINS),
    ("POST", "/admin/agencies/import",              "/admin/agencies/import",                 ADMINS),
    ("GET",  "/agency",                             "/agency",                                AGENCY),
    ("GET",  "/agency/issues/{id}",                 "/agency/issues/999999",                  AGENCY),
    ("POST", "/agency/issues/{id}/acknowledge",     "/agency/issues/999999/acknowledge",      AGENCY),
    ("POST", "/agency/issues/{id}/decline",         "/agency/issues/999999/decline",          AGENCY),
    ("GET",  "/api/v1/agency/issues",               "/api/v1/agency/issues",                  AGENCY),
    ("POST", "/api/v1/agency/issues/{id}/acknowledge", "/api/v1/agency/issues/999999/acknowledge", AGENCY),
    ("POST", "/api/v1/agency/issues/{id}/decline",  "/api/v1/agency/issues/999999/decline",   AGENCY),
    ("POST", "/agency/issues/{id}/reports",         "/agency/issues/999999/reports",          AGENCY),
    ("POST", "/agency/reports/{id}/evidence",       "/agency/reports/999999/evidence",        AGENCY),
    ("GET",  "/api/v1/agency/issues/{id}/reports",  "/api/v1/agency/issues/999999/reports",   AGENCY),
    ("POST", "/api/v1/agency/issues/{id}/reports",  "/api/v1/agency/issues/999999/reports",   AGENCY),
    ("POST", "/api/v1/agency/reports/{id}/evidence", "/api/v1/agency/reports/999999/evidence", AGENCY),
    ("GET",  "/evidence/{id}",                      "/evidence/999999",                       EVIDENCE),
    ("GET",  "/api/v1/issues/{id}/clarifications",  "/api/v1/issues/999999/clarifications",   MONITORS),
    ("GET",  "/api/v1/agency/issues/{id}/clarifications", "/api/v1/agency/issues/999999/clarifications", AGENCY),
];

fn allows(who: Who, role: Option<Role>) -> bool {
    match (who, role) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(Admin)) => true,
        (Some(roles), Some(r)) => roles.contains(&r),
    }
}

#[test]
fn the_matrix_lists_every_route_with_its_roles() {
    let table = praden_web::route_table();
    let mut problems = Vec::new();
    for route in &table {
        let line = MATRIX
            .iter()
            .find(|(m, p, _, _)| *m == route.method.as_str() && *p == route.path);
        let Some((_, _, _, who)) = line else {
            problems.push(format!(
                "{} {} is mounted but has no line in the matrix",
                route.method, route.path
            ));
            continue;
        };
        let mounted: Option<BTreeSet<&str>> = match route.access {
            Access::Public => None,
            Access::Roles(roles) => {
                Some(roles.iter().chain([&Admin]).map(|r| r.as_str()).collect())
            }
        };
        let expected: Option<BTreeSet<&str>> =
            who.map(|roles| roles.iter().chain([&Admin]).map(|r| r.as_str()).collect());
        if mounted != expected {
            problems.push(format!(
                "{} {} is mounted for {mounted:?}, the matrix says {expected:?}",
                route.method, route.path
            ));
        }
    }
    for (method, path, _, _) in MATRIX {
        if !table
            .iter()
            .any(|r| r.method.as_str() == *method && r.path == *path)
        {
            problems.push(format!("{method} {path} is in the matrix but not mounted"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Who is asking: nobody, a token, or a login session (with its CSRF token).
enum Caller {
    Nobody(reqwest::Client),
    Token(Role, reqwest::Client),
    Session(Role, reqwest::Client, String),
}

impl Caller {
    fn role(&self) -> Option<Role> {
        match self {
            Self::Nobody(_) => None,
            Self::Token(r, _) | Self::Session(r, _, _) => Some(*r),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Nobody(_) => "nobody".into(),
            Self::Token(r, _) => format!("a {r} token"),
            Self::Session(r, _, _) => format!("a {r} session"),
        }
    }

    async fn send(&self, base: &str, method: &str, path: &str) -> reqwest::Response {
        let method: Method = method.parse().unwrap();
        let (client, csrf) = match self {
            Self::Nobody(c) | Self::Token(_, c) => (c, None),
            Self::Session(_, c, csrf) => (c, Some(csrf)),
        };
        let mut request = client.request(method.clone(), format!("{base}{path}"));
        if method == Method::POST {
            // An empty JSON object: enough to reach the handler, which refuses it, so no
            // call in this test changes anything.
            request = request
                .header("content-type", "application/json")
                .body("{}");
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf.as_str());
            }
        }
        request.send().await.unwrap()
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn every_route_answers_every_role_as_the_matrix_says(db: Db) {
    let Some(env) = TestEnv::new(db).await else {
        return;
    };
    env.write_sources(&[]);
    let app = RunningApp::start(env.config()).await;

    let mut callers = vec![Caller::Nobody(no_redirects())];
    for role in Role::ALL {
        if !role.takes_tokens() {
            // An agency user logs in; no token can hold the role (the store refuses it).
            let name = format!("matrix-{role}");
            app.add_user(&name, role, "รหัสผ่านสำหรับทดสอบ").await;
            let session = app.login(&name, "รหัสผ่านสำหรับทดสอบ").await;
            callers.push(Caller::Session(role, session.client, session.csrf));
            continue;
        }
        let token = app.create_token(&format!("matrix-{role}"), role).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {token}").parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        callers.push(Caller::Token(role, client));
        if !role.is_machine() {
            let name = format!("matrix-{role}");
            app.add_user(&name, role, "รหัสผ่านสำหรับทดสอบ").await;
            let session = app.login(&name, "รหัสผ่านสำหรับทดสอบ").await;
            callers.push(Caller::Session(role, session.client, session.csrf));
        }
    }

    let mut wrong = Vec::new();
    let mut checked = 0;
    for (method, _, path, who) in MATRIX {
        // Logging out would end the session the rest of the matrix uses.
        if *path == "/logout" {
            continue;
        }
        for caller in &callers {
            let response = caller.send(&app.base, method, path).await;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = response.text().await.unwrap_or_default();
            let code = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
            let is_api = path.starts_with("/api/");
            let ok = if allows(*who, caller.role()) {
                status != 401 && status != 403
            } else if caller.role().is_none() {
                if is_api {
                    status == 401 && code.as_deref() == Some("unauthenticated")
                } else {
                    status == 303 && location.starts_with("/login?next=")
                }
            } else if is_api {
                status == 403 && code.as_deref() == Some("forbidden")
            } else {
                status == 403
            };
            checked += 1;
            if !ok {
                wrong.push(format!(
                    "{method} {path} by {}: {status} {location} {}",
                    caller.describe(),
                    body.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(checked > 200, "{checked}");

    // Admins are never refused: an admin token reaches a route listed for monitors only.
    let admin = client_with_token(&app.admin_token);
    let r = admin
        .get(format!("{}/api/v1/sources", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

on_both_databases!(every_route_answers_every_role_as_the_matrix_says);
