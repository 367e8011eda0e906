//! The console's page shell (header, navigation, notices) and the small pieces every page
//! draws: status badges, times, JSON blocks, the hidden form token. Values are written with
//! maud's `(value)`, which escapes them: a customer called `<b>Acme</b>` reads as that text.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::{PREFIX, Viewer, query};

/// The page a navigation link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Opportunities,
    Invitations,
    Activity,
    None,
}

/// What the shell around a page's content shows.
pub(super) struct Shell<'a> {
    pub title: &'a str,
    pub nav: Nav,
    /// The account and catalog being looked at, kept across the navigation links.
    pub scope: Option<(&'a str, &'a str)>,
    /// The `done` code of the action that led here (see [`notice`]).
    pub done: Option<&'a str>,
}

/// What a `done` code tells the person who just acted.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "review" => "AWS's review decision was recorded.",
        "stage" => "The AWS side of the opportunity was changed.",
        "team" => "The AWS team member was added.",
        "referral" => "The referral was sent: the invitation is pending below.",
        "expired" => "The clock moved past the invitation's expiration date.",
        "clock" => "The clock was moved.",
        "fault" => "The fault rule was added.",
        "unfault" => "The fault rule was removed.",
        "unfaults" => "Every fault rule was removed.",
        _ => return None,
    })
}

/// A whole page: the shell around `content`.
pub(super) fn page(viewer: &Viewer, shell: &Shell<'_>, content: Markup) -> Markup {
    let scope_query = match shell.scope {
        Some((account, catalog)) => query(&[("account", account), ("catalog", catalog)]),
        None => String::new(),
    };
    let link = |nav: Nav, path: &str, label: &str| {
        let href = format!("{PREFIX}{path}{scope_query}");
        html! {
            @if nav == shell.nav {
                a href=(href) aria-current="page" { (label) }
            } @else {
                a href=(href) { (label) }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No favicon request: it would reach the API and show in the activity page.
                link rel="icon" href="data:,";
                title { (shell.title) " · partnercentral-local" }
                link rel="stylesheet" href={ (PREFIX) "/assets/console.css" };
                script src={ (PREFIX) "/assets/console.js" } defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "partnercentral-local" }
                    nav aria-label="Console" {
                        (link(Nav::Opportunities, "/", "Opportunities"))
                        (link(Nav::Invitations, "/invitations", "Invitations & clock"))
                        (link(Nav::Activity, "/activity", "Activity & faults"))
                    }
                    @if viewer.protected {
                        form.signout method="post" action={ (PREFIX) "/logout" } {
                            (token(viewer))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    @if let Some(text) = shell.done.and_then(notice) {
                        p.notice role="status" { (text) }
                    }
                    (content)
                }
            }
        }
    }
}

/// The page of a failure: what went wrong, and that nothing changed.
pub(super) fn error(viewer: &Viewer, status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        viewer,
        &Shell {
            title,
            nav: Nav::None,
            scope: None,
            done: None,
        },
        html! {
            h1 { (status.as_u16()) " " (title) }
            p.error role="alert" { (message) }
            p { "Go back, correct the form and send it again; or return to the "
                a href={ (PREFIX) "/" } { "opportunities" } "." }
        },
    )
}

/// The hidden form token every state-changing form carries.
pub(super) fn token(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// A value as a badge whose colour follows the value (`Approved`, `PENDING`, ...).
pub(super) fn badge(value: &str) -> Markup {
    let class: String = value
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if value.is_empty() {
        return html! { span.muted { "—" } };
    }
    html! { span class={ "badge b-" (class) } { (value) } }
}

/// A stored timestamp, shortened for reading (`2026-01-31 12:00:00`), the full value kept in
/// `datetime`.
pub(super) fn time(stamp: &str) -> Markup {
    if stamp.is_empty() {
        return html! { span.muted { "—" } };
    }
    let shown = stamp.replacen('T', " ", 1);
    let shown = match shown.split_once('.') {
        Some((whole, _)) => whole.to_string(),
        None => shown.trim_end_matches('Z').to_string(),
    };
    html! { time datetime=(stamp) { (shown) } }
}

/// A JSON document, folded under `label`.
pub(super) fn json_block(label: &str, value: &Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! {
        details.json {
            summary { (label) }
            pre { code { (text) } }
        }
    }
}

/// A string member at a dotted path of a JSON document.
pub(super) fn text_at<'v>(value: &'v Value, path: &str) -> &'v str {
    path.split('.')
        .try_fold(value, |cur, p| cur.get(p))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `—` for an empty value, else the value.
pub(super) fn or_dash(value: &str) -> Markup {
    if value.is_empty() {
        html! { span.muted { "—" } }
    } else {
        html! { (value) }
    }
}
