//! The web console (`/_admin/ui/`): the emulator's records seen in a browser, and AWS's side
//! played with a click. Server-rendered HTML ([`maud`] templates: every value is escaped),
//! one small stylesheet and one small script embedded in the binary; nothing is fetched from
//! the network and nothing needs building.
//!
//! Pages read through the same `ops` code as the JSON control plane, and every button posts a
//! form to an endpoint here that calls the same function as the matching `/_admin` endpoint
//! (review, AWS-side patch, invitations, clock, faults), then answers `303` back to a page
//! (POST/redirect/GET), or `400` with a page naming the problem, with nothing changed.
//!
//! One file per page: [`home`] (accounts, catalogs and their opportunities), [`opportunity`]
//! (one opportunity, its AWS side, engagement, snapshots and events, and the review buttons),
//! [`invitations`] (invitations per account, sending a referral, the clock) and [`activity`]
//! (recent API calls and events, live; fault rules). [`layout`] is the page shell and the
//! small rendering helpers, [`login`] the token prompt.
//!
//! **Access.** With `--admin-token`, a page asks for the token (a form, never a URL); the
//! right token sets an `HttpOnly`, `SameSite=Strict` session cookie that is a keyed hash of
//! the token (the token itself is never stored in the browser, put in a URL or logged). The
//! cookie is accepted here only: the JSON control plane keeps requiring its bearer token.
//! **Forgery.** Every state-changing form must come from the console's own origin (`Origin`,
//! or `Referer` when a browser sends no `Origin`) and carry the page's form token (a keyed
//! hash of the session, with a secret drawn when the process starts).

mod activity;
mod home;
mod invitations;
mod layout;
mod login;
mod opportunity;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use maud::Markup;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::AdminError;
use crate::app::AppState;
use crate::ops::ServiceError;

/// Where the console lives.
pub const PREFIX: &str = "/_admin/ui";
/// The session cookie's name.
const COOKIE: &str = "pcl_console";

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

/// The console's routes; every one passes [`guard`] (sign-in and forgery checks).
pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let scoped = "/_admin/ui/accounts/{account}/catalogs/{catalog}";
    Router::new()
        .route("/_admin/ui", get(|| async { see_other("/_admin/ui/") }))
        .route("/_admin/ui/", get(home::show))
        .route("/_admin/ui/assets/console.css", get(css))
        .route("/_admin/ui/assets/console.js", get(js))
        .route("/_admin/ui/login", get(login::show).post(login::submit))
        .route("/_admin/ui/logout", post(login::logout))
        .route(
            &format!("{scoped}/opportunities/{{id}}"),
            get(opportunity::show),
        )
        .route(
            &format!("{scoped}/opportunities/{{id}}/review"),
            post(opportunity::review),
        )
        .route(
            &format!("{scoped}/opportunities/{{id}}/aws-stage"),
            post(opportunity::aws_stage),
        )
        .route(
            &format!("{scoped}/opportunities/{{id}}/aws-team"),
            post(opportunity::aws_team),
        )
        .route(
            &format!("{scoped}/invitations/{{id}}/expire"),
            post(invitations::expire),
        )
        .route("/_admin/ui/invitations", get(invitations::show))
        .route("/_admin/ui/referrals", post(invitations::refer))
        .route("/_admin/ui/clock", post(invitations::clock_post))
        .route("/_admin/ui/activity", get(activity::show))
        .route("/_admin/ui/activity/live", get(activity::live))
        .route("/_admin/ui/faults", post(activity::add_fault))
        .route("/_admin/ui/faults/clear", post(activity::clear_faults))
        .route(
            "/_admin/ui/faults/{id}/remove",
            post(activity::remove_fault),
        )
        .route("/_admin/ui/{*rest}", axum::routing::any(not_found))
        .route_layer(middleware::from_fn_with_state(state, guard))
}

/// `GET /` from a browser (it accepts HTML and names no operation) goes to the console;
/// everything else at `/` is the API's, as before.
pub async fn root(State(state): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    let browser = req.method() == Method::GET
        && !req.headers().contains_key("x-amz-target")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if browser {
        return see_other("/_admin/ui/");
    }
    crate::http::api(State(state), req).await
}

/// A console failure, shown as a page: status and a message naming the problem.
#[derive(Debug)]
pub(super) struct UiError {
    status: StatusCode,
    message: String,
}

impl UiError {
    fn bad(message: impl Into<String>) -> Self {
        UiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> Self {
        UiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    fn internal() -> Self {
        UiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error; see the server log".into(),
        }
    }
}

impl From<AdminError> for UiError {
    fn from(AdminError(status, message): AdminError) -> Self {
        UiError { status, message }
    }
}

impl From<ServiceError> for UiError {
    fn from(e: ServiceError) -> Self {
        AdminError::from(e).into()
    }
}

impl From<crate::store::StoreError> for UiError {
    fn from(e: crate::store::StoreError) -> Self {
        ServiceError::Store(e).into()
    }
}

/// Who is looking: what the pages need to draw forms (the form token) and the sign-out button.
#[derive(Debug, Clone)]
pub(super) struct Viewer {
    /// The token every state-changing form carries (`csrf`).
    csrf: String,
    /// Whether the server has an admin token (the pages then offer to sign out).
    protected: bool,
}

impl Viewer {
    fn of(state: &AppState, headers: &HeaderMap) -> Self {
        let session = match &state.admin_token {
            Some(_) => cookie(headers).unwrap_or_default(),
            None => "open".to_string(),
        };
        Viewer {
            csrf: keyed(process_secret(), &format!("form:{session}")),
            protected: state.admin_token.is_some(),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Viewer::of(state, &parts.headers))
    }
}

/// A secret drawn once per process: the key of form tokens.
fn process_secret() -> &'static [u8; 32] {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    SECRET.get_or_init(rand::random)
}

/// HMAC-SHA256 of `message` under `key`, in hex.
fn keyed(key: &[u8], message: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; unreachable, and an empty token is never valid.
        return String::new();
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The session cookie's value for the configured admin token: a keyed hash of it, so that
/// the browser never holds the token itself.
fn session_value(state: &AppState) -> Option<String> {
    state.admin_token.as_ref().map(|t| {
        keyed(
            t.expose().as_bytes(),
            "partnercentral-local console session",
        )
    })
}

/// The session cookie the request carries, if any.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Whether the request may see the console: no token configured, or the session cookie (or
/// the control plane's bearer token) that the token gives.
fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = session_value(state) else {
        return true;
    };
    if super::bearer_ok(state, headers) {
        return true;
    }
    let sent = cookie(headers).unwrap_or_default();
    sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Whether a form post comes from a page of this server: its `Origin` (or, when a browser
/// sends none, its `Referer`) names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours =
        |origin: &str| origin == format!("http://{host}") || origin == format!("https://{host}");
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(ours);
    }
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            let rest = r
                .strip_prefix("http://")
                .or_else(|| r.strip_prefix("https://"))?;
            let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
            Some(authority == host)
        })
        .unwrap_or(false)
}

/// Sign-in and forgery checks in front of every console route.
async fn guard(
    State(state): State<Arc<AppState>>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    let path = req.uri().path();
    let public = path == "/_admin/ui/login" || path.starts_with("/_admin/ui/assets/");
    if req.method() == Method::POST && !same_origin(req.headers()) {
        let viewer = Viewer::of(&state, req.headers());
        return error_page(
            &viewer,
            UiError {
                status: StatusCode::FORBIDDEN,
                message: "A console form must be sent from the console's own pages (its Origin \
                          names another site, or none). Nothing was changed."
                    .into(),
            },
        );
    }
    if !public && !signed_in(&state, req.headers()) {
        if path == "/_admin/ui/activity/live" {
            return plain(StatusCode::UNAUTHORIZED, "sign in again: reload the page");
        }
        let next_path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/_admin/ui/".into());
        let page = login::prompt(&next_path, None);
        return html(StatusCode::UNAUTHORIZED, page);
    }
    next.run(req).await
}

/// Query or form fields, in order (the first of a repeated name wins).
#[derive(Debug, Clone, Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(bytes: &[u8]) -> Self {
        Fields(form_urlencoded::parse(bytes).into_owned().collect())
    }

    fn query(raw: Option<&str>) -> Self {
        Fields::parse(raw.unwrap_or("").as_bytes())
    }

    /// A field's value, trimmed; `None` when absent or blank.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A field that must be there, or a `400` naming it by its label.
    fn require(&self, name: &str, label: &str) -> Result<&str, UiError> {
        self.get(name)
            .ok_or_else(|| UiError::bad(format!("{label} is required.")))
    }
}

/// The fields of a posted console form, after its form token was checked.
pub(super) struct Form(Fields);

/// The fields of the sign-in form (which has no session yet, so no form token).
pub(super) struct LoginForm(Fields);

async fn read_form(
    req: Request<Body>,
    state: &Arc<AppState>,
    check_token: bool,
) -> Result<Fields, Response<Body>> {
    let (parts, body) = req.into_parts();
    let viewer = Viewer::of(state, &parts.headers);
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(error_page(
            &viewer,
            UiError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "A console form must be sent as application/x-www-form-urlencoded.".into(),
            },
        ));
    }
    let bytes = crate::http::body::read(&parts.headers, body, state.body)
        .await
        .map_err(|e| {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            error_page(
                &viewer,
                UiError {
                    status,
                    message: e.to_string(),
                },
            )
        })?;
    let fields = Fields::parse(&bytes);
    if check_token {
        let sent = fields.get("csrf").unwrap_or("");
        let ok: bool = sent.as_bytes().ct_eq(viewer.csrf.as_bytes()).into();
        if !ok {
            return Err(error_page(
                &viewer,
                UiError {
                    status: StatusCode::FORBIDDEN,
                    message: "The form's token is missing or out of date (the server restarted, \
                              or you signed in again): reload the page and send it again. \
                              Nothing was changed."
                        .into(),
                },
            ));
        }
    }
    Ok(fields)
}

impl FromRequest<Arc<AppState>> for Form {
    type Rejection = Response<Body>;

    async fn from_request(
        req: Request<Body>,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        read_form(req, state, true).await.map(Form)
    }
}

impl FromRequest<Arc<AppState>> for LoginForm {
    type Rejection = Response<Body>;

    async fn from_request(
        req: Request<Body>,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        read_form(req, state, false).await.map(LoginForm)
    }
}

/// An HTML answer, with headers that keep pages from being cached, framed or scripted from
/// elsewhere.
fn html(status: StatusCode, markup: Markup) -> Response<Body> {
    let mut resp = Response::new(Body::from(markup.into_string()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(h);
    resp
}

fn secure_headers(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    secure_headers(resp.headers_mut());
    resp
}

/// `303 See Other` to a console page (POST/redirect/GET).
fn see_other(location: &str) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    secure_headers(resp.headers_mut());
    resp
}

fn error_page(viewer: &Viewer, e: UiError) -> Response<Body> {
    html(e.status, layout::error(viewer, e.status, &e.message))
}

/// Renders a page on the blocking pool (pages read the store).
async fn show_page(
    state: &Arc<AppState>,
    viewer: Viewer,
    f: impl FnOnce(&AppState, &Viewer) -> Result<Markup, UiError> + Send + 'static,
) -> Response<Body> {
    let v = viewer.clone();
    match state.blocking(move |s| f(s, &v)).await {
        Ok(Ok(markup)) => html(StatusCode::OK, markup),
        Ok(Err(e)) => error_page(&viewer, e),
        Err(_) => error_page(&viewer, UiError::internal()),
    }
}

/// Performs a form's action on the blocking pool, then sends the browser to the page it
/// names; a failure is a page with the message (and nothing changed).
async fn act(
    state: &Arc<AppState>,
    viewer: Viewer,
    f: impl FnOnce(&AppState) -> Result<String, UiError> + Send + 'static,
) -> Response<Body> {
    match state.blocking(f).await {
        Ok(Ok(location)) => see_other(&location),
        Ok(Err(e)) => error_page(&viewer, e),
        Err(_) => error_page(&viewer, UiError::internal()),
    }
}

async fn css() -> Response<Body> {
    asset(CSS, "text/css; charset=utf-8")
}

async fn js() -> Response<Body> {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(text: &'static str, content_type: &'static str) -> Response<Body> {
    let mut resp = Response::new(Body::from(text));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn not_found(viewer: Viewer, req: Request<Body>) -> Response<Body> {
    error_page(
        &viewer,
        UiError::not_found(format!(
            "The console has no page {} {}.",
            req.method(),
            req.uri().path()
        )),
    )
}

/// A path segment, percent-encoded (every byte but unreserved characters).
fn seg(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string from name/value pairs, skipping empty values (with the leading `?`, or
/// nothing when no pair is left).
fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    let q = out.finish();
    if q.is_empty() { q } else { format!("?{q}") }
}

/// The console page of an opportunity.
fn opportunity_path(account: &str, catalog: &str, id: &str) -> String {
    format!(
        "{PREFIX}/accounts/{}/catalogs/{}/opportunities/{}",
        seg(account),
        seg(catalog),
        seg(id)
    )
}

/// A `back` field naming a console page, or the fallback (never another site).
fn back_to(fields: &Fields, fallback: &str) -> String {
    match fields.get("back") {
        Some(b)
            if b.starts_with("/_admin/ui/")
                && !b.contains("//")
                && !b.contains('\\')
                && !b.chars().any(char::is_control) =>
        {
            b.to_string()
        }
        _ => fallback.to_string(),
    }
}

/// Adds `done=<code>` (the notice a page shows) to a console path.
fn with_notice(path: &str, code: &str) -> String {
    let (base, q) = path.split_once('?').unwrap_or((path, ""));
    let kept: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "done")
        .collect();
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        out.append_pair(k, v);
    }
    out.append_pair("done", code);
    format!("{base}?{}", out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_form_post_must_come_from_the_same_origin() {
        let ok = headers(&[
            ("host", "127.0.0.1:4570"),
            ("origin", "http://127.0.0.1:4570"),
        ]);
        assert!(same_origin(&ok));
        let other = headers(&[
            ("host", "127.0.0.1:4570"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!same_origin(&other));
        let null = headers(&[("host", "127.0.0.1:4570"), ("origin", "null")]);
        assert!(!same_origin(&null));
        let referer = headers(&[
            ("host", "127.0.0.1:4570"),
            ("referer", "http://127.0.0.1:4570/_admin/ui/"),
        ]);
        assert!(same_origin(&referer));
        let lookalike = headers(&[
            ("host", "127.0.0.1:4570"),
            ("referer", "http://127.0.0.1:4570.evil.example/"),
        ]);
        assert!(!same_origin(&lookalike));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:4570")])));
    }

    #[test]
    fn back_links_stay_in_the_console() {
        let f = |v: &str| Fields(vec![("back".into(), v.into())]);
        assert_eq!(
            back_to(&f("/_admin/ui/activity"), "/x"),
            "/_admin/ui/activity"
        );
        assert_eq!(back_to(&f("https://evil.example/"), "/x"), "/x");
        assert_eq!(back_to(&f("/_admin/ui//evil.example"), "/x"), "/x");
        assert_eq!(back_to(&f("/_admin/ui/\\evil"), "/x"), "/x");
    }

    #[test]
    fn notices_replace_earlier_ones() {
        assert_eq!(
            with_notice("/_admin/ui/invitations?account=1&done=x", "clock"),
            "/_admin/ui/invitations?account=1&done=clock"
        );
        assert_eq!(
            with_notice("/_admin/ui/", "fault"),
            "/_admin/ui/?done=fault"
        );
    }

    #[test]
    fn cookies_are_found_among_others() {
        let h = headers(&[("cookie", "a=1; pcl_console=abc; b=2")]);
        assert_eq!(cookie(&h).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers(&[("cookie", "pcl_consolex=1")])), None);
    }
}
