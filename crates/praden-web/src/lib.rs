//! HTTP: the JSON API and the HTML pages. Holds no business logic of its own: it calls the
//! store and the index.

mod agency;
mod assessments;
mod assets;
mod assignments;
mod audit;
pub mod auth;
pub mod blobs;
mod briefs;
mod clarifications;
pub mod directory;
mod error;
mod export;
pub mod extract;
mod feed;
mod html;
pub mod ingest;
mod issue_pages;
pub mod kpi;
mod overdue;
mod pages;
mod reports;
mod review;
mod review_pages;
mod search;
pub mod sources;
mod upload;
pub mod webhooks;

pub use error::ApiError;
pub use kpi::KpiSettings;
pub use search::{SearchSlots, DEFAULT_LIMIT, MAX_LIMIT};

use auth::{Access, RouteInfo, Routes};
use axum::extract::State;
use axum::Router;
use extract::Json;
use praden_core::review::AgencyRef;
use praden_core::Role;
use praden_index::SearchIndex;
use praden_store::Store;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub index: SearchIndex,
    /// The agency registry, ministries first: what monitors choose the responsible agency
    /// from.
    pub agencies: Arc<Vec<AgencyRef>>,
    /// The sources in sources.toml, for `/api/v1/sources` (the binary reads the file).
    pub sources: Arc<[sources::SourceConfig]>,
    /// The feed's webhook subscribers, for the admins' delivery view.
    pub webhooks: Arc<[webhooks::WebhookSubscriber]>,
    /// Sessions, cookies and the login rate limit.
    pub auth: auth::Auth,
    /// Who sends the official assignment message, and in whose name (`[assignment]`).
    pub assignment: Arc<praden_brief::AssignmentSettings>,
    /// Where evidence files are kept, and their size limits (`[evidence]`).
    pub evidence: blobs::EvidenceStore,
    /// How the KPI counts deadlines, and its target (`[kpi]`).
    pub kpi: Arc<KpiSettings>,
    /// The KPI's quarters read lately, checked against the store on every use.
    pub kpi_cache: Arc<kpi::KpiCache>,
    /// This process among those on the database, for `/healthz`.
    pub node: praden_core::node::Node,
    /// How many searches run at once (`index.concurrent_searches`).
    pub searches: search::SearchSlots,
}

/// Who may use search: editors, monitors (and admins).
const SEARCHERS: Access = Access::Roles(&[Role::Monitor, Role::Editor]);
/// The review queue: monitors (and admins).
const MONITORS: Access = Access::Roles(&[Role::Monitor]);
/// The approved-issues feed: the assignment system, monitors (and admins).
const FEED_READERS: Access = Access::Roles(&[Role::Monitor, Role::Consumer]);
const ADMINS: Access = Access::Roles(&[Role::Admin]);
/// The KPI, its report and exports: monitors, the evaluators (and admins).
const KPI_READERS: Access = Access::Roles(&[Role::Monitor, Role::Evaluator]);
/// Social-listening vendors pushing posts (and admins).
const PUSHERS: Access = Access::Roles(&[Role::Ingest]);
/// Agencies' people, each scoped to its own agency's issues (and admins, who see all).
const AGENCIES: Access = Access::Roles(&[Role::Agency]);
/// Evidence files: the agency whose issue it is (checked per file) and the monitors (and
/// admins).
const EVIDENCE_READERS: Access = Access::Roles(&[Role::Agency, Role::Monitor]);

/// Every route and who may call it. Mount routes only here, through [`Routes`] (a test in
/// this crate refuses axum route calls anywhere else): the router and [`route_table`] are
/// both built from this, and tests/tests/access.rs checks every route against every role.
fn routes() -> Routes<AppState> {
    let r = Routes::new()
        .get("/", Access::Public, auth::home)
        .get("/healthz", Access::Public, healthz)
        .get("/assets/fonts/5.3.0/{file}", Access::Public, assets::font)
        .get("/login", Access::Public, auth::login_page)
        .post("/login", Access::Public, auth::login)
        .post("/logout", Access::Public, auth::logout)
        .get("/api/v1/openapi.json", Access::Public, openapi)
        .get("/api/v1/search", SEARCHERS, search::search)
        .get("/api/v1/search/export", SEARCHERS, export::export)
        .get("/search", SEARCHERS, pages::search_page)
        .get("/api/v1/sources", MONITORS, sources::list)
        .get("/sources", MONITORS, sources::page)
        .post("/api/v1/ingest/social", PUSHERS, ingest::push);
    let r = brief_routes(audit_routes(feed_routes(review_routes(r))));
    kpi_routes(clarification_routes(agency_routes(account_routes(r))))
}

/// The timeliness KPI: its page, report and exports for monitors and evaluators, closing
/// quarters for admins, and each agency's own figures.
fn kpi_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/api/v1/kpi", KPI_READERS, kpi::api)
        .get("/kpi", KPI_READERS, kpi::page)
        .get("/kpi/report", KPI_READERS, kpi::report)
        .get("/kpi/export.csv", KPI_READERS, kpi::export_csv)
        .get("/kpi/export.xlsx", KPI_READERS, kpi::export_xlsx)
        .post("/kpi/close", ADMINS, kpi::close)
        .post("/kpi/reopen", ADMINS, kpi::reopen)
        .get("/agency/kpi", AGENCIES, kpi::agency_page)
}

/// Clarifications found in the coverage: the monitors', and each agency's of its own issues.
fn clarification_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get(
        "/api/v1/issues/{id}/clarifications",
        MONITORS,
        clarifications::api_issue,
    )
    .get(
        "/api/v1/agency/issues/{id}/clarifications",
        AGENCIES,
        clarifications::api_agency,
    )
}

/// The agencies' own issues and their answers (`agency.rs` scopes each to the caller's
/// agency).
fn agency_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/agency", AGENCIES, agency::list)
        .get("/agency/issues/{id}", AGENCIES, agency::page)
        .post(
            "/agency/issues/{id}/acknowledge",
            AGENCIES,
            agency::acknowledge_form,
        )
        .post(
            "/agency/issues/{id}/decline",
            AGENCIES,
            agency::decline_form,
        )
        .get("/api/v1/agency/issues", AGENCIES, agency::api_list)
        .post(
            "/api/v1/agency/issues/{id}/acknowledge",
            AGENCIES,
            agency::api_acknowledge,
        )
        .post(
            "/api/v1/agency/issues/{id}/decline",
            AGENCIES,
            agency::api_decline,
        )
        .post(
            "/agency/issues/{id}/reports",
            AGENCIES,
            reports::file_report_form,
        )
        .post(
            "/agency/reports/{id}/evidence",
            AGENCIES,
            reports::add_evidence_form,
        )
        .get(
            "/api/v1/agency/issues/{id}/reports",
            AGENCIES,
            reports::api_reports,
        )
        .post(
            "/api/v1/agency/issues/{id}/reports",
            AGENCIES,
            reports::api_file_report,
        )
        .post(
            "/api/v1/agency/reports/{id}/evidence",
            AGENCIES,
            reports::api_add_evidence,
        )
        .get("/evidence/{id}", EVIDENCE_READERS, reports::download)
}

/// Users and tokens (admins only; `praden user` and `praden token` do the same).
fn account_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/admin/accounts", ADMINS, auth::accounts)
        .post("/admin/users", ADMINS, auth::add_user)
        .post("/admin/users/{name}/disable", ADMINS, auth::disable_user)
        .post("/admin/users/{name}/enable", ADMINS, auth::enable_user)
        .post("/admin/tokens", ADMINS, auth::create_token)
        .post("/admin/tokens/{name}/revoke", ADMINS, auth::revoke_token)
        .get("/admin/agencies", ADMINS, directory::page)
        .post("/admin/agencies/contacts", ADMINS, directory::add)
        .post(
            "/admin/agencies/contacts/{id}/remove",
            ADMINS,
            directory::remove,
        )
        .post("/admin/agencies/import", ADMINS, directory::import)
}

/// The route table the router is built from: method, path and who may call it.
pub fn route_table() -> Vec<RouteInfo> {
    routes().into_parts().1
}

pub fn router(state: AppState) -> Router {
    let (routes, _) = routes().into_parts();
    routes
        // Paths and methods no route serves answer in the same envelope as every other error
        // (a Thai page to a browser: they are set before `resolve`, so it covers them).
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Resolves the caller (token or session) and checks CSRF before any route's
        // `require` looks at the caller's role; turns errors into Thai pages for browsers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve,
        ))
        .with_state(state)
        // Every request gets an id (or keeps the caller's x-request-id): the audit trail
        // records it, and the response echoes it, so a decision can be traced to its request.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost, so every answer has them: errors, redirects and fallbacks included.
        .layer(axum::middleware::map_response(security_headers))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no page or API route at {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not take {method}", uri.path()))
}

/// The policy of every page. The pages are server-rendered without JavaScript, so no script
/// runs at all; their CSS is a `<style>` block in the page (and a `style` attribute here and
/// there), hence `style-src 'unsafe-inline'` and nothing else; the sparklines are inline SVG,
/// which needs no source; the Thai web font comes from praden itself. Forms post to praden only; no page may be framed (clickjacking of
/// the approve and admin buttons); no `<base>` may redirect relative links.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every answer carries. Pages and API answers hold who-said-what from the review
/// queue and login state: nothing may be kept by a browser or a proxy (`no-store`, unless a
/// handler chose a policy, as the static API description does). `nosniff` keeps a JSON or
/// text answer holding a post's text from being run as HTML or script; `X-Frame-Options`
/// says `frame-ancestors 'none'` to browsers that predate CSP; links out to the outlets'
/// articles do not carry the search that found them (`Referrer-Policy`).
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::header::{self, HeaderValue};
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The review queue: monitors (and admins).
fn review_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/queue", MONITORS, review_pages::queue)
        .get("/candidates/{id}", MONITORS, review_pages::candidate)
        .post("/candidates/{id}/approve", MONITORS, review_pages::approve)
        .post("/candidates/{id}/reject", MONITORS, review_pages::reject)
        .post("/candidates/{id}/snooze", MONITORS, review_pages::snooze)
        .post("/candidates/{id}/merge", MONITORS, review_pages::merge)
        .get("/issues", MONITORS, issue_pages::list)
        .get("/issues/{id}", MONITORS, issue_pages::page)
        .post("/issues/{id}/edit", MONITORS, issue_pages::edit)
        .post("/issues/{id}/withdraw", MONITORS, issue_pages::withdraw)
        .post(
            "/issues/{id}/reports/{report}/assess",
            MONITORS,
            assessments::assess_form,
        )
        .post(
            "/api/v1/issues/{id}/reports/{report}/assessment",
            MONITORS,
            assessments::api_assess,
        )
        .get("/api/v1/agencies", MONITORS, review::agencies)
        .get("/api/v1/candidates", MONITORS, review::list)
        .get("/api/v1/candidates/{id}", MONITORS, review::detail)
        .post("/api/v1/candidates/{id}/approve", MONITORS, review::approve)
        .post("/api/v1/candidates/{id}/reject", MONITORS, review::reject)
        .post("/api/v1/candidates/{id}/snooze", MONITORS, review::snooze)
        .post("/api/v1/candidates/{id}/merge", MONITORS, review::merge)
        .get("/api/v1/issues/{id}", MONITORS, review::issue)
        .post("/api/v1/issues/{id}/edit", MONITORS, review::edit_issue)
        .post(
            "/api/v1/issues/{id}/withdraw",
            MONITORS,
            review::withdraw_issue,
        )
}

/// The approved-issues feed: the assignment system (consumer), monitors and admins.
fn feed_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/api/v1/issues/approved", FEED_READERS, feed::approved)
}

/// Who reads the 09:30 brief: monitors, editors (and admins).
const BRIEF_READERS: Access = Access::Roles(&[Role::Monitor, Role::Editor]);
/// Who reads the official assignment message: monitors, the assignment system (and admins).
const ASSIGNMENT_READERS: Access = Access::Roles(&[Role::Monitor, Role::Consumer]);

/// The published briefs and assignment messages, and the day's assignment message.
fn brief_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/briefs", BRIEF_READERS, briefs::list)
        .get("/briefs/{date}", BRIEF_READERS, briefs::page)
        .get("/api/v1/briefs/{date}", BRIEF_READERS, briefs::api)
        .get(
            "/api/v1/assignments/{date}/message",
            ASSIGNMENT_READERS,
            briefs::assignment_message,
        )
        .get("/overdue", MONITORS, overdue::page)
        .get("/api/v1/issues/overdue", MONITORS, overdue::api)
        .get("/assignments", MONITORS, assignments::list)
        .get("/assignments/{date}", MONITORS, assignments::page)
        .get(
            "/api/v1/assignments/{date}",
            ASSIGNMENT_READERS,
            assignments::api,
        )
}

/// The audit trail: admins only.
fn audit_routes(r: Routes<AppState>) -> Routes<AppState> {
    r.get("/audit", ADMINS, audit::page)
        .get("/api/v1/audit", ADMINS, audit::list)
        .get("/api/v1/audit/export", ADMINS, audit::export)
        .get("/api/v1/webhooks", ADMINS, webhooks::overview)
        .post("/api/v1/webhooks/{name}/replay", ADMINS, webhooks::replay)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds the login rate limit.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The API's description, written by hand beside the code (tests check that every
/// `/api/v1` route is in it).
pub const OPENAPI: &str = include_str!("../api/openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            // The same for everyone until the next release: the one answer a cache may keep.
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        OPENAPI,
    )
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    documents: i64,
    indexed: u64,
    /// Enabled sources in sources.toml whose state is `failing`. Informative: praden is up
    /// and serving whatever its sources say, so the status stays `ok` (a probe restarting
    /// the server would not mend a dead feed).
    sources_failing: usize,
    /// This process's name among the processes on the database.
    node: String,
    /// The leases this process holds now: the jobs it runs (`job:…`), the sources it is
    /// polling (`poll:…`), the hosts it is fetching from (`host:…`).
    leases: Vec<HealthLease>,
    /// How far this process's index is behind the store.
    index: IndexLag,
}

#[derive(Serialize)]
struct HealthLease {
    name: String,
    #[serde(with = "time::serde::rfc3339")]
    since: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    until: time::OffsetDateTime,
}

#[derive(Serialize)]
struct IndexLag {
    /// The store's last place in commit order, and the index's committed mark.
    store_place: i64,
    index_mark: i64,
    /// Documents stored but not yet in the index's last commit (counted up to 100,000).
    behind: i64,
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let documents = state
        .store
        .count_documents()
        .await
        .map_err(ApiError::StoreUnavailable)?;
    let now = time::OffsetDateTime::now_utc();
    let leases = state
        .store
        .leases_held(Some(&state.node.id), now)
        .await
        .map_err(ApiError::StoreUnavailable)?
        .into_iter()
        .map(|l| HealthLease {
            name: l.name,
            since: l.since,
            until: l.until,
        })
        .collect();
    let index_mark = state
        .index
        .high_water_mark()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let store_place = state
        .store
        .last_document_place()
        .await
        .map_err(ApiError::StoreUnavailable)?;
    let behind = state
        .store
        .documents_placed_after(index_mark, 100_000)
        .await
        .map_err(ApiError::StoreUnavailable)?;
    let failing: std::collections::HashSet<String> = state
        .store
        .source_states()
        .await
        .map_err(ApiError::StoreUnavailable)?
        .into_iter()
        .filter(|s| s.status == praden_store::SourceStatus::Failing)
        .map(|s| s.source_id)
        .collect();
    // Only the sources configured now: a source removed from sources.toml keeps its state.
    let sources_failing = state
        .sources
        .iter()
        .filter(|c| c.enabled && failing.contains(&c.id))
        .count();
    Ok(Json(Health {
        status: "ok",
        documents,
        indexed: state.index.num_docs(),
        sources_failing,
        node: state.node.id.to_string(),
        leases,
        index: IndexLag {
            store_place,
            index_mark,
            behind,
        },
    }))
}

/// Every `.rs` file of this crate's `src`: for the tests that hold the crate to its rules
/// (routes through the table, handlers through `extract`).
#[cfg(test)]
pub(crate) fn source_files() -> Vec<std::path::PathBuf> {
    fn visit(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    visit(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
}
