//! An opportunity's page (`/_admin/ui/accounts/{account}/catalogs/{catalog}/opportunities/{id}`):
//! the partner record (as GetOpportunity answers it), the AWS summary (as
//! GetAwsOpportunitySummary answers it, or why there is none yet), the next-steps history of
//! both sides, associated solutions and products, its engagement and invitations, snapshots,
//! and its events as a timeline. A submitted opportunity gets AWS's review buttons
//! (**Approve**, **Action Required**, **Reject**, with comments); an approved one, the forms
//! that set the AWS stage and add an AWS team member. Each posts to an endpoint here that calls
//! what `POST .../review` and `PATCH .../aws-opportunities/{id}` call.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::Response;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::layout::{self, Nav, Shell, badge, json_block, or_dash, text_at, token};
use super::{Fields, Form, PREFIX, UiError, Viewer, act, opportunity_path, query, with_notice};
use crate::admin::{context, review_decision};
use crate::app::AppState;
use crate::ops::opportunities::admin::{self as aws, AwsSideChange};
use crate::ops::opportunities::view;
use crate::ops::{Context, ServiceError, access};
use crate::store::{EngagementRecord, InvitationRecord, SnapshotRecord, Store};

/// Review statuses AWS decides from.
const UNDER_REVIEW: [&str; 2] = ["Submitted", "In review"];

struct Loaded {
    ctx: Context,
    id: String,
    partner: Value,
    related: Vec<(String, Vec<String>)>,
    /// The AWS summary, or why there is none.
    aws: Result<Value, String>,
    engagement: Option<EngagementRecord>,
    invitations: Vec<InvitationRecord>,
    snapshots: Vec<SnapshotRecord>,
    events: Vec<Value>,
    now: String,
}

fn load(state: &AppState, ctx: Context, id: &str) -> Result<Loaded, UiError> {
    let svc = &state.service;
    let (rec, engagement, invitations, snapshots) = svc.store.read(|tx| {
        let rec = access::find_opportunity(tx, &ctx, id)?
            .ok_or_else(|| access::opportunity_not_found(&ctx, id))?;
        let (engagement, invitations, snapshots) = match rec.linked_engagement() {
            Some(eng) => (
                tx.get_engagement(&ctx.catalog, eng)?,
                tx.engagement_invitations(&ctx.catalog, eng)?,
                tx.list_snapshots(&ctx.catalog, eng)?
                    .into_iter()
                    .filter(|s| s.resource_id == id)
                    .collect(),
            ),
            None => (None, Vec::new(), Vec::new()),
        };
        Ok::<_, ServiceError>((rec, engagement, invitations, snapshots))
    })?;
    let aws = match aws::get_aws_side(svc, &ctx, id) {
        Ok(v) => Ok(v),
        Err(ServiceError::NotFound(why)) => Err(why),
        Err(e) => return Err(e.into()),
    };
    let eng = rec.linked_engagement().map(str::to_string);
    let events = {
        let (account, catalog) = (ctx.account.as_str(), ctx.catalog.as_str());
        let mut events = svc.newest_events(200, |e| {
            related_event(e, account, catalog, id, eng.as_deref())
        })?;
        events.reverse();
        events
    };
    Ok(Loaded {
        partner: view::opportunity(&ctx, &rec),
        related: rec
            .related
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        id: id.to_string(),
        aws,
        engagement,
        invitations,
        snapshots,
        events,
        now: crate::domain::time::format(svc.clock.now()),
        ctx,
    })
}

/// Whether an event told the account about this opportunity or its engagement.
fn related_event(e: &Value, account: &str, catalog: &str, id: &str, eng: Option<&str>) -> bool {
    let detail = &e["detail"];
    if e["account"] != account || detail["catalog"] != catalog {
        return false;
    }
    if text_at(detail, "opportunity.identifier") == id
        || text_at(detail, "resourceSnapshot.resourceId") == id
    {
        return true;
    }
    eng.is_some_and(|eng| {
        text_at(detail, "engagementInvitation.engagementId") == eng
            || text_at(detail, "engagement.id") == eng
            || text_at(detail, "engagement.engagementId") == eng
    })
}

/// `GET` an opportunity's page.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((account, catalog, id)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    let fields = Fields::query(q.as_deref());
    super::show_page(&state, viewer, move |s, v| {
        let ctx = context(s, &account, &catalog)?;
        let loaded = load(s, ctx, &id)?;
        Ok(page(s, v, &loaded, fields.get("done")))
    })
    .await
}

fn page(state: &AppState, viewer: &Viewer, l: &Loaded, done: Option<&str>) -> Markup {
    let p = &l.partner;
    let review = text_at(p, "LifeCycle.ReviewStatus");
    let title = text_at(p, "Project.Title");
    let company = text_at(p, "Customer.Account.CompanyName");
    let here = opportunity_path(&l.ctx.account, &l.ctx.catalog, &l.id);
    let home = format!(
        "{PREFIX}/{}",
        query(&[("account", &l.ctx.account), ("catalog", &l.ctx.catalog)])
    );
    let content = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href=(home) { "Opportunities of " (l.ctx.account) " in " (l.ctx.catalog) }
            " › " (l.id)
        }
        h1 { (l.id) ": " (or_dash(title)) }
        p.facts {
            "Customer " strong.customer { (or_dash(company)) }
            " · Stage " (or_dash(text_at(p, "LifeCycle.Stage")))
            " · Review status " (badge(review))
            " · Origin " (or_dash(text_at(p, "Origin")))
        }
        @if UNDER_REVIEW.contains(&review) {
            (review_form(viewer, &here))
        }
        div.columns {
            section aria-labelledby="partner-h" {
                h2 #partner-h { "Partner record" }
                (partner_facts(p))
                (json_block("The whole record, as GetOpportunity answers it", p))
            }
            section aria-labelledby="aws-h" {
                h2 #aws-h { "AWS summary" }
                @match &l.aws {
                    Ok(summary) => {
                        (aws_facts(summary))
                        (json_block("The whole summary, as GetAwsOpportunitySummary answers it", summary))
                        (aws_forms(state, viewer, &here, summary))
                    }
                    Err(why) => {
                        p.why { (why) }
                    }
                }
            }
        }
        section aria-labelledby="steps-h" {
            h2 #steps-h { "Next steps history" }
            div.columns {
                div {
                    h3 { "Partner" }
                    (history(p.pointer("/LifeCycle/NextStepsHistory"), text_at(p, "LifeCycle.NextSteps")))
                }
                div {
                    h3 { "AWS" }
                    @match &l.aws {
                        Ok(s) => (history(s.pointer("/LifeCycle/NextStepsHistory"), text_at(s, "LifeCycle.NextSteps"))),
                        Err(_) => p.muted { "No AWS summary yet." },
                    }
                }
            }
        }
        section aria-labelledby="assoc-h" {
            h2 #assoc-h { "Associated solutions and products" }
            @if l.related.is_empty() {
                p.muted { "Nothing is associated (AssociateOpportunity)." }
            } @else {
                dl.pairs {
                    @for (kind, ids) in &l.related {
                        dt { (kind) }
                        dd { @for (i, id) in ids.iter().enumerate() { @if i > 0 { ", " } code { (id) } } }
                    }
                }
            }
        }
        section aria-labelledby="eng-h" {
            h2 #eng-h { "Engagement and invitations" }
            (engagement(l))
        }
        section aria-labelledby="snap-h" {
            h2 #snap-h { "Snapshots" }
            @if l.snapshots.is_empty() {
                p.muted { "No resource snapshot of this opportunity." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Template" } th scope="col" class="num" { "Revision" } th scope="col" { "Taken by" } th scope="col" { "At" } th scope="col" { "Shared with" } } }
                    tbody {
                        @for s in &l.snapshots {
                            tr {
                                td { (s.template) }
                                td.num { (s.revision) }
                                td { (s.created_by) }
                                td { (layout::time(&s.created_at)) }
                                td { (s.target_member_accounts.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="events-h" {
            h2 #events-h { "Events" }
            @if l.events.is_empty() {
                p.muted { "No event kept for this opportunity (the log keeps the last 10,000; a reset clears it)." }
            } @else {
                ol.timeline {
                    @for e in &l.events {
                        li {
                            (layout::time(text_at(e, "time")))
                            " "
                            strong { (text_at(e, "detail-type")) }
                            (event_note(e))
                        }
                    }
                }
            }
        }
    };
    layout::page(
        viewer,
        &Shell {
            title: &format!("{} · {}", l.id, l.ctx.account),
            nav: Nav::Opportunities,
            scope: Some((&l.ctx.account, &l.ctx.catalog)),
            done,
        },
        content,
    )
}

/// What an event in the timeline is about, beyond its type.
fn event_note(e: &Value) -> Markup {
    let d = &e["detail"];
    let invitation = text_at(d, "engagementInvitation.id");
    let member = text_at(d, "engagementMember.accountId");
    let template = text_at(d, "resourceSnapshot.resourceSnapshotTemplateName");
    html! {
        @if !invitation.is_empty() {
            " — invitation " code { (invitation) } " (" (text_at(d, "engagementInvitation.participantType")) ")"
        }
        @if !member.is_empty() {
            " — member " (member)
        }
        @if !template.is_empty() {
            " — " (template)
        }
    }
}

fn partner_facts(p: &Value) -> Markup {
    let rows = [
        ("Review status", "LifeCycle.ReviewStatus"),
        ("Review comments", "LifeCycle.ReviewComments"),
        ("Review status reason", "LifeCycle.ReviewStatusReason"),
        ("Stage", "LifeCycle.Stage"),
        ("Next steps", "LifeCycle.NextSteps"),
        ("Target close date", "LifeCycle.TargetCloseDate"),
        ("Customer", "Customer.Account.CompanyName"),
        ("Industry", "Customer.Account.Industry"),
        ("Website", "Customer.Account.WebsiteUrl"),
        ("Country", "Customer.Account.Address.CountryCode"),
        ("Opportunity type", "OpportunityType"),
        ("Created", "CreatedDate"),
        ("Last modified", "LastModifiedDate"),
    ];
    html! {
        dl.pairs {
            @for (label, path) in rows {
                @let v = text_at(p, path);
                @if !v.is_empty() || path == "LifeCycle.ReviewStatus" {
                    dt { (label) }
                    dd.customer[path == "Customer.Account.CompanyName"] {
                        @if path.ends_with("Date") && path != "LifeCycle.TargetCloseDate" { (layout::time(v)) } @else { (v) }
                    }
                }
            }
        }
    }
}

fn aws_facts(s: &Value) -> Markup {
    let rows = [
        ("AWS stage", "LifeCycle.Stage"),
        ("AWS next steps", "LifeCycle.NextSteps"),
        ("Target close date", "LifeCycle.TargetCloseDate"),
        ("Closed lost reason", "LifeCycle.ClosedLostReason"),
        ("Origin", "Origin"),
        ("Involvement type", "InvolvementType"),
        ("Visibility", "Visibility"),
        ("Engagement score", "Insights.EngagementScore"),
    ];
    let team = s["OpportunityTeam"].as_array().cloned().unwrap_or_default();
    html! {
        dl.pairs {
            @for (label, path) in rows {
                @let v = text_at(s, path);
                @if !v.is_empty() {
                    dt { (label) }
                    dd { (v) }
                }
            }
        }
        h3 { "AWS team" }
        @if team.is_empty() {
            p.muted { "No AWS team member." }
        } @else {
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Title" } th scope="col" { "Email" } } }
                tbody {
                    @for m in &team {
                        tr {
                            td { (text_at(m, "FirstName")) " " (text_at(m, "LastName")) }
                            td { (or_dash(text_at(m, "BusinessTitle"))) }
                            td { (or_dash(text_at(m, "Email"))) }
                        }
                    }
                }
            }
        }
    }
}

fn history(list: Option<&Value>, current: &str) -> Markup {
    let entries = list.and_then(Value::as_array).cloned().unwrap_or_default();
    html! {
        @if entries.is_empty() {
            @if current.is_empty() {
                p.muted { "No next steps." }
            } @else {
                p { "Now: " (current) }
            }
        } @else {
            ol.history {
                @for h in &entries {
                    li { (layout::time(text_at(h, "Time"))) " — " (text_at(h, "Value")) }
                }
            }
        }
    }
}

fn engagement(l: &Loaded) -> Markup {
    let Some(e) = &l.engagement else {
        return html! { p.muted { "Not in an engagement yet: submitting it (StartEngagementFromOpportunityTask) creates one." } };
    };
    let invitations_page = format!(
        "{PREFIX}/invitations{}",
        query(&[("account", &l.ctx.account), ("catalog", &l.ctx.catalog)])
    );
    html! {
        dl.pairs {
            dt { "Engagement" } dd { code { (e.id) } " — " (e.title) }
            dt { "Created" } dd { (layout::time(&e.created_at)) " by " (e.created_by) }
            dt { "Members" }
            dd { @for (i, m) in e.members.iter().enumerate() { @if i > 0 { ", " } (m.company_name) " (" (m.account_id) ")" } }
            dt { "Contexts" }
            dd { @for (i, t) in e.context_types().iter().enumerate() { @if i > 0 { ", " } (t) } }
        }
        @if l.invitations.is_empty() {
            p.muted { "No invitation in this engagement." }
        } @else {
            table {
                caption { "Invitations in this engagement (" a href=(invitations_page) { "all invitations" } ")" }
                thead { tr { th scope="col" { "Invitation" } th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Status" } th scope="col" { "Sent" } } }
                tbody {
                    @for i in &l.invitations {
                        tr {
                            td { code { (i.id) } }
                            td { (i.sender_company_name) " (" (i.sender_aws_account_id) ")" }
                            td { (i.receiver_aws_account_id) }
                            td { (badge(crate::ops::invitations::view::status_at(i, &l.now))) }
                            td { (layout::time(&i.invitation_date)) }
                        }
                    }
                }
            }
        }
    }
}

/// AWS's review buttons, exactly as labelled in Partner Central's own words.
fn review_form(viewer: &Viewer, here: &str) -> Markup {
    html! {
        section.action aria-labelledby="review-h" {
            h2 #review-h { "Play AWS: review this opportunity" }
            form method="post" action={ (here) "/review" } {
                (token(viewer))
                div.field {
                    label for="review-comments" { "Comments (optional; the partner reads them as ReviewComments)" }
                    textarea #review-comments name="comments" rows="2" maxlength="255" {}
                }
                div.buttons {
                    button.approve type="submit" name="status" value="Approved" { "Approve" }
                    button type="submit" name="status" value="Action Required" { "Action Required" }
                    button.reject type="submit" name="status" value="Rejected" { "Reject" }
                }
            }
        }
    }
}

/// The forms AWS's seller uses on an approved opportunity: the AWS stage (and next steps),
/// and another AWS team member.
fn aws_forms(state: &AppState, viewer: &Viewer, here: &str, summary: &Value) -> Markup {
    let model = state.service.model;
    let stage = text_at(summary, "LifeCycle.Stage");
    html! {
        section.action aria-labelledby="stage-h" {
            h3 #stage-h { "Play AWS: set the AWS stage" }
            form method="post" action={ (here) "/aws-stage" } {
                (token(viewer))
                div.row {
                    div.field {
                        label for="aws-stage" { "AWS stage" }
                        select #aws-stage name="stage" required {
                            @for v in model.enum_values("AwsOpportunityStage") {
                                option value=(v) selected[v == stage] { (v) }
                            }
                        }
                    }
                    div.field.grow {
                        label for="aws-next" { "AWS next steps (optional)" }
                        input #aws-next type="text" name="next_steps" maxlength="255";
                    }
                }
                button type="submit" { "Set AWS stage" }
            }
        }
        section.action aria-labelledby="team-h" {
            h3 #team-h { "Play AWS: add an AWS team member" }
            form method="post" action={ (here) "/aws-team" } {
                (token(viewer))
                div.row {
                    div.field {
                        label for="tm-first" { "First name" }
                        input #tm-first type="text" name="first_name" required maxlength="80";
                    }
                    div.field {
                        label for="tm-last" { "Last name" }
                        input #tm-last type="text" name="last_name" required maxlength="80";
                    }
                }
                div.row {
                    div.field.grow {
                        label for="tm-email" { "Email" }
                        input #tm-email type="email" name="email" required maxlength="80";
                    }
                    div.field {
                        label for="tm-title" { "Business title" }
                        select #tm-title name="title" {
                            @for v in model.enum_values("AwsMemberBusinessTitle") {
                                option value=(v) { (v) }
                            }
                        }
                    }
                }
                button type="submit" { "Add team member" }
            }
        }
    }
}

/// `POST .../review`: AWS's decision, as `POST /_admin/.../review` makes it.
pub(super) async fn review(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((account, catalog, id)): Path<(String, String, String)>,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let ctx = context(s, &account, &catalog)?;
        let status = fields.require("status", "The decision (status)")?;
        review_decision(
            s,
            &ctx,
            &id,
            status,
            fields.get("comments"),
            fields.get("reason"),
        )?;
        Ok(with_notice(
            &opportunity_path(&account, &catalog, &id),
            "review",
        ))
    })
    .await
}

/// `POST .../aws-stage`: a merge patch of AWS's `LifeCycle`, as `PATCH
/// /_admin/.../aws-opportunities/{id}` applies it.
pub(super) async fn aws_stage(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((account, catalog, id)): Path<(String, String, String)>,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let ctx = context(s, &account, &catalog)?;
        let mut life = json!({"Stage": fields.require("stage", "The AWS stage")?});
        if let Some(next) = fields.get("next_steps") {
            life["NextSteps"] = json!(next);
        }
        aws::write_aws_side(
            &s.service,
            &ctx,
            &id,
            AwsSideChange::Patch(json!({"LifeCycle": life})),
        )?;
        Ok(with_notice(
            &opportunity_path(&account, &catalog, &id),
            "stage",
        ))
    })
    .await
}

/// `POST .../aws-team`: the team as AWS shows it, plus one member, written as `PATCH
/// /_admin/.../aws-opportunities/{id}` writes it (what `partnercentral-local aws
/// add-team-member` does).
pub(super) async fn aws_team(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((account, catalog, id)): Path<(String, String, String)>,
    Form(fields): Form,
) -> Response<Body> {
    act(&state, viewer, move |s| {
        let ctx = context(s, &account, &catalog)?;
        let mut member = serde_json::Map::new();
        for (field, name) in [
            ("first_name", "FirstName"),
            ("last_name", "LastName"),
            ("email", "Email"),
            ("title", "BusinessTitle"),
        ] {
            if let Some(v) = fields.get(field) {
                member.insert(name.into(), json!(v));
            }
        }
        if member.is_empty() {
            return Err(UiError::bad(
                "A team member needs at least a name or an email.",
            ));
        }
        let current = aws::get_aws_side(&s.service, &ctx, &id)?;
        let mut team = current["OpportunityTeam"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        team.push(Value::Object(member));
        aws::write_aws_side(
            &s.service,
            &ctx,
            &id,
            AwsSideChange::Patch(json!({"OpportunityTeam": team})),
        )?;
        Ok(with_notice(
            &opportunity_path(&account, &catalog, &id),
            "team",
        ))
    })
    .await
}
