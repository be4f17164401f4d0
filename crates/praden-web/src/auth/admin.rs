//! Admins' page for accounts: `/admin/accounts` lists users and tokens; its forms add a user,
//! disable or enable one, create a token (shown once, on the page that answers the form) and
//! revoke one. The same changes as `praden user …` / `praden token …`, with the admin as the
//! actor in the audit trail.

use super::{context, role_th, secrets, Identity};
use crate::extract::{Form, Path, Query};
use crate::html::{esc, shell, url_encode};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use praden_core::Role;
use praden_store::{AccountError, ApiToken, NewToken, NewUser, User};
use std::fmt::Write;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum InvalidName {
    #[error("user name {0:?} is invalid: use 1–64 lower-case letters, digits, '.', '_' or '-'")]
    User(String),
    #[error("token name {0:?} is invalid: use 1–64 letters, digits, '.', '_' or '-'")]
    Token(String),
}

/// User names are what the audit trail shows as the actor: plain and unambiguous.
pub fn check_username(name: &str) -> Result<(), InvalidName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    ok.then_some(())
        .ok_or_else(|| InvalidName::User(name.into()))
}

pub fn check_token_name(name: &str) -> Result<(), InvalidName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then_some(())
        .ok_or_else(|| InvalidName::Token(name.into()))
}

fn when(t: Option<OffsetDateTime>) -> String {
    t.map(crate::html::moment).unwrap_or_else(|| "—".into())
}

fn role_options(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| format!("<option value=\"{r}\">{} ({r})</option>", role_th(*r)))
        .collect()
}

/// A button that posts to `action` with the CSRF token.
fn button(who: &Identity, action: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" style=\"display:inline\">{}<button type=\"submit\">{label}</button></form>",
        esc(action),
        who.csrf_input()
    )
}

fn users_table(who: &Identity, users: &[User]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>ชื่อผู้ใช้</th><th>ชื่อที่แสดง</th><th>บทบาท</th><th>ใช้ล่าสุด</th><th>สถานะ</th><th></th></tr></thead><tbody>",
    );
    for u in users {
        let (state, action) = if u.disabled {
            (
                "<span class=\"badge warn\">ระงับแล้ว</span>",
                button(
                    who,
                    &format!("/admin/users/{}/enable", url_encode(&u.username)),
                    "เปิดใช้งาน",
                ),
            )
        } else if u.username == who.actor {
            // Disabling oneself would end the session this page runs in.
            ("<span class=\"badge\">ใช้งาน</span>", String::new())
        } else {
            (
                "<span class=\"badge\">ใช้งาน</span>",
                button(
                    who,
                    &format!("/admin/users/{}/disable", url_encode(&u.username)),
                    "ระงับ",
                ),
            )
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{action}</td></tr>",
            esc(&u.username),
            esc(&u.display_name),
            match &u.agency {
                Some(a) => format!("{} · {}", role_th(u.role), esc(a)),
                None => role_th(u.role).to_string(),
            },
            when(u.last_seen_at),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn tokens_table(who: &Identity, tokens: &[ApiToken]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>ชื่อโทเค็น</th><th>บทบาท</th><th>สร้างเมื่อ</th><th>สร้างโดย</th><th>ใช้ล่าสุด</th><th>สถานะ</th></tr></thead><tbody>",
    );
    for t in tokens {
        let state = match t.revoked_at {
            Some(at) => format!(
                "<span class=\"badge warn\">ยกเลิกแล้ว {}</span>",
                when(Some(at))
            ),
            None => button(
                who,
                &format!("/admin/tokens/{}/revoke", url_encode(&t.name)),
                "ยกเลิกโทเค็น",
            ),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td></tr>",
            esc(&t.name),
            role_th(t.role),
            when(Some(t.created_at)),
            esc(&t.created_by),
            when(t.last_used_at),
        );
    }
    out.push_str("</tbody></table>");
    out
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct Notice {
    #[serde(default)]
    done: String,
}

async fn accounts_page(
    state: &AppState,
    who: &Identity,
    status: StatusCode,
    notice: &str,
) -> Response {
    let (users, tokens) = match (state.store.users().await, state.store.tokens().await) {
        (Ok(u), Ok(t)) => (u, t),
        (Err(e), _) | (_, Err(e)) => return crate::ApiError::StoreUnavailable(e).into_response(),
    };
    let people = [Role::Monitor, Role::Editor, Role::Agency, Role::Admin];
    // The agencies and ministries an agency user may speak for, ministries first.
    let agencies = crate::directory::agency_names(&state.agencies);
    let agencies: String = agencies
        .iter()
        .map(|a| format!("<option value=\"{v}\">{v}</option>", v = esc(a)))
        .collect();
    let body = format!(
        "<h1>บัญชีผู้ใช้และโทเค็น</h1>{notice}\
         <h2>ผู้ใช้</h2>{users}\
         <form class=\"action\" method=\"post\" action=\"/admin/users\"><h3>เพิ่มผู้ใช้</h3>{csrf}\
         <label>ชื่อผู้ใช้ (อังกฤษตัวเล็ก ตัวเลข . _ -)<input type=\"text\" name=\"username\" required></label>\
         <label>ชื่อที่แสดง<input type=\"text\" name=\"display_name\"></label>\
         <label>บทบาท<select name=\"role\" required><option value=\"\" disabled selected>เลือกบทบาท</option>{people}</select></label>\
         <label>หน่วยงาน (เฉพาะบทบาทหน่วยงานผู้ชี้แจง; กระทรวงจะเห็นประเด็นของกรมในสังกัดด้วย)<select name=\"agency\"><option value=\"\" selected>—</option>{agencies}</select></label>\
         <label>รหัสผ่าน (อย่างน้อย {min} ตัวอักษร)<input type=\"password\" name=\"password\" autocomplete=\"new-password\" required></label>\
         <button type=\"submit\">เพิ่มผู้ใช้</button></form>\
         <h2>โทเค็นสำหรับระบบ</h2>{tokens}\
         <form class=\"action\" method=\"post\" action=\"/admin/tokens\"><h3>สร้างโทเค็น</h3>{csrf}\
         <label>ชื่อโทเค็น เช่น assign-system<input type=\"text\" name=\"name\" required></label>\
         <label>บทบาท<select name=\"role\">{machines}</select></label>\
         <button type=\"submit\">สร้างโทเค็น</button></form>",
        users = users_table(who, &users),
        tokens = tokens_table(who, &tokens),
        csrf = who.csrf_input(),
        people = role_options(&people),
        machines = role_options(&[
            Role::Consumer,
            Role::Ingest,
            Role::Editor,
            Role::Monitor,
            Role::Admin,
        ]),
        min = secrets::MIN_PASSWORD_CHARS,
    );
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(shell(Some(who), "/admin/accounts", "บัญชีผู้ใช้และโทเค็น", &body)),
    )
        .into_response()
}

fn notice(text: &str) -> String {
    format!("<p class=\"notice\" role=\"status\">{}</p>", esc(text))
}

fn problem(text: &str) -> String {
    format!("<p class=\"conflict\" role=\"alert\">{}</p>", esc(text))
}

/// `GET /admin/accounts`.
pub(crate) async fn accounts(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(q): Query<Notice>,
) -> Response {
    let text = match q.done.as_str() {
        "user" => notice("เพิ่มผู้ใช้แล้ว"),
        "disabled" => notice("ระงับผู้ใช้แล้ว การเข้าสู่ระบบของผู้ใช้นี้สิ้นสุดทันที"),
        "enabled" => notice("เปิดใช้งานผู้ใช้แล้ว"),
        "revoked" => notice("ยกเลิกโทเค็นแล้ว ใช้งานไม่ได้อีกต่อไป"),
        _ => String::new(),
    };
    accounts_page(&state, &who, StatusCode::OK, &text).await
}

fn back(done: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/admin/accounts?done={done}"))],
    )
        .into_response()
}

/// A refused change, through the error table: its status, and its Thai words with the detail.
fn refused(e: AccountError) -> (StatusCode, String) {
    let e = crate::ApiError::from(e);
    let (status, _, thai) = e.status_code_thai();
    (status, format!("{thai}: {}", e.shown_detail()))
}

#[derive(serde::Deserialize)]
pub(crate) struct AddUser {
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    password: String,
    /// The agency an `agency` user speaks for; empty for the other roles.
    #[serde(default)]
    agency: String,
}

/// `POST /admin/users`.
pub(crate) async fn add_user(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(form): Form<AddUser>,
) -> Response {
    let username = form.username.trim().to_string();
    let role: Result<Role, String> = form
        .role
        .parse()
        .map_err(|e: praden_core::UnknownRole| e.to_string());
    let checked = check_username(&username)
        .map_err(|e| e.to_string())
        .and(role)
        .and_then(|role| {
            if role.is_machine() {
                Err(format!(
                    "role {role} is for machines: create a token instead"
                ))
            } else {
                Ok(role)
            }
        })
        .and_then(|role| {
            let bound = !form.agency.trim().is_empty();
            match (role, bound) {
                (Role::Agency, false) => Err("role agency needs the agency it speaks for".into()),
                (Role::Agency, true)
                    if !crate::directory::agency_names(&state.agencies)
                        .contains(&form.agency.trim()) =>
                {
                    Err(format!(
                        "agency \"{}\" is not in the agency registry",
                        form.agency.trim()
                    ))
                }
                (r, true) if r != Role::Agency => Err(format!(
                    "role {r} is bound to no agency: leave the agency empty"
                )),
                _ => Ok(role),
            }
        })
        .and_then(|role| {
            secrets::check_new_password(&form.password)
                .map(|_| role)
                .map_err(|e| e.to_string())
        });
    let role = match checked {
        Ok(r) => r,
        Err(e) => return accounts_page(&state, &who, StatusCode::BAD_REQUEST, &problem(&e)).await,
    };
    let password = form.password;
    let hash = match tokio::task::spawn_blocking(move || secrets::hash_password(&password)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return crate::ApiError::Internal(e.to_string()).into_response(),
        Err(e) => return crate::ApiError::Internal(e.to_string()).into_response(),
    };
    let display_name = match form.display_name.trim() {
        "" => username.clone(),
        d => d.to_string(),
    };
    let new = NewUser {
        username,
        display_name,
        role,
        password_hash: hash,
        agency: (role == Role::Agency).then(|| form.agency.trim().to_string()),
    };
    match state.store.add_user(&new, &context(&who, &headers)).await {
        Ok(_) => back("user"),
        Err(e) => {
            let (status, text) = refused(e);
            accounts_page(&state, &who, status, &problem(&text)).await
        }
    }
}

/// `POST /admin/users/{name}/disable` and `/enable`.
pub(crate) async fn disable_user(
    state: State<AppState>,
    who: Extension<Identity>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    set_disabled(state, who, headers, name, true).await
}

pub(crate) async fn enable_user(
    state: State<AppState>,
    who: Extension<Identity>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    set_disabled(state, who, headers, name, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    name: String,
    disabled: bool,
) -> Response {
    if disabled && name == who.actor {
        let text = problem("ระงับบัญชีของตัวเองไม่ได้ ให้ผู้ดูแลระบบคนอื่นทำ");
        return accounts_page(&state, &who, StatusCode::CONFLICT, &text).await;
    }
    match state
        .store
        .set_user_disabled(&name, disabled, &context(&who, &headers))
        .await
    {
        Ok(_) => back(if disabled { "disabled" } else { "enabled" }),
        Err(e) => {
            let (status, text) = refused(e);
            accounts_page(&state, &who, status, &problem(&text)).await
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct CreateToken {
    name: String,
    role: String,
}

/// `POST /admin/tokens`: answers with the page showing the new token, this once.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Form(form): Form<CreateToken>,
) -> Response {
    let name = form.name.trim().to_string();
    let role = match check_token_name(&name)
        .map_err(|e| e.to_string())
        .and_then(|_| form.role.parse::<Role>().map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return accounts_page(&state, &who, StatusCode::BAD_REQUEST, &problem(&e)).await,
    };
    let (token, token_hash) = match secrets::new_api_token() {
        Ok(t) => t,
        Err(e) => return crate::ApiError::Internal(e.to_string()).into_response(),
    };
    let new = NewToken {
        name: name.clone(),
        role,
        token_hash,
    };
    match state
        .store
        .create_token(&new, &context(&who, &headers))
        .await
    {
        Ok(_) => {
            let text = format!(
                "<div class=\"notice\" role=\"status\">สร้างโทเค็น {} ({}) แล้ว \
                 คัดลอกไปเก็บในระบบที่จะใช้ทันที โทเค็นนี้จะแสดงเพียงครั้งเดียว\
                 <pre id=\"new-token\">{}</pre></div>",
                esc(&name),
                role_th(role),
                esc(&token)
            );
            accounts_page(&state, &who, StatusCode::CREATED, &text).await
        }
        Err(e) => {
            let (status, text) = refused(e);
            accounts_page(&state, &who, status, &problem(&text)).await
        }
    }
}

/// `POST /admin/tokens/{name}/revoke`.
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    match state
        .store
        .revoke_token(&name, &context(&who, &headers))
        .await
    {
        Ok(_) => back("revoked"),
        Err(e) => {
            let (status, text) = refused(e);
            accounts_page(&state, &who, status, &problem(&text)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_username("somchai.k").is_ok());
        assert!(check_username("Somchai").is_err());
        assert!(check_username("").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
        assert!(check_token_name("assign-system").is_ok());
        assert!(check_token_name("a b").is_err());
    }
}
