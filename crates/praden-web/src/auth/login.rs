//! `GET/POST /login`, `POST /logout` and `/`, which sends each role to its start page.

use super::{secrets, Identity, SessionId};
use crate::extract::Query;
use crate::html::{esc, url_encode};
use crate::AppState;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use praden_core::Role;
use praden_store::{DecisionContext, Session};
use std::net::{IpAddr, SocketAddr};
use time::OffsetDateTime;

/// A small page in the look of the search page.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="th"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · praden</title>
<style>
{fonts}body{{margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a}}
form.login{{display:flex;flex-direction:column;gap:.6rem;max-width:22rem}}
label{{display:flex;flex-direction:column;font-size:.9rem}}
input,button{{font:inherit;padding:.3rem}}
.error{{color:#a00}} .notice{{padding:.6rem;background:#fff7d6;border:1px solid #e5c85a;margin:.6rem 0}}
form.user{{font-size:.85rem;color:#555}}
a:focus,input:focus,button:focus{{outline:2px solid #2060c0}}
</style></head>
<body>
{body}
</body></html>"#,
        title = esc(title),
        fonts = crate::assets::font_css(),
    )
}

/// 303 to the login page, which brings the user back to `next` afterwards.
pub(crate) fn redirect_to_login(next: &str) -> Response {
    let location = format!("/login?next={}", url_encode(next));
    see_other(&location, None)
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")),
    );
    if let Some(c) = cookie {
        headers.insert(header::SET_COOKIE, c);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Only a path on this site: an absolute URL or `//host` would make the login form an open
/// redirect.
fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control())
        && !next.starts_with("/login");
    ok.then_some(next)
}

/// Where a role starts: monitors at the review queue, agencies at their issues, evaluators at
/// the KPI, editors at search.
fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin | Role::Monitor => "/queue",
        Role::Agency => "/agency",
        Role::Evaluator => "/kpi",
        _ => "/search",
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    out: Option<String>,
}

fn login_form(next: &str, username: &str, message: Option<(&str, &str)>) -> String {
    let message = message
        .map(|(class, text)| format!("<p class=\"{class}\" role=\"alert\">{}</p>", esc(text)))
        .unwrap_or_default();
    let autofocus_user = if username.is_empty() {
        " autofocus"
    } else {
        ""
    };
    let autofocus_password = if username.is_empty() {
        ""
    } else {
        " autofocus"
    };
    page(
        "เข้าสู่ระบบ",
        &format!(
            "<h1>เข้าสู่ระบบ praden</h1>{message}\
             <form class=\"login\" method=\"post\" action=\"/login\">\
             <input type=\"hidden\" name=\"next\" value=\"{}\">\
             <label>ชื่อผู้ใช้<input name=\"username\" value=\"{}\" autocomplete=\"username\" required{autofocus_user}></label>\
             <label>รหัสผ่าน<input name=\"password\" type=\"password\" autocomplete=\"current-password\" required{autofocus_password}></label>\
             <button type=\"submit\">เข้าสู่ระบบ</button></form>\
             <p class=\"meta\">ระบบสำหรับผู้ใช้ของสำนักโฆษกและกรมประชาสัมพันธ์ · ลืมรหัสผ่านให้ติดต่อผู้ดูแลระบบ</p>",
            esc(next),
            esc(username),
        ),
    )
}

pub(crate) async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    let next = safe_next(&q.next).unwrap_or("");
    let notice = q.out.is_some().then_some(("notice", "ออกจากระบบแล้ว"));
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(login_form(next, "", notice)),
    )
        .into_response()
}

/// `POST /login` (urlencoded `username`, `password`, `next`).
pub(crate) async fn login(State(state): State<AppState>, req: Request) -> Response {
    let ip: Option<IpAddr> = super::limit::client_ip(
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        &state.auth.config().trusted_proxies,
    );
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Ok(bytes) = axum::body::to_bytes(req.into_body(), 64 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the login form is too large").into_response();
    };
    let (mut username, mut password, mut next) = (String::new(), String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&bytes) {
        match k.as_ref() {
            "username" => username = v.trim().to_string(),
            "password" => password = v.into_owned(),
            "next" => next = v.into_owned(),
            _ => {}
        }
    }
    let next = safe_next(&next).unwrap_or("").to_string();
    let fail = |status: StatusCode, text: &str| {
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Html(login_form(&next, &username, Some(("error", text)))),
        )
            .into_response()
    };
    if username.is_empty() || password.is_empty() {
        return fail(StatusCode::BAD_REQUEST, "กรุณากรอกชื่อผู้ใช้และรหัสผ่าน");
    }

    let limiter = state.auth.limiter.clone();
    let blocked = match limiter
        .blocked(&state.store, &username, ip, OffsetDateTime::now_utc())
        .await
    {
        Ok(b) => b,
        Err(e) => return crate::ApiError::StoreUnavailable(e).into_response(),
    };
    if let Some(wait) = blocked {
        let secs = wait.as_secs().max(1);
        let minutes = secs.div_ceil(60);
        let mut response = fail(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        tracing::warn!(%username, ip = ?ip, "login refused: too many failures");
        return response;
    }

    let user = match state.store.user(&username).await {
        Ok(u) => u,
        Err(e) => return crate::ApiError::StoreUnavailable(e).into_response(),
    };
    // Verify against a dummy hash when there is no such user, so the answer takes as long.
    let hash = user.as_ref().map_or_else(
        || secrets::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let matches = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if matches && !u.role.is_machine() => u,
        _ => {
            if let Err(e) = limiter
                .failed(&state.store, &username, ip, OffsetDateTime::now_utc())
                .await
            {
                return crate::ApiError::StoreUnavailable(e).into_response();
            }
            tracing::info!(%username, ip = ?ip, "login failed");
            return fail(StatusCode::UNAUTHORIZED, "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง");
        }
    };
    if user.disabled {
        return fail(StatusCode::FORBIDDEN, "บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบ");
    }
    if let Err(e) = limiter.succeeded(&state.store, &username).await {
        return crate::ApiError::StoreUnavailable(e).into_response();
    }

    let (secret, csrf) = match (secrets::random_secret(), secrets::random_secret()) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(e), _) | (_, Err(e)) => {
            return crate::ApiError::Internal(e.to_string()).into_response()
        }
    };
    let now = OffsetDateTime::now_utc();
    let session = Session {
        id: secrets::sha256_hex(&secret),
        user_id: user.id,
        csrf_token: csrf,
        created_at: now,
        expires_at: state.auth.session_expiry(now),
        last_seen: now,
    };
    let ctx = DecisionContext {
        actor: user.username.clone(),
        request_id,
        now,
    };
    if let Err(e) = state.store.create_session(&session, &ctx).await {
        return crate::ApiError::StoreUnavailable(e).into_response();
    }
    // Sessions that expired are swept here, where a write happens anyway.
    if let Err(e) = state.store.end_expired_sessions(now).await {
        tracing::warn!(error = %e, "cannot remove expired sessions");
    }
    tracing::info!(username = %user.username, role = %user.role, "logged in");
    let target = if next.is_empty() {
        home_of(user.role).to_string()
    } else {
        next
    };
    see_other(&target, Some(state.auth.cookie(Some(&secret))))
}

/// `POST /logout`: ends the session (its CSRF token was checked by the middleware) and
/// removes the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    who: Option<Extension<Identity>>,
    session: Option<Extension<SessionId>>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let (Some(Extension(who)), Some(Extension(SessionId(id)))) = (who, session) {
        if let Err(e) = state
            .store
            .end_session(&id, &super::context(&who, &headers))
            .await
        {
            return crate::ApiError::StoreUnavailable(e).into_response();
        }
    }
    see_other("/login?out=1", Some(state.auth.cookie(None)))
}

/// `GET /`: the caller's start page, or the login page.
pub(crate) async fn home(who: Option<Extension<Identity>>) -> Response {
    match who {
        Some(Extension(who)) => see_other(home_of(who.role), None),
        None => see_other("/login", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_only() {
        assert_eq!(safe_next("/search?q=x"), Some("/search?q=x"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("/login?next=/x"), None);
        assert_eq!(safe_next(""), None);
    }
}
