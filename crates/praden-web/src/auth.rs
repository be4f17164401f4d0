//! Who is calling, and what they may do.
//!
//! [`resolve`] runs on every request: `Authorization: Bearer <token>` makes the caller that
//! token's machine; otherwise the `praden_session` cookie makes it the session's user. It puts
//! an [`Identity`] into the request's extensions, where handlers read it
//! (`Extension<Identity>`). Requests that change something and are authenticated by the cookie
//! must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`); a
//! token-authenticated request needs none, as no browser sends a bearer token on its own.
//!
//! [`require`] guards a route: 401 (`unauthenticated`; pages redirect to `/login`) when nobody
//! is logged in, 403 (`forbidden`) when the caller's role may not. Routes are mounted through
//! [`Routes`], which records each route's [`Access`] for the access-matrix test.

mod admin;
mod limit;
mod login;
pub mod secrets;
mod table;

pub(crate) use admin::{accounts, add_user, create_token, disable_user, enable_user, revoke_token};
pub use admin::{check_token_name, check_username, InvalidName};
pub use limit::{LoginLimiter, LoginLimits, ProxyRange};
pub(crate) use login::{home, login, login_page, logout};
pub use table::{Access, RouteInfo, Routes};

use crate::error::ThaiWords;
use crate::html::{self, esc};
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use futures_util::future::BoxFuture;
use praden_core::Role;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use time::OffsetDateTime;

pub const SESSION_COOKIE: &str = "praden_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";

/// The largest urlencoded form read to find its CSRF field (praden's forms are small; bulk
/// uploads use tokens, which need no CSRF check).
const MAX_FORM_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Identity {
    /// A user name, or `token:NAME` for a machine: what the audit trail records.
    pub actor: String,
    pub display_name: String,
    pub role: Role,
    pub user_id: Option<i64>,
    /// The session's CSRF token, for forms; `None` for token-authenticated callers.
    pub csrf: Option<String>,
    /// The agency (or ministry) an `agency` user speaks for.
    pub agency: Option<String>,
}

impl Identity {
    /// The hidden form field that carries the CSRF token; empty for token callers.
    pub fn csrf_input(&self) -> String {
        match &self.csrf {
            Some(token) => format!(
                "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
                esc(token)
            ),
            None => String::new(),
        }
    }

    /// Who is logged in and a logout button, for the top of a page.
    pub fn user_bar(&self) -> String {
        format!(
            "<form class=\"user\" method=\"post\" action=\"/logout\">{} ({}) {}<button type=\"submit\">ออกจากระบบ</button></form>",
            esc(&self.display_name),
            role_th(self.role),
            self.csrf_input()
        )
    }
}

/// Roles as Thai users read them.
pub fn role_th(role: Role) -> &'static str {
    match role {
        Role::Admin => "ผู้ดูแลระบบ",
        Role::Monitor => "เจ้าหน้าที่ติดตามประเด็น",
        Role::Editor => "บรรณาธิการ (ค้นหา)",
        Role::Consumer => "ระบบรับประเด็น",
        Role::Ingest => "ระบบส่งข้อมูล",
        Role::Agency => "หน่วยงานผู้ชี้แจง",
        Role::Evaluator => "ผู้ประเมินตัวชี้วัด",
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Mark the session cookie `Secure` (sent over HTTPS only). Off by default because the
    /// default listener is plain HTTP on 127.0.0.1; turn it on behind TLS.
    pub secure_cookies: bool,
    /// A session ends after this long without a request (sliding expiry).
    pub session_ttl: Duration,
    pub login_limits: LoginLimits,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the login limit).
    pub trusted_proxies: Vec<ProxyRange>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_limits: LoginLimits::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// The auth layer's shared state: configuration and the login rate limiter.
#[derive(Clone)]
pub struct Auth {
    config: Arc<AuthConfig>,
    limiter: Arc<LoginLimiter>,
}

impl Default for Auth {
    fn default() -> Self {
        Self::new(AuthConfig::default())
    }
}

impl Auth {
    pub fn new(config: AuthConfig) -> Self {
        Self {
            limiter: Arc::new(LoginLimiter::new(config.login_limits)),
            config: Arc::new(config),
        }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// How stale `last_seen` may get before a request writes the slid expiry back: saves a
    /// write per page view while keeping the expiry within a minute of exact.
    fn touch_after(&self) -> time::Duration {
        let ttl =
            time::Duration::try_from(self.config.session_ttl).unwrap_or(time::Duration::hours(12));
        std::cmp::min(ttl / 4_i32, time::Duration::minutes(1))
    }

    fn session_expiry(&self, now: OffsetDateTime) -> OffsetDateTime {
        now + time::Duration::try_from(self.config.session_ttl).unwrap_or(time::Duration::hours(12))
    }

    /// `Set-Cookie` for a new session secret, or (`None`) for removing the cookie.
    fn cookie(&self, secret: Option<&str>) -> HeaderValue {
        let secure = if self.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        // No Max-Age: the browser forgets the cookie when it closes; the server ends the
        // session after `session_ttl` idle either way.
        let text = match secret {
            Some(s) => format!("{SESSION_COOKIE}={s}; Path=/; HttpOnly; SameSite=Lax{secure}"),
            None => {
                format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
            }
        };
        HeaderValue::from_str(&text).expect("cookie text is ASCII")
    }
}

/// Why a request carried credentials that did not identify anyone: said in the 401.
#[derive(Debug, Clone)]
struct NotIdentified(&'static str);

enum Caller {
    Token(Identity),
    Session(Identity, String),
}

/// The session secret in the request's cookies.
fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Result<Caller, NotIdentified>, ApiError> {
    if let Some(token) = bearer(headers) {
        let Some(t) = state
            .store
            .active_token(&secrets::sha256_hex(token))
            .await?
        else {
            return Ok(Err(NotIdentified(
                "the API token is unknown or was revoked",
            )));
        };
        // A write per request would queue every API call behind the database's one writer;
        // the last-used time only needs to be right to the minute.
        let stale = t
            .last_used_at
            .is_none_or(|used| now - used >= time::Duration::minutes(1));
        if stale {
            if let Err(e) = state.store.token_used(t.id, now).await {
                // Losing a last-used time must not refuse the request.
                tracing::warn!(token = %t.name, error = %e, "cannot record the token's use");
            }
        }
        return Ok(Ok(Caller::Token(Identity {
            actor: format!("token:{}", t.name),
            display_name: t.name,
            role: t.role,
            user_id: None,
            csrf: None,
            agency: None,
        })));
    }
    let Some(secret) = session_secret(headers) else {
        return Ok(Err(NotIdentified("nobody is logged in")));
    };
    let id = secrets::sha256_hex(secret);
    let Some((session, user)) = state.store.active_session(&id, now).await? else {
        return Ok(Err(NotIdentified(
            "the session has expired or ended: log in again",
        )));
    };
    if now - session.last_seen >= state.auth.touch_after() {
        state
            .store
            .touch_session(&id, now, state.auth.session_expiry(now))
            .await?;
    }
    Ok(Ok(Caller::Session(
        Identity {
            actor: user.username,
            display_name: user.display_name,
            role: user.role,
            user_id: Some(user.id),
            csrf: Some(session.csrf_token),
            agency: user.agency,
        },
        id,
    )))
}

/// The session id (hash) of a cookie-authenticated request, for logout.
#[derive(Debug, Clone)]
pub(crate) struct SessionId(pub String);

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware that resolves the caller and enforces CSRF on cookie-authenticated
/// requests that change state. Mounted once around the whole router.
pub async fn resolve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let now = OffsetDateTime::now_utc();
    // A browser asking for a page gets errors as Thai pages; API clients, the envelope.
    let page = (!is_api(req.uri().path()) && wants_html(req.headers()))
        .then(|| req.uri().path().to_string());
    let caller = match identify(&state, req.headers(), now).await {
        Ok(c) => c,
        Err(e) => return as_page(e.into_response(), None, page.as_deref()),
    };
    let mut req = req;
    let mut who = None;
    match caller {
        Ok(Caller::Token(identity)) => {
            // Kept only when an error may become a page: API calls skip the copy.
            who = page.as_ref().map(|_| identity.clone());
            req.extensions_mut().insert(identity);
        }
        Ok(Caller::Session(identity, session_id)) => {
            who = page.as_ref().map(|_| identity.clone());
            // The login form carries credentials of its own: someone logged in may log in
            // again (as another user) from a login page they kept open.
            if changes_state(req.method()) && req.uri().path() != "/login" {
                let expected = identity.csrf.clone().unwrap_or_default();
                req = match check_csrf(req, &expected).await {
                    Ok(req) => req,
                    Err(response) => return response,
                };
            }
            req.extensions_mut().insert(identity);
            req.extensions_mut().insert(SessionId(session_id));
        }
        Err(why) => {
            req.extensions_mut().insert(why);
        }
    }
    let response = next.run(req).await;
    as_page(response, who.as_ref(), page.as_deref())
}

/// Whether the caller takes HTML: browsers say so in `Accept`; API clients send `*/*`, JSON
/// or nothing.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// `response` as a Thai error page when it is an error's envelope and `page` (the path) was
/// asked for by a browser; otherwise unchanged.
fn as_page(response: Response, who: Option<&Identity>, page: Option<&str>) -> Response {
    let (Some(here), Some(words)) = (page, response.extensions().get::<ThaiWords>().copied())
    else {
        return response;
    };
    let status = response.status();
    let mut html = Html(html::error_page(who, here, status.as_u16(), words.0)).into_response();
    *html.status_mut() = status;
    html
}

/// Passes `req` on if it carries `expected` in the `X-CSRF-Token` header or in the `csrf`
/// field of its urlencoded form (the body is read and put back).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, Response> {
    let is_api = is_api(req.uri().path());
    let refuse = |why: &str| csrf_rejected(is_api, why);
    if let Some(sent) = req.headers().get(CSRF_HEADER) {
        return if secrets::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            Ok(req)
        } else {
            Err(refuse("the X-CSRF-Token header does not match the session"))
        };
    }
    if crate::upload::boundary(req.headers()).is_ok() {
        return check_multipart_csrf(req, expected)
            .await
            .map_err(|why| refuse(&why));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(refuse(
            "a request authenticated by the session cookie must send the X-CSRF-Token header \
             or a csrf form field",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return Err(ApiError::TooLarge(format!(
                "the form is larger than {MAX_FORM_BYTES} bytes"
            ))
            .into_response())
        }
    };
    let matches = form_urlencoded::parse(&bytes).any(|(k, v)| {
        k == CSRF_FIELD && secrets::constant_time_eq(v.as_bytes(), expected.as_bytes())
    });
    if !matches {
        return Err(refuse(
            "the form's csrf field is missing or does not match the session",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Passes a `multipart/form-data` request on if its first field is `csrf` and holds
/// `expected`. Only that field is read here, the bytes read for it are kept and put back in
/// front of the rest of the body, so a large upload is not held in memory for the check
/// (praden's upload forms put the field first, as browsers send fields in page order).
async fn check_multipart_csrf(req: Request, expected: &str) -> Result<Request, String> {
    use futures_util::StreamExt;
    let boundary = crate::upload::boundary(req.headers()).map_err(|e| e.to_string())?;
    let (parts, body) = req.into_parts();
    let mut rest = body.into_data_stream();
    let read = std::sync::Arc::new(std::sync::Mutex::new(Vec::<axum::body::Bytes>::new()));
    let sent = {
        let seen = read.clone();
        let tee = (&mut rest).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                seen.lock().expect("not poisoned").push(bytes.clone());
            }
            chunk
        });
        let limits = multer::SizeLimit::new().for_field(CSRF_FIELD, 1024);
        let mut form = multer::Multipart::with_constraints(
            tee,
            boundary,
            multer::Constraints::new().size_limit(limits),
        );
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some(CSRF_FIELD) => field.text().await.ok(),
            _ => None,
        }
    };
    let Some(sent) = sent else {
        return Err("the form's first field must be csrf, holding the session's token".into());
    };
    if !secrets::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return Err("the form's csrf field does not match the session".into());
    }
    let prefix: Vec<_> = std::mem::take(&mut *read.lock().expect("not poisoned"));
    let body = futures_util::stream::iter(prefix.into_iter().map(Ok::<_, axum::Error>)).chain(rest);
    Ok(Request::from_parts(parts, Body::from_stream(body)))
}

fn csrf_rejected(is_api: bool, why: &str) -> Response {
    if is_api {
        return ApiError::CsrfFailed(why.to_string()).into_response();
    }
    let body = "<h1>แบบฟอร์มไม่ถูกต้องหรือหมดอายุ</h1>\
        <p>กรุณากลับไปโหลดหน้าเดิมใหม่ แล้วลองอีกครั้ง (แบบฟอร์มต้องมาจากหน้าของ praden ในการเข้าสู่ระบบครั้งนี้)</p>";
    (
        StatusCode::FORBIDDEN,
        Html(login::page("ไม่สามารถดำเนินการได้", body)),
    )
        .into_response()
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A route layer that lets through callers holding one of `roles` (admins always) and
/// answers everyone else: 401 `unauthenticated` (pages: 303 to `/login?next=…`) when nobody
/// is logged in, 403 `forbidden` when the role may not.
pub fn require(roles: &'static [Role]) -> Require {
    Require { roles }
}

#[derive(Debug, Clone, Copy)]
pub struct Require {
    roles: &'static [Role],
}

impl<S> tower_layer::Layer<S> for Require {
    type Service = RequireService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireService {
            inner,
            roles: self.roles,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RequireService<S> {
    inner: S,
    roles: &'static [Role],
}

impl<S> tower_service::Service<Request> for RequireService<S>
where
    S: tower_service::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match denied(&req, self.roles) {
            None => Box::pin(self.inner.call(req)),
            Some(response) => Box::pin(std::future::ready(Ok(response))),
        }
    }
}

/// The answer for a caller who may not pass, or `None`.
fn denied(req: &Request, roles: &'static [Role]) -> Option<Response> {
    let path = req.uri().path();
    let Some(who) = req.extensions().get::<Identity>() else {
        let why = req
            .extensions()
            .get::<NotIdentified>()
            .map_or("nobody is logged in", |w| w.0);
        return Some(unauthenticated(req, why));
    };
    if Access::Roles(roles).allows(Some(who.role)) {
        return None;
    }
    let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    if is_api(path) {
        return Some(
            ApiError::Forbidden(format!(
                "{} has the role {}; {} {path} needs one of: admin, {}",
                who.actor,
                who.role,
                req.method(),
                allowed.join(", ")
            ))
            .into_response(),
        );
    }
    // The role's own navigation stays on top, so the way on is one click away.
    let body = format!(
        "<div class=\"conflict\" role=\"alert\"><h1>ไม่มีสิทธิ์เข้าถึงหน้านี้</h1>\
         <p>บัญชี {} ({}) ไม่มีสิทธิ์ใช้หน้านี้ หากต้องการใช้ กรุณาติดต่อผู้ดูแลระบบ</p></div>\
         <p><a href=\"/\">กลับหน้าแรก</a></p>",
        esc(&who.display_name),
        role_th(who.role),
    );
    Some(
        (
            StatusCode::FORBIDDEN,
            Html(crate::html::shell(Some(who), path, "ไม่มีสิทธิ์เข้าถึง", &body)),
        )
            .into_response(),
    )
}

fn unauthenticated(req: &Request, why: &str) -> Response {
    let path = req.uri().path();
    if is_api(path) {
        let mut response = ApiError::Unauthenticated(format!(
            "{} {path} needs an API token (Authorization: Bearer …) or a login session: {why}",
            req.method()
        ))
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"praden\""),
        );
        return response;
    }
    // Come back to the page after logging in; a form post cannot be replayed, so its page
    // of origin is the best that can be offered.
    let next = match *req.method() {
        Method::GET | Method::HEAD => req
            .uri()
            .path_and_query()
            .map_or(path.to_string(), |pq| pq.as_str().to_string()),
        _ => "/".to_string(),
    };
    login::redirect_to_login(&next)
}

/// A decision's context: the caller (for the audit trail), this request's id and now.
pub(crate) fn context(
    who: &Identity,
    headers: &axum::http::HeaderMap,
) -> praden_store::DecisionContext {
    praden_store::DecisionContext {
        actor: who.actor.clone(),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        now: time::OffsetDateTime::now_utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; praden_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_secret(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "praden_session=".parse().unwrap());
        assert_eq!(session_secret(&h), None);
        let mut h = HeaderMap::new();
        h.append(header::AUTHORIZATION, "bearer  xyz ".parse().unwrap());
        assert_eq!(bearer(&h), Some("xyz"));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_when_configured() {
        let plain = Auth::default().cookie(Some("s3cret"));
        assert_eq!(
            plain,
            "praden_session=s3cret; Path=/; HttpOnly; SameSite=Lax"
        );
        let secure = Auth::new(AuthConfig {
            secure_cookies: true,
            ..AuthConfig::default()
        });
        assert!(secure
            .cookie(None)
            .to_str()
            .unwrap()
            .ends_with("Max-Age=0; Secure"));
    }
}
