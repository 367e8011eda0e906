//! Invitations (`GET /_admin/ui/invitations`): the invitations an account received and sent
//! in a catalog, pending, accepted, rejected or expired (as of the service clock), each
//! pending one with a button that moves the clock past its expiration date; a form that sends
//! the account an AWS referral (what `POST /_admin/.../invitations` does); and the clock, shown
//! and moved (what `/_admin/clock` does).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::Response;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::layout::{self, Nav, Shell, badge, or_dash, text_at, token};
use super::{
    Fields, Form, PREFIX, UiError, Viewer, act, back_to, opportunity_path, query, seg, with_notice,
};
use crate::admin::{check_account, check_catalog, context};
use crate::app::AppState;
use crate::domain::{CATALOGS, time};
use crate::ops::invitations::admin as aws;
use crate::ops::invitations::{flows, view};
use crate::store::{InvitationQuery, InvitationRecord, Role, Scope, ScopeSummary, Store};

/// Invitations listed per side.
const LIMIT: usize = 200;

struct Loaded {
    scopes: Vec<ScopeSummary>,
    scope: Option<Scope>,
    received: Vec<InvitationRecord>,
    sent: Vec<InvitationRecord>,
    now: String,
}

fn chosen_scope(fields: &Fields) -> Result<Option<Scope>, UiError> {
    match (fields.get("account"), fields.get("catalog")) {
        (None, None) => Ok(None),
        (account, catalog) => {
            let account =
                account.ok_or_else(|| UiError::bad("account is required with catalog."))?;
            let catalog = catalog.unwrap_or("AWS");
            check_account(account)?;
            check_catalog(catalog)?;
            Ok(Some(Scope {
                account: account.to_string(),
                catalog: catalog.to_string(),
            }))
        }
    }
}

fn load(state: &AppState, scope: Option<Scope>) -> Result<Loaded, UiError> {
    let now = time::format(state.service.clock.now());
    state.service.store.read(|tx| {
        let scopes = tx.scopes()?;
        let scope = scope.or_else(|| {
            scopes
                .iter()
                .find(|s| s.invitations > 0)
                .or(scopes.first())
                .map(|s| s.scope.clone())
        });
        let list = |role| -> Result<Vec<InvitationRecord>, crate::store::StoreError> {
            match &scope {
                Some(s) => tx.list_invitations(
                    &s.catalog,
                    &InvitationQuery {
                        account: s.account.clone(),
                        role,
                        statuses: Vec::new(),
                        payload_types: Vec::new(),
                        engagement_ids: Vec::new(),
                        senders: Vec::new(),
                        now: now.clone(),
                        descending: true,
                        after: None,
                        limit: LIMIT,
                    },
                ),
                None => Ok(Vec::new()),
            }
        };
        let received = list(Role::Receiver)?;
        let sent = list(Role::Sender)?;
        Ok::<_, UiError>(Loaded {
            scopes,
            scope,
            received,
            sent,
            now: now.clone(),
        })
    })
}

/// `GET /_admin/ui/invitations`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    let fields = Fields::query(q.as_deref());
    super::show_page(&state, viewer, move |s, v| {
        let loaded = load(s, chosen_scope(&fields)?)?;
        Ok(page(s, v, &loaded, fields.get("done")))
    })
    .await
}

/// The page's own address (for `back` fields), with its scope.
fn self_path(scope: Option<&Scope>) -> String {
    match scope {
        Some(s) => format!(
            "{PREFIX}/invitations{}",
            query(&[("account", &s.account), ("catalog", &s.catalog)])
        ),
        None => format!("{PREFIX}/invitations"),
    }
}

fn page(state: &AppState, viewer: &Viewer, l: &Loaded, done: Option<&str>) -> Markup {
    let scope = l.scope.as_ref();
    let here = self_path(scope);
    let content = html! {
        h1 { "Invitations and the clock" }
        section aria-labelledby="scopes-h" {
            h2 #scopes-h { "Accounts" }
            @if l.scopes.is_empty() {
                p.empty { "No account holds records yet: send one an AWS referral with the form below." }
            } @else {
                ul.scope-links {
                    @for s in &l.scopes {
                        @let on = scope == Some(&s.scope);
                        li {
                            a href={ (PREFIX) "/invitations" (query(&[("account", &s.scope.account), ("catalog", &s.scope.catalog)])) }
                              aria-current=[on.then_some("true")] {
                                (s.scope.account) " · " (s.scope.catalog) " — " (s.invitations)
                                @if s.invitations == 1 { " invitation" } @else { " invitations" }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(s) = scope {
            section aria-labelledby="recv-h" {
                h2 #recv-h { "Received by " (s.account) " in " (s.catalog) }
                (counts(&l.received, &l.now))
                (table(viewer, s, &l.received, &l.now, Role::Receiver, &here))
            }
            section aria-labelledby="sent-h" {
                h2 #sent-h { "Sent by " (s.account) " in " (s.catalog) }
                (counts(&l.sent, &l.now))
                (table(viewer, s, &l.sent, &l.now, Role::Sender, &here))
            }
        }
        div.columns.wide-right {
            div { (clock(state, viewer, &here)) }
            div { (referral_form(state, viewer, scope)) }
        }
    };
    layout::page(
        viewer,
        &Shell {
            title: "Invitations",
            nav: Nav::Invitations,
            scope: scope.map(|s| (s.account.as_str(), s.catalog.as_str())),
            done,
        },
        content,
    )
}

/// How many invitations are in each status (as of now).
fn counts(list: &[InvitationRecord], now: &str) -> Markup {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for i in list {
        *by.entry(view::status_at(i, now)).or_default() += 1;
    }
    html! {
        p.counts {
            @for status in ["PENDING", "ACCEPTED", "REJECTED", "EXPIRED"] {
                span { (badge(status)) " " (by.get(status).copied().unwrap_or(0)) }
                " "
            }
        }
    }
}

/// The customer and title an invitation shows.
fn subject(i: &InvitationRecord) -> (String, String) {
    let p = Value::Object(i.payload.clone());
    let company = [
        "OpportunityInvitation.Customer.CompanyName",
        "LeadInvitation.Customer.CompanyName",
    ]
    .iter()
    .map(|path| text_at(&p, path))
    .find(|v| !v.is_empty())
    .unwrap_or("")
    .to_string();
    let title = text_at(&p, "OpportunityInvitation.Project.Title").to_string();
    (company, title)
}

fn table(
    viewer: &Viewer,
    scope: &Scope,
    list: &[InvitationRecord],
    now: &str,
    role: Role,
    here: &str,
) -> Markup {
    if list.is_empty() {
        return html! { p.muted { "None." } };
    }
    html! {
        table.invitations {
            thead { tr {
                th scope="col" { "Invitation" }
                th scope="col" { @if role == Role::Receiver { "From" } @else { "To" } }
                th scope="col" { "Customer" } th scope="col" { "Title" } th scope="col" { "Type" }
                th scope="col" { "Status" } th scope="col" { "Sent" } th scope="col" { "Expires" }
                th scope="col" { span.visually-hidden { "Actions" } }
            } }
            tbody {
                @for i in list {
                    @let status = view::status_at(i, now);
                    @let (company, title) = subject(i);
                    tr {
                        td.nowrap { code { (i.id) } }
                        td {
                            @if role == Role::Receiver { (i.sender_company_name) " (" (i.sender_aws_account_id) ")" }
                            @else { (i.receiver_aws_account_id) }
                        }
                        td.customer { (or_dash(&company)) }
                        td { (or_dash(&title)) }
                        td { (i.payload_type) }
                        td { (badge(status)) }
                        td { (layout::time(&i.invitation_date)) }
                        td { (layout::time(i.expiration_date.as_deref().unwrap_or(""))) }
                        td {
                            @if status == flows::PENDING && i.expiration_date.is_some() {
                                form.inline method="post"
                                    action={ (PREFIX) "/accounts/" (seg(&scope.account)) "/catalogs/" (seg(&scope.catalog)) "/invitations/" (seg(&i.id)) "/expire" } {
                                    (token(viewer))
                                    input type="hidden" name="back" value=(here);
                                    button type="submit" aria-label={ "Expire " (i.id) " (moves the clock past its expiration date)" } { "Expire" }
                                }
                            }
                            @if status == "ACCEPTED" && role == Role::Receiver {
                                @if let Some(r) = &i.referral {
                                    a href=(opportunity_path(&scope.account, &scope.catalog, &r.opportunity_id)) { (r.opportunity_id) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn clock(state: &AppState, viewer: &Viewer, here: &str) -> Markup {
    let c = aws::clock(&state.service);
    let mode = text_at(&c, "mode");
    let offset = c["offsetMs"].as_i64().unwrap_or(0);
    html! {
        section.action aria-labelledby="clock-h" {
            h2 #clock-h { "Service clock" }
            p.clock {
                strong { (layout::time(text_at(&c, "now"))) } " UTC — "
                @if mode == "real" { "real time" } @else { "moved " (human_offset(offset)) " from real time" }
            }
            form method="post" action={ (PREFIX) "/clock" } {
                (token(viewer))
                input type="hidden" name="back" value=(here);
                input type="hidden" name="action" value="advance";
                div.row {
                    div.field.grow {
                        label for="clock-advance" { "Advance by (ISO 8601 duration, e.g. P16D, PT2H)" }
                        input #clock-advance type="text" name="advance" required placeholder="P16D" maxlength="40";
                    }
                }
                button type="submit" { "Advance the clock" }
            }
            form method="post" action={ (PREFIX) "/clock" } {
                (token(viewer))
                input type="hidden" name="back" value=(here);
                input type="hidden" name="action" value="set";
                div.row {
                    div.field.grow {
                        label for="clock-now" { "Set to (RFC 3339, e.g. 2030-01-31T12:00:00Z)" }
                        input #clock-now type="text" name="now" required maxlength="40";
                    }
                }
                button type="submit" { "Set the clock" }
            }
            @if mode != "real" {
                form method="post" action={ (PREFIX) "/clock" } {
                    (token(viewer))
                    input type="hidden" name="back" value=(here);
                    input type="hidden" name="action" value="real";
                    button type="submit" { "Return to real time" }
                }
            }
        }
    }
}

/// An offset in days, hours and minutes (`+16d 0h 3m`).
fn human_offset(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let minutes = ms.unsigned_abs() / 60_000;
    format!(
        "{sign}{}d {}h {}m",
        minutes / (24 * 60),
        minutes / 60 % 24,
        minutes % 60
    )
}

fn referral_form(state: &AppState, viewer: &Viewer, scope: Option<&Scope>) -> Markup {
    let model = state.service.model;
    let account = scope.map(|s| s.account.as_str()).unwrap_or("");
    let catalog = scope.map(|s| s.catalog.as_str()).unwrap_or("Sandbox");
    let close = (state.service.clock.now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    html! {
        section.action aria-labelledby="refer-h" {
            h2 #refer-h { "Play AWS: send an AWS referral" }
            p.hint { "AWS refers an opportunity to the account: it receives a PENDING invitation, and once accepted (StartEngagementByAcceptingInvitationTask) the opportunity joins its pipeline, approved." }
            form method="post" action={ (PREFIX) "/referrals" } {
                (token(viewer))
                div.row {
                    div.field.grow {
                        label for="r-account" { "To account (12 digits)" }
                        input #r-account type="text" name="account" value=(account) required inputmode="numeric" maxlength="12";
                    }
                    div.field {
                        label for="r-catalog" { "Catalog" }
                        select #r-catalog name="catalog" {
                            @for c in CATALOGS { option value=(c) selected[c == catalog] { (c) } }
                        }
                    }
                }
                div.field {
                    label for="r-company" { "Customer company name" }
                    input #r-company type="text" name="company" required maxlength="120";
                }
                div.row {
                    div.field {
                        label for="r-industry" { "Industry" }
                        select #r-industry name="industry" {
                            @for v in model.enum_values("Industry") {
                                option value=(v) selected[v == "Software and Internet"] { (v) }
                            }
                        }
                    }
                    div.field.grow {
                        label for="r-website" { "Website" }
                        input #r-website type="url" name="website" required value="https://www.example.com" maxlength="255";
                    }
                }
                div.row {
                    div.field {
                        label for="r-country" { "Country code" }
                        input #r-country type="text" name="country" required value="US" maxlength="2" size="3";
                    }
                    div.field {
                        label for="r-state" { "State or region (optional)" }
                        input #r-state type="text" name="state" maxlength="50";
                    }
                    div.field {
                        label for="r-postal" { "Postal code (optional)" }
                        input #r-postal type="text" name="postal" maxlength="20" size="8";
                    }
                }
                div.field {
                    label for="r-title" { "Project title" }
                    input #r-title type="text" name="title" required maxlength="255";
                }
                div.field {
                    label for="r-problem" { "Customer business problem (20 characters or more)" }
                    textarea #r-problem name="problem" rows="2" required maxlength="2000" {}
                }
                div.row {
                    div.field {
                        label for="r-stage" { "Stage" }
                        select #r-stage name="stage" {
                            @for v in model.enum_values("Stage") {
                                option value=(v) selected[v == "Prospect"] { (v) }
                            }
                        }
                    }
                    div.field {
                        label for="r-close" { "Target close date" }
                        input #r-close type="date" name="close" required value=(close);
                    }
                    div.field {
                        label for="r-spend" { "Monthly spend, USD (optional)" }
                        input #r-spend type="text" name="spend" inputmode="decimal" maxlength="20" size="8";
                    }
                }
                div.row {
                    div.field {
                        label for="r-sender" { "Sender (aws, or a partner's 12 digits)" }
                        input #r-sender type="text" name="sender" value="aws" maxlength="12" size="14";
                    }
                    div.field.grow {
                        label for="r-message" { "Message (optional)" }
                        input #r-message type="text" name="message" maxlength="255";
                    }
                }
                button type="submit" { "Send referral" }
            }
        }
    }
}

/// The control-plane body of a referral from the form's fields.
fn referral_body(fields: &Fields) -> Result<Map<String, Value>, UiError> {
    let mut address = json!({"CountryCode": fields.require("country", "Country code")?});
    if let Some(v) = fields.get("state") {
        address["StateOrRegion"] = json!(v);
    }
    if let Some(v) = fields.get("postal") {
        address["PostalCode"] = json!(v);
    }
    let mut project = json!({
        "Title": fields.require("title", "Project title")?,
        "CustomerBusinessProblem": fields.require("problem", "Customer business problem")?,
    });
    if let Some(amount) = fields.get("spend") {
        project["ExpectedCustomerSpend"] = json!([{"Amount": amount, "CurrencyCode": "USD",
                                                   "Frequency": "Monthly", "TargetCompany": "AWS"}]);
    }
    let opportunity = json!({
        "Customer": {"Account": {
            "CompanyName": fields.require("company", "Customer company name")?,
            "Industry": fields.require("industry", "Industry")?,
            "WebsiteUrl": fields.require("website", "Website")?,
            "Address": address}},
        "Project": project,
        "LifeCycle": {"Stage": fields.require("stage", "Stage")?,
                      "TargetCloseDate": fields.require("close", "Target close date")?},
    });
    let mut body = Map::new();
    body.insert("Opportunity".into(), opportunity);
    for (field, member) in [("sender", "SenderAwsAccountId"), ("message", "Message")] {
        if let Some(v) = fields.get(field) {
            body.insert(member.into(), json!(v));
        }
    }
    Ok(body)
}

/// `POST /_admin/ui/referrals`: what `POST /_admin/accounts/{a}/catalogs/{c}/invitations`
/// does with an `Opportunity`.
pub(super) async fn refer(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let account = fields.require("account", "The account")?;
        let catalog = fields.require("catalog", "The catalog")?;
        let ctx = context(s, account, catalog)?;
        let body = referral_body(&fields)?;
        aws::send(&s.service, &ctx, &body)?;
        let scope = Scope {
            account: ctx.account.clone(),
            catalog: ctx.catalog.clone(),
        };
        Ok(with_notice(&self_path(Some(&scope)), "referral"))
    })
    .await
}

/// `POST .../invitations/{id}/expire`: moves the clock just past a pending invitation's
/// expiration date (what `POST /_admin/clock {"now": ...}` does), so that it expires as
/// time would expire it.
pub(super) async fn expire(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((account, catalog, id)): Path<(String, String, String)>,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let ctx = context(s, &account, &catalog)?;
        let inv = s
            .service
            .store
            .read(|tx| crate::ops::access::invitation(tx, &ctx, &id))?;
        let now = time::format(s.service.clock.now());
        let status = view::status_at(&inv, &now);
        if status != flows::PENDING {
            return Err(UiError {
                status: axum::http::StatusCode::CONFLICT,
                message: format!("Invitation {id} is {status}, not PENDING: it cannot expire."),
            });
        }
        let expiry = inv
            .expiration_date
            .as_deref()
            .and_then(time::parse)
            .ok_or_else(|| UiError::bad(format!("Invitation {id} has no expiration date.")))?;
        let past = time::format(expiry + chrono::Duration::seconds(1));
        let mut body = Map::new();
        body.insert("now".into(), json!(past));
        aws::set_clock(&s.service, &body)?;
        let fallback = self_path(Some(&Scope { account, catalog }));
        Ok(with_notice(&back_to(&fields, &fallback), "expired"))
    })
    .await
}

/// `POST /_admin/ui/clock`: advance, set or return to real time (what `POST` and `DELETE
/// /_admin/clock` do).
pub(super) async fn clock_post(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let svc = &s.service;
        let mut body = Map::new();
        match fields.get("action") {
            Some("advance") => {
                body.insert(
                    "advance".into(),
                    json!(fields.require("advance", "The duration to advance by")?),
                );
                aws::set_clock(svc, &body)?;
            }
            Some("set") => {
                body.insert(
                    "now".into(),
                    json!(fields.require("now", "The time to set")?),
                );
                aws::set_clock(svc, &body)?;
            }
            Some("real") => svc.set_clock_offset(0)?,
            _ => {
                return Err(UiError::bad("action must be one of advance, set or real."));
            }
        }
        Ok(with_notice(
            &back_to(&fields, &format!("{PREFIX}/invitations")),
            "clock",
        ))
    })
    .await
}
