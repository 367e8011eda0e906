//! Home (`GET /_admin/ui/`): every account and catalog that holds records, and the
//! opportunities of the chosen one, newest first, with stage, review status, customer and
//! title; filters by review status and stage, and a search in id, customer and title. The
//! list refreshes itself (`?part=list` is the list alone, which the script fetches).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{Response, StatusCode};
use maud::{Markup, html};

use super::layout::{self, Nav, Shell, badge, or_dash};
use super::{Fields, PREFIX, UiError, Viewer, html as html_response, opportunity_path, query};
use crate::admin::{check_account, check_catalog};
use crate::app::AppState;
use crate::store::{BrowseQuery, BrowsedOpportunity, Scope, ScopeSummary, Store};

/// Opportunities per page.
const PAGE: usize = 50;

/// What the home page was asked for.
struct Asked {
    scope: Option<Scope>,
    review: Option<String>,
    stage: Option<String>,
    search: Option<String>,
    before: Option<i64>,
}

fn asked(state: &AppState, fields: &Fields) -> Result<Asked, UiError> {
    let scope = match (fields.get("account"), fields.get("catalog")) {
        (None, None) => None,
        (account, catalog) => {
            let account =
                account.ok_or_else(|| UiError::bad("account is required with catalog."))?;
            let catalog = catalog.unwrap_or("AWS");
            check_account(account)?;
            check_catalog(catalog)?;
            Some(Scope {
                account: account.to_string(),
                catalog: catalog.to_string(),
            })
        }
    };
    let model = state.service.model;
    let one_of = |name: &str, shape: &str| -> Result<Option<String>, UiError> {
        match fields.get(name) {
            None => Ok(None),
            Some(v) if model.enum_values(shape).iter().any(|e| e == v) => Ok(Some(v.to_string())),
            Some(v) => Err(UiError::bad(format!(
                "{name} must be one of [{}]; got {}",
                model.enum_values(shape).join(", "),
                crate::model::validate::quote(v)
            ))),
        }
    };
    let before = match fields.get("before") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            UiError::bad(format!(
                "before must be an opportunity number; got {}",
                crate::model::validate::quote(v)
            ))
        })?),
    };
    let search = fields.get("q").map(|q| q.chars().take(200).collect());
    Ok(Asked {
        scope,
        review: one_of("review", "ReviewStatus")?,
        stage: one_of("stage", "Stage")?,
        search,
        before,
    })
}

/// `GET /_admin/ui/`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    RawQuery(q): RawQuery,
) -> Response<Body> {
    let fields = Fields::query(q.as_deref());
    if fields.get("part") == Some("list") {
        return match state.blocking(move |s| list_part(s, &fields)).await {
            Ok(Ok(m)) => html_response(StatusCode::OK, m),
            Ok(Err(e)) => html_response(e.status, html! { p.error { (e.message) } }),
            Err(_) => html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                html! { p.error { "internal error" } },
            ),
        };
    }
    super::show_page(&state, viewer, move |s, v| page(s, v, &fields)).await
}

struct Loaded {
    scopes: Vec<ScopeSummary>,
    scope: Option<Scope>,
    rows: Vec<BrowsedOpportunity>,
    more: bool,
}

fn load(state: &AppState, asked: &Asked) -> Result<Loaded, UiError> {
    state.service.store.read(|tx| {
        let scopes = tx.scopes()?;
        let scope = asked.scope.clone().or_else(|| {
            scopes
                .iter()
                .find(|s| s.opportunities > 0)
                .or(scopes.first())
                .map(|s| s.scope.clone())
        });
        let mut rows = match &scope {
            Some(scope) => tx.browse_opportunities(
                scope,
                &BrowseQuery {
                    review_status: asked.review.clone(),
                    stage: asked.stage.clone(),
                    search: asked.search.clone(),
                    before: asked.before,
                    limit: PAGE + 1,
                },
            )?,
            None => Vec::new(),
        };
        let more = rows.len() > PAGE;
        rows.truncate(PAGE);
        Ok::<_, UiError>(Loaded {
            scopes,
            scope,
            rows,
            more,
        })
    })
}

fn list_part(state: &AppState, fields: &Fields) -> Result<Markup, UiError> {
    let asked = asked(state, fields)?;
    let loaded = load(state, &asked)?;
    Ok(list(&asked, &loaded))
}

fn page(state: &AppState, viewer: &Viewer, fields: &Fields) -> Result<Markup, UiError> {
    let asked = asked(state, fields)?;
    let loaded = load(state, &asked)?;
    let model = state.service.model;
    let scope = loaded.scope.as_ref();
    let chosen = |s: &Scope| scope == Some(s);
    let content = html! {
        h1 { "Opportunities" }
        section aria-labelledby="scopes-h" {
            h2 #scopes-h { "Accounts and catalogs" }
            @if loaded.scopes.is_empty() {
                p.empty { "Nothing is stored yet. Create an opportunity through the API (any 12-digit access key id is an account), or send an AWS referral from "
                    a href={ (PREFIX) "/invitations" } { "Invitations" } "." }
            } @else {
                table.scopes {
                    thead { tr { th scope="col" { "Account" } th scope="col" { "Catalog" } th scope="col" class="num" { "Opportunities" } th scope="col" class="num" { "Invitations" } } }
                    tbody {
                        @for s in &loaded.scopes {
                            tr.chosen[chosen(&s.scope)] {
                                td { a href={ (PREFIX) "/" (query(&[("account", &s.scope.account), ("catalog", &s.scope.catalog)])) }
                                        aria-current=[chosen(&s.scope).then_some("true")] { (s.scope.account) } }
                                td { (s.scope.catalog) }
                                td.num { (s.opportunities) }
                                td.num { (s.invitations) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(scope) = scope {
            section aria-labelledby="list-h" {
                h2 #list-h { "Opportunities of " (scope.account) " in " (scope.catalog) }
                form.filters method="get" action={ (PREFIX) "/" } role="search" {
                    input type="hidden" name="account" value=(scope.account);
                    input type="hidden" name="catalog" value=(scope.catalog);
                    div.field {
                        label for="f-review" { "Review status" }
                        select #f-review name="review" {
                            option value="" { "Any" }
                            @for v in model.enum_values("ReviewStatus") {
                                option value=(v) selected[asked.review.as_deref() == Some(v.as_str())] { (v) }
                            }
                        }
                    }
                    div.field {
                        label for="f-stage" { "Stage" }
                        select #f-stage name="stage" {
                            option value="" { "Any" }
                            @for v in model.enum_values("Stage") {
                                option value=(v) selected[asked.stage.as_deref() == Some(v.as_str())] { (v) }
                            }
                        }
                    }
                    div.field.grow {
                        label for="f-q" { "Search id, customer or title" }
                        input #f-q type="search" name="q" value=[asked.search.as_deref()];
                    }
                    button type="submit" { "Filter" }
                    @if asked.review.is_some() || asked.stage.is_some() || asked.search.is_some() {
                        a.button-link href={ (PREFIX) "/" (query(&[("account", &scope.account), ("catalog", &scope.catalog)])) } { "Clear filters" }
                    }
                }
                div #opportunity-list data-live=(list_url(&asked, scope)) aria-live="off" {
                    (list(&asked, &loaded))
                }
            }
        }
    };
    Ok(layout::page(
        viewer,
        &Shell {
            title: "Opportunities",
            nav: Nav::Opportunities,
            scope: scope.map(|s| (s.account.as_str(), s.catalog.as_str())),
            done: fields.get("done"),
        },
        content,
    ))
}

/// Where the script fetches the list from.
fn list_url(asked: &Asked, scope: &Scope) -> String {
    let before = asked.before.map(|b| b.to_string()).unwrap_or_default();
    format!(
        "{PREFIX}/{}",
        query(&[
            ("account", &scope.account),
            ("catalog", &scope.catalog),
            ("review", asked.review.as_deref().unwrap_or("")),
            ("stage", asked.stage.as_deref().unwrap_or("")),
            ("q", asked.search.as_deref().unwrap_or("")),
            ("before", &before),
            ("part", "list"),
        ])
    )
}

/// The opportunity table (and the link to older ones).
fn list(asked: &Asked, loaded: &Loaded) -> Markup {
    let Some(scope) = &loaded.scope else {
        return html! {};
    };
    let older = loaded.rows.last().filter(|_| loaded.more).map(|last| {
        format!(
            "{PREFIX}/{}",
            query(&[
                ("account", &scope.account),
                ("catalog", &scope.catalog),
                ("review", asked.review.as_deref().unwrap_or("")),
                ("stage", asked.stage.as_deref().unwrap_or("")),
                ("q", asked.search.as_deref().unwrap_or("")),
                ("before", &last.num.to_string()),
            ])
        )
    });
    html! {
        @if loaded.rows.is_empty() {
            p.empty { "No opportunity matches." }
        } @else {
            table.opportunities {
                caption.visually-hidden { "Opportunities, newest first" }
                thead { tr {
                    th scope="col" { "Id" } th scope="col" { "Created" } th scope="col" { "Stage" }
                    th scope="col" { "Review status" } th scope="col" { "Customer" } th scope="col" { "Title" }
                } }
                tbody {
                    @for r in &loaded.rows {
                        tr {
                            td { a href=(opportunity_path(&scope.account, &scope.catalog, &r.id)) { (r.id) } }
                            td { (layout::time(&r.created)) }
                            td { (or_dash(&r.stage)) }
                            td { (badge(&r.review_status)) }
                            td.customer { (or_dash(&r.company_name)) }
                            td { (or_dash(&r.title)) }
                        }
                    }
                }
            }
            @if asked.before.is_some() || older.is_some() {
                p.pager {
                    @if asked.before.is_some() {
                        a href={ (PREFIX) "/" (query(&[("account", &scope.account), ("catalog", &scope.catalog), ("review", asked.review.as_deref().unwrap_or("")), ("stage", asked.stage.as_deref().unwrap_or("")), ("q", asked.search.as_deref().unwrap_or(""))])) } { "← Newest" }
                        " "
                    }
                    @if let Some(href) = &older {
                        a href=(href) { "Older →" }
                    }
                }
            }
        }
    }
}
