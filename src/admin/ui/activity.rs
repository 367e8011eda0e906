//! Activity (`GET /_admin/ui/activity`): the last API calls (operation, account, status,
//! latency, request id; from `http::recent`) and the last events, refreshed every second by
//! the page's script from `GET /_admin/ui/activity/live` (the two tables alone); and the fault
//! rules in force, with a form that adds one (what `POST /_admin/faults` does) and buttons that
//! remove them (`DELETE /_admin/faults[/{id}]`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Response, StatusCode};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::layout::{self, Nav, Shell, badge, or_dash, text_at, token};
use super::{
    Fields, Form, PREFIX, UiError, Viewer, act, html as html_response, opportunity_path, seg,
    with_notice,
};
use crate::app::AppState;
use crate::domain::ids;
use crate::protocol::ErrorKind;

/// Calls and events shown.
const SHOWN: usize = 100;

/// The errors a fault rule may answer with.
const FAULT_ERRORS: [ErrorKind; 7] = [
    ErrorKind::Throttling,
    ErrorKind::InternalServer,
    ErrorKind::Validation,
    ErrorKind::AccessDenied,
    ErrorKind::ResourceNotFound,
    ErrorKind::Conflict,
    ErrorKind::ServiceQuotaExceeded,
];

/// `GET /_admin/ui/activity`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    let fields = Fields::query(q.as_deref());
    let done = fields.get("done").map(str::to_string);
    // Blocking: a shared store keeps the events.
    match state
        .blocking(move |s| page(s, &viewer, done.as_deref()))
        .await
    {
        Ok(markup) => html_response(StatusCode::OK, markup),
        Err(_) => internal_error(),
    }
}

/// `GET /_admin/ui/activity/live?part=calls|events`: one of the two tables, for the page's
/// script.
pub(super) async fn live(
    State(state): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    match Fields::query(q.as_deref()).get("part") {
        Some("calls") => html_response(StatusCode::OK, calls_table(&state)),
        Some("events") => match state.blocking(events_table).await {
            Ok(markup) => html_response(StatusCode::OK, markup),
            Err(_) => internal_error(),
        },
        _ => html_response(
            StatusCode::BAD_REQUEST,
            html! { p.error { "part must be calls or events" } },
        ),
    }
}

fn page(state: &AppState, viewer: &Viewer, done: Option<&str>) -> Markup {
    let content = html! {
        h1 { "Activity and faults" }
        div.live-bar {
            p.hint #live-status { "Updates every second." }
            button type="button" #live-toggle aria-pressed="false" { "Pause updates" }
        }
        div.columns.wide-right {
            section aria-labelledby="faults-h" {
                h2 #faults-h { "Fault rules" }
                (faults(state, viewer))
            }
            section aria-labelledby="events-h" {
                h2 #events-h { "Last events" }
                div.scroll #events-live tabindex="0" role="region" aria-labelledby="events-h"
                    data-live={ (PREFIX) "/activity/live?part=events" } {
                    (events_table(state))
                }
            }
        }
        section aria-labelledby="calls-h" {
            h2 #calls-h { "Last API calls" }
            div.scroll #calls-live tabindex="0" role="region" aria-labelledby="calls-h"
                data-live={ (PREFIX) "/activity/live?part=calls" } {
                (calls_table(state))
            }
        }
    };
    layout::page(
        viewer,
        &Shell {
            title: "Activity",
            nav: Nav::Activity,
            scope: None,
            done,
        },
        content,
    )
}

fn calls_table(state: &AppState) -> Markup {
    let calls = state.recent.newest(SHOWN);
    html! {
        @if calls.is_empty() {
            p.muted { "No API call since the server started." }
        } @else {
            table.calls {
                caption.visually-hidden { "API calls, newest first" }
                thead { tr {
                    th scope="col" { "Time (UTC)" } th scope="col" { "Operation" } th scope="col" { "Account" }
                    th scope="col" { "Catalog" } th scope="col" { "Status" } th scope="col" class="num" { "Latency (ms)" }
                    th scope="col" { "Request id" }
                } }
                tbody {
                    @for c in &calls {
                        tr.failed[c.status >= 400] {
                            td.nowrap { (c.at.format("%H:%M:%S%.3f").to_string()) }
                            td { (or_dash(c.operation.as_deref().unwrap_or(""))) }
                            td.nowrap { (or_dash(c.account.as_deref().unwrap_or(""))) }
                            td { (or_dash(c.catalog.as_deref().unwrap_or(""))) }
                            td {
                                (c.status)
                                @if let Some(e) = c.error { " " span.error-name { (e) } }
                            }
                            td.num { (format!("{:.1}", c.latency_us as f64 / 1000.0)) }
                            td { code.small { (c.request_id) } }
                        }
                    }
                }
            }
        }
    }
}

fn events_table(state: &AppState) -> Markup {
    let events = match state.service.newest_events(SHOWN, |_| true) {
        Ok(events) => events,
        Err(e) => {
            return html! { p.error { "The events cannot be read: " (e.to_string()) } };
        }
    };
    html! {
        @if events.is_empty() {
            p.muted { "No event kept." }
        } @else {
            table.events {
                caption.visually-hidden { "Events, newest first" }
                thead { tr {
                    th scope="col" { "Time (service clock)" } th scope="col" { "Detail type" } th scope="col" { "Account" }
                    th scope="col" { "About" }
                } }
                tbody {
                    @for e in &events {
                        tr {
                            td { (layout::time(text_at(e, "time"))) }
                            td { (text_at(e, "detail-type")) }
                            td.nowrap { (text_at(e, "account")) " " span.muted { (text_at(&e["detail"], "catalog")) } }
                            td { (about(e)) }
                        }
                    }
                }
            }
        }
    }
}

/// What an event is about: its opportunity (a link), invitation or engagement.
fn about(e: &Value) -> Markup {
    let d = &e["detail"];
    let account = text_at(e, "account");
    let catalog = text_at(d, "catalog");
    let opportunity = text_at(d, "opportunity.identifier");
    let invitation = text_at(d, "engagementInvitation.id");
    let snapshot_of = text_at(d, "resourceSnapshot.resourceId");
    let engagement = [
        text_at(d, "engagement.id"),
        text_at(d, "engagement.engagementId"),
    ]
    .into_iter()
    .find(|v| !v.is_empty())
    .unwrap_or("");
    let link = |id: &str| {
        html! {
            @if ids::is_account_id(account) && crate::domain::CATALOGS.contains(&catalog) {
                a href=(opportunity_path(account, catalog, id)) { (id) }
            } @else {
                code { (id) }
            }
        }
    };
    html! {
        @if !opportunity.is_empty() { "opportunity " (link(opportunity)) }
        @else if !snapshot_of.is_empty() { "snapshot of " (link(snapshot_of)) }
        @else if !invitation.is_empty() {
            "invitation " code { (invitation) } " (" (text_at(d, "engagementInvitation.participantType")) ")"
        }
        @else if !engagement.is_empty() { "engagement " code { (engagement) } }
    }
}

fn faults(state: &AppState, viewer: &Viewer) -> Markup {
    let rules = state.faults.list();
    let operations: Vec<&String> = state.service.model.operations.keys().collect();
    html! {
        {
            @if rules.is_empty() {
                p.muted { "No fault rule: every call is answered normally." }
            } @else {
                table.faults {
                    thead { tr {
                        th scope="col" { "Calls" } th scope="col" { "Effect" } th scope="col" { "Applies" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for r in &rules {
                            tr {
                                td {
                                    (r.operation)
                                    @if let Some(a) = &r.account_id { " of " span.nowrap { (a) } }
                                    br; code.muted { (r.id) }
                                }
                                td {
                                    @if let Some(e) = &r.error { (badge(e)) " " }
                                    @if let Some(ms) = r.latency_ms { "after " (ms) " ms " }
                                    @if let Some(m) = &r.message { br; span.muted { (m) } }
                                }
                                td {
                                    @match r.probability { Some(p) => { (format!("{:.0}%", p * 100.0)) }, None => { "always" } }
                                    br;
                                    @match r.count { Some(1) => { "1 more call" }, Some(n) => { (n) " more calls" }, None => { "until removed" } }
                                }
                                td {
                                    form.inline method="post" action={ (PREFIX) "/faults/" (seg(&r.id)) "/remove" } {
                                        (token(viewer))
                                        button type="submit" aria-label={ "Remove fault rule " (r.id) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
                form.inline method="post" action={ (PREFIX) "/faults/clear" } {
                    (token(viewer))
                    button type="submit" { "Remove all fault rules" }
                }
            }
            section.action aria-labelledby="fault-add-h" {
                h3 #fault-add-h { "Add a fault rule" }
                form method="post" action={ (PREFIX) "/faults" } {
                    (token(viewer))
                    div.row {
                        div.field {
                            label for="fa-op" { "Operation" }
                            select #fa-op name="operation" {
                                option value="*" { "* (every operation)" }
                                @for op in &operations { option value=(op) { (op) } }
                            }
                        }
                        div.field {
                            label for="fa-account" { "Account (optional, 12 digits)" }
                            input #fa-account type="text" name="accountId" inputmode="numeric" maxlength="12" size="14";
                        }
                        div.field {
                            label for="fa-error" { "Error" }
                            select #fa-error name="error" {
                                option value="" { "None (latency only)" }
                                @for k in FAULT_ERRORS { option value=(k.name()) selected[k == ErrorKind::Throttling] { (k.name()) } }
                            }
                        }
                    }
                    div.row {
                        div.field.grow {
                            label for="fa-message" { "Message (optional)" }
                            input #fa-message type="text" name="message" maxlength="255";
                        }
                        div.field {
                            label for="fa-latency" { "Latency, ms (optional)" }
                            input #fa-latency type="text" name="latencyMs" inputmode="numeric" maxlength="6" size="7";
                        }
                        div.field {
                            label for="fa-prob" { "Probability 0–1 (optional)" }
                            input #fa-prob type="text" name="probability" inputmode="decimal" maxlength="8" size="7";
                        }
                        div.field {
                            label for="fa-count" { "Uses (optional)" }
                            input #fa-count type="text" name="count" inputmode="numeric" maxlength="8" size="7";
                        }
                    }
                    button type="submit" { "Add fault rule" }
                }
            }
        }
    }
}

/// The control-plane body of a fault rule from the form's fields (numbers parsed here, the
/// rest checked by the same code as `POST /_admin/faults`).
fn fault_body(fields: &Fields) -> Result<Value, UiError> {
    let mut body = Map::new();
    body.insert(
        "operation".into(),
        json!(fields.require("operation", "The operation")?),
    );
    for name in ["accountId", "error", "message"] {
        if let Some(v) = fields.get(name) {
            body.insert(name.into(), json!(v));
        }
    }
    let number = |name: &str, label: &str| -> Result<Option<u64>, UiError> {
        fields
            .get(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    UiError::bad(format!(
                        "{label} must be a whole number; got {}",
                        crate::model::validate::quote(v)
                    ))
                })
            })
            .transpose()
    };
    if let Some(ms) = number("latencyMs", "Latency (ms)")? {
        body.insert("latencyMs".into(), json!(ms));
    }
    if let Some(n) = number("count", "Uses")? {
        body.insert("count".into(), json!(n));
    }
    if let Some(p) = fields.get("probability") {
        let p: f64 = p
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite())
            .ok_or_else(|| {
                UiError::bad(format!(
                    "Probability must be a number from 0 to 1; got {}",
                    crate::model::validate::quote(p)
                ))
            })?;
        body.insert("probability".into(), json!(p));
    }
    Ok(Value::Object(body))
}

/// `POST /_admin/ui/faults`: adds a rule, as `POST /_admin/faults` does.
pub(super) async fn add_fault(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        crate::admin::add_fault(s, fault_body(&fields)?)?;
        Ok(with_notice(&format!("{PREFIX}/activity"), "fault"))
    })
    .await
}

/// `POST /_admin/ui/faults/{id}/remove`: as `DELETE /_admin/faults/{id}`.
pub(super) async fn remove_fault(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(_): Form,
) -> Response<Body> {
    act(
        &state,
        viewer,
        move |s| match crate::admin::remove_faults(s, Some(id.clone()))? {
            0 => Err(UiError::not_found(format!("There is no fault rule {id}."))),
            _ => Ok(with_notice(&format!("{PREFIX}/activity"), "unfault")),
        },
    )
    .await
}

/// `POST /_admin/ui/faults/clear`: as `DELETE /_admin/faults`.
pub(super) async fn clear_faults(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Form(_): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        crate::admin::remove_faults(s, None)?;
        Ok(with_notice(&format!("{PREFIX}/activity"), "unfaults"))
    })
    .await
}

/// The page for a render that panicked.
fn internal_error() -> Response<Body> {
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        html! { p.error { "Internal error; see the server log." } },
    )
}
