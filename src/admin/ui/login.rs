//! The token prompt, for a server started with `--admin-token`: a form whose right answer
//! sets the console's session cookie (a keyed hash of the token, `HttpOnly`,
//! `SameSite=Strict`, for `/_admin/ui` only). The token travels in the form's body only: never
//! in a URL, a page or a log line.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use maud::{DOCTYPE, Markup, html};
use subtle::ConstantTimeEq;

use super::{COOKIE, Fields, Form, LoginForm, PREFIX, html as html_response, see_other};
use crate::app::AppState;

/// A `next` page inside the console, or the home page.
fn next_of(fields: &Fields) -> String {
    let fallback = format!("{PREFIX}/");
    match fields.get("next") {
        Some(n)
            if n.starts_with("/_admin/ui/")
                && !n.starts_with("/_admin/ui/login")
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => fallback,
    }
}

/// The sign-in page; `next` is where a right token leads.
pub(super) fn prompt(next: &str, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { "Sign in · partnercentral-local" }
                link rel="stylesheet" href={ (PREFIX) "/assets/console.css" };
            }
            body {
                main #main.login {
                    h1 { "partnercentral-local console" }
                    p { "This server was started with " code { "--admin-token" } ". Enter that token to use the console." }
                    @if let Some(e) = error {
                        p.error role="alert" { (e) }
                    }
                    form method="post" action={ (PREFIX) "/login" } {
                        input type="hidden" name="next" value=(next);
                        label for="token" { "Admin token" }
                        input #token type="password" name="token" autocomplete="current-password" required autofocus;
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

/// `GET /_admin/ui/login`: the prompt (or the home page, when no token is needed).
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    if state.admin_token.is_none() {
        return see_other(&format!("{PREFIX}/"));
    }
    let next = next_of(&Fields::query(q.as_deref()));
    html_response(StatusCode::OK, prompt(&next, None))
}

/// `POST /_admin/ui/login`: the right token sets the session cookie and leads on.
pub(super) async fn submit(
    State(state): State<Arc<AppState>>,
    LoginForm(fields): LoginForm,
) -> Response<Body> {
    let next = next_of(&fields);
    let (Some(token), Some(session)) = (&state.admin_token, super::session_value(&state)) else {
        return see_other(&next);
    };
    let sent = fields.get("token").unwrap_or("");
    let right: bool = sent.as_bytes().ct_eq(token.expose().as_bytes()).into();
    if !right {
        // A little wait makes guessing slow; the token is never logged.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        return html_response(
            StatusCode::UNAUTHORIZED,
            prompt(&next, Some("That is not the server's admin token.")),
        );
    }
    let mut resp = see_other(&next);
    let cookie = format!("{COOKIE}={session}; Path={PREFIX}; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /_admin/ui/logout`: forgets the session cookie.
pub(super) async fn logout(Form(_): Form) -> Response<Body> {
    let mut resp = see_other(&format!("{PREFIX}/login"));
    let cookie = format!("{COOKIE}=; Path={PREFIX}; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}
