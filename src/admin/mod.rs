//! The control plane (`/_admin/...`): plain JSON over HTTP that plays AWS's part and runs
//! the emulator. It is a second door into the same operations and store as the API, never a
//! second copy of the rules. Bad input answers `400 {"error": "..."}` and changes nothing.
//! Bodies are read by the same reader as the API's (same size limit and deadline), and store
//! work runs on the blocking pool, as the API's does.

pub mod client;
pub mod files;
pub mod ui;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::domain::{CATALOGS, ids};
use crate::ops::engagements::admin as engagements;
use crate::ops::invitations::admin as invitations;
use crate::ops::opportunities::admin::{self as opportunities, AwsSideChange};
use crate::ops::opportunities::rules as opportunity_rules;
use crate::ops::solutions::admin as solutions;
use crate::ops::{Context, ServiceError, features, state};
use crate::rules::faults::{FaultRule, Faults};
use crate::store::AnyStore;
use crate::store::Store;

/// A control-plane failure: status and a message naming the problem.
pub struct AdminError(StatusCode, String);

impl AdminError {
    fn bad(message: impl Into<String>) -> Self {
        AdminError(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<ServiceError> for AdminError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => AdminError(StatusCode::NOT_FOUND, m),
            ServiceError::Conflict(m) => AdminError(StatusCode::CONFLICT, m),
            ServiceError::AccessDenied(m) => AdminError(StatusCode::FORBIDDEN, m),
            ServiceError::Denied { message, .. } => AdminError(StatusCode::FORBIDDEN, message),
            ServiceError::QuotaExceeded(m) => AdminError(StatusCode::TOO_MANY_REQUESTS, m),
            ServiceError::Invalid(v) | ServiceError::Business(v) => AdminError::bad(
                v.iter()
                    .map(|f| format!("{} ({}): {}", f.field, f.code.as_str(), f.message))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ServiceError::NotImplemented(m) => AdminError(StatusCode::NOT_IMPLEMENTED, m),
            ServiceError::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                AdminError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage failure; see the server log".into(),
                )
            }
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn answer(result: Result<Value, AdminError>) -> Response<Body> {
    match result {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(AdminError(status, message)) => json_response(status, &json!({"error": message})),
    }
}

/// Runs a control-plane action on the blocking pool (it reads or writes the store) and
/// answers its result.
async fn run(
    state: &Arc<AppState>,
    f: impl FnOnce(&AppState) -> Result<Value, AdminError> + Send + 'static,
) -> Response<Body> {
    answer(state.blocking(f).await.unwrap_or_else(|_| {
        Err(AdminError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log".into(),
        ))
    }))
}

/// A control-plane request body, read by the API's body reader with the API's limits.
struct AdminBody(Bytes);

impl FromRequest<Arc<AppState>> for AdminBody {
    type Rejection = Response<Body>;

    async fn from_request(
        req: Request<Body>,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        crate::http::body::read(&parts.headers, body, state.body)
            .await
            .map(AdminBody)
            .map_err(|e| {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
                json_response(status, &json!({"error": e.to_string()}))
            })
    }
}

fn parse_body(bytes: &Bytes, required: bool) -> Result<Map<String, Value>, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(AdminError::bad("the request needs a JSON object body"))
        } else {
            Ok(Map::new())
        };
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AdminError::bad("the body must be a JSON object")),
        Err(e) => Err(AdminError::bad(format!("the body is not valid JSON: {e}"))),
    }
}

/// An optional string member of a body.
fn optional_str<'b>(
    body: &'b Map<String, Value>,
    name: &str,
) -> Result<Option<&'b str>, AdminError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AdminError::bad(format!("{name} must be a string"))),
    }
}

fn check_catalog(catalog: &str) -> Result<(), AdminError> {
    if CATALOGS.contains(&catalog) {
        Ok(())
    } else {
        Err(AdminError::bad(format!(
            "catalog must be one of [{}]; got {}",
            CATALOGS.join(", "),
            crate::model::validate::quote(catalog)
        )))
    }
}

fn check_account(account: &str) -> Result<(), AdminError> {
    if ids::is_account_id(account) {
        Ok(())
    } else {
        Err(AdminError::bad(format!(
            "accountId must be 12 digits; got {}",
            crate::model::validate::quote(account)
        )))
    }
}

fn context(state: &AppState, account: &str, catalog: &str) -> Result<Context, AdminError> {
    check_account(account)?;
    check_catalog(catalog)?;
    Ok(Context {
        account: account.to_string(),
        catalog: catalog.to_string(),
        region: state.service.region.clone(),
    })
}

/// Whether the request carries `Authorization: Bearer <admin token>` (compared in constant
/// time); false when no token is configured.
fn bearer_ok(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(token) = &state.admin_token else {
        return false;
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    sent.as_bytes().ct_eq(token.expose().as_bytes()).into()
}

/// Refuses control-plane requests without the bearer token, when one is configured. The web
/// console (`/_admin/ui/`) has its own guard ([`ui`]), which also accepts its session cookie.
async fn require_token(
    State(state): State<Arc<AppState>>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    if state.admin_token.is_some() && !bearer_ok(&state, req.headers()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "the control plane requires Authorization: Bearer <admin token>"}),
        );
    }
    next.run(req).await
}

/// The control plane's routes.
pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/_admin/health", get(health))
        .route("/_admin/operations", get(operations))
        .route("/_admin/reset", post(reset))
        .route(
            "/_admin/faults",
            get(faults_list).post(faults_add).delete(faults_clear),
        )
        .route("/_admin/faults/{id}", axum::routing::delete(faults_remove))
        .route("/_admin/quotas", get(quotas_show))
        .route("/_admin/events", get(events_list))
        .route("/_admin/state", get(state_get).put(state_put))
        .route(
            "/_admin/accounts/{account}/catalogs/{catalog}/solutions",
            get(solutions_list).post(solutions_add),
        )
        .route(
            "/_admin/accounts/{account}/catalogs/{catalog}/opportunities/{id}/review",
            post(review),
        )
        .route(
            "/_admin/accounts/{account}/catalogs/{catalog}/invitations",
            post(invitations_send),
        )
        .route(
            "/_admin/accounts/{account}/profile",
            get(profile_get).put(profile_put).delete(profile_delete),
        )
        .route(
            "/_admin/accounts/{account}/features",
            get(features_get).delete(features_delete),
        )
        .route(
            "/_admin/accounts/{account}/features/{feature}",
            axum::routing::put(feature_put),
        )
        .route(
            "/_admin/catalogs/{catalog}/engagement-groups",
            get(groups_get).put(groups_put).delete(groups_delete),
        )
        .route(
            "/_admin/catalogs/{catalog}/prospecting",
            get(prospecting_get)
                .put(prospecting_put)
                .delete(prospecting_delete),
        )
        .route(
            "/_admin/accounts/{account}/catalogs/{catalog}/customer-accounts/{id}/matching",
            axum::routing::put(matching_put).delete(matching_delete),
        )
        .route("/_admin/files", get(files::list))
        .route(
            "/_admin/files/{*key}",
            axum::routing::put(files::upload).delete(files::delete),
        )
        .route("/_admin/rules", get(rules_list))
        .route(
            "/_admin/clock",
            get(clock_get).post(clock_set).delete(clock_reset),
        )
        .route(
            "/_admin/accounts/{account}/catalogs/{catalog}/aws-opportunities/{id}",
            get(aws_get)
                .put(aws_put)
                .patch(aws_patch)
                .delete(aws_delete),
        )
        .route("/_admin", axum::routing::any(unknown))
        .route("/_admin/{*rest}", axum::routing::any(unknown))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

/// The account's partner profile: what the API cannot know (partner type, programs,
/// Limited-visibility eligibility, the user who owns its opportunities).
async fn profile_get(
    State(state): State<Arc<AppState>>,
    Path(account): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        let profile = state
            .service
            .store
            .read(|tx| opportunity_rules::profile(tx, &account))?;
        Ok(json!(profile))
    })
    .await
}

async fn profile_put(
    State(state): State<Arc<AppState>>,
    Path(account): Path<String>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        let profile: crate::rules::business::Profile = serde_json::from_slice(&body)
            .map_err(|e| AdminError::bad(format!("not a profile: {e}")))?;
        if !matches!(profile.partner_type.as_str(), "Consulting" | "Software") {
            return Err(AdminError::bad(
                "PartnerType must be 'Consulting' or 'Software'",
            ));
        }
        let shape = state.service.model.shape_id("Contact");
        if let Some(shape) = shape {
            let user = json!({
                "Email": profile.user.email,
                "FirstName": profile.user.first_name,
                "LastName": profile.user.last_name,
            });
            crate::model::validate::validate(state.service.model, shape, &user)
                .map_err(|e| AdminError::bad(format!("User is not a valid Contact: {e:?}")))?;
        }
        state
            .service
            .store
            .transaction(|tx| opportunity_rules::set_profile(tx, &account, Some(&profile)))?;
        Ok(json!(profile))
    })
    .await
}

async fn profile_delete(
    State(state): State<Arc<AppState>>,
    Path(account): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        state
            .service
            .store
            .transaction(|tx| opportunity_rules::set_profile(tx, &account, None))?;
        Ok(json!(crate::rules::business::Profile::default()))
    })
    .await
}

/// The account's feature switches (`crate::ops::features`): every feature and whether it is on.
async fn features_get(
    State(state): State<Arc<AppState>>,
    Path(account): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        Ok(state
            .service
            .store
            .read(|tx| features::describe(tx, &account).map_err(ServiceError::from))?)
    })
    .await
}

/// Switches one feature on or off: `{"enabled": true|false}`.
async fn feature_put(
    State(state): State<Arc<AppState>>,
    Path((account, feature)): Path<(String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        let Some(which) = features::Feature::named(&feature) else {
            let names: Vec<&str> = features::FEATURES.iter().map(|f| f.name).collect();
            return Err(AdminError::bad(format!(
                "unknown feature {}; features: [{}]",
                crate::model::validate::quote(&feature),
                names.join(", ")
            )));
        };
        let body = parse_body(&body, true)?;
        let on = match body.get("enabled") {
            Some(Value::Bool(on)) => *on,
            None | Some(Value::Null) => return Err(AdminError::bad("enabled is required")),
            Some(_) => return Err(AdminError::bad("enabled must be true or false")),
        };
        Ok(state.service.store.transaction(|tx| {
            features::set(tx, &account, which, on)?;
            Ok::<_, ServiceError>(features::describe(tx, &account)?)
        })?)
    })
    .await
}

/// Every feature of the account back on.
async fn features_delete(
    State(state): State<Arc<AppState>>,
    Path(account): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_account(&account)?;
        Ok(state.service.store.transaction(|tx| {
            features::reset(tx, Some(&account))?;
            Ok::<_, ServiceError>(features::describe(tx, &account)?)
        })?)
    })
    .await
}

/// The engagement groups AWS curates in a catalog.
async fn groups_get(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        let groups = state
            .service
            .store
            .read(|tx| engagements::groups(tx, &catalog))?;
        Ok(json!({"Groups": groups}))
    })
    .await
}

async fn groups_put(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        let body = parse_body(&body, true)?;
        Ok(engagements::put_groups(&state.service, &catalog, &body)?)
    })
    .await
}

async fn groups_delete(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        Ok(engagements::clear_groups(&state.service, &catalog)?)
    })
    .await
}

/// What prospecting tasks return in a catalog.
async fn prospecting_get(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        Ok(state
            .service
            .store
            .read(|tx| engagements::prospecting(tx, &catalog))?)
    })
    .await
}

async fn prospecting_put(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        let body = parse_body(&body, true)?;
        Ok(engagements::put_prospecting(
            &state.service,
            &catalog,
            &body,
        )?)
    })
    .await
}

async fn prospecting_delete(
    State(state): State<Arc<AppState>>,
    Path(catalog): Path<String>,
) -> Response<Body> {
    run(&state, move |state| {
        check_catalog(&catalog)?;
        Ok(engagements::clear_prospecting(&state.service, &catalog)?)
    })
    .await
}

/// AWS's matching of a customer account: a forced outcome.
async fn matching_put(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let body = parse_body(&body, true)?;
        Ok(crate::ops::customers::admin::force(
            &state.service,
            &ctx,
            &id,
            Some(&body),
        )?)
    })
    .await
}

async fn matching_delete(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        Ok(crate::ops::customers::admin::force(
            &state.service,
            &ctx,
            &id,
            None,
        )?)
    })
    .await
}

/// The business rule table, as the server applies it.
async fn rules_list(State(state): State<Arc<AppState>>) -> Response<Body> {
    let rules: Vec<Value> = crate::rules::business::table::RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "field": r.field,
                "fieldName": crate::rules::business::field_name(r.field),
                "steps": r.steps.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "code": r.code.as_str(),
                "rule": r.rule,
                "message": r.message,
                "source": r.source.as_str(),
            })
        })
        .collect();
    answer(Ok(json!({
        "mode": match state.service.business_rules {
            crate::rules::business::Mode::Aws => "aws",
            crate::rules::business::Mode::Off => "off",
        },
        "rules": rules,
    })))
}

/// Any other path under `/_admin` (never the API's).
async fn unknown(req: Request<Body>) -> Response<Body> {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": format!("no control-plane endpoint {} {}", req.method(), req.uri().path())}),
    )
}

async fn health(State(state): State<Arc<AppState>>) -> Response<Body> {
    let store = state
        .blocking(|s| s.service.store.health())
        .await
        .unwrap_or_else(|_| {
            Err(crate::store::StoreError::Open(
                "the store check panicked".into(),
            ))
        });
    let (status, store) = match store {
        Ok(facts) => (
            StatusCode::OK,
            json!({"ok": true, "schemaVersion": facts.schema_version}),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"ok": false, "error": e.to_string()}),
        ),
    };
    json_response(
        status,
        &json!({
            "status": if status == StatusCode::OK { "ok" } else { "unavailable" },
            "version": env!("CARGO_PKG_VERSION"),
            "storage": state.service.store.kind(),
            "store": store,
            "model": state.service.model.botocore_version,
            "operations": {
                "implemented": state.service.registry.implemented().len(),
                "total": state.service.model.operations.len(),
            },
            "logLinesDropped": crate::logging::dropped_lines(),
        }),
    )
}

async fn operations(State(state): State<Arc<AppState>>) -> Response<Body> {
    let table = match &state.quotas {
        Some(q) => q.table().clone(),
        None => crate::rules::quotas::QuotaTable::aws(),
    };
    answer(Ok(state.service.registry.describe(&table)))
}

async fn reset(State(state): State<Arc<AppState>>, AdminBody(body): AdminBody) -> Response<Body> {
    run(&state, move |state| {
        let body = parse_body(&body, false)?;
        let account = optional_str(&body, "accountId")?;
        let catalog = optional_str(&body, "catalog")?;
        if let Some(c) = catalog {
            check_catalog(c)?;
        }
        state.service.reset(account, catalog)?;
        Ok(json!({"reset": true, "accountId": account, "catalog": catalog}))
    })
    .await
}

async fn invitations_send(
    State(state): State<Arc<AppState>>,
    Path((account, catalog)): Path<(String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let body = parse_body(&body, true)?;
        Ok(invitations::send(&state.service, &ctx, &body)?)
    })
    .await
}

async fn clock_get(State(state): State<Arc<AppState>>) -> Response<Body> {
    answer(Ok(invitations::clock(&state.service)))
}

async fn clock_set(
    State(state): State<Arc<AppState>>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let body = parse_body(&body, true)?;
        Ok(invitations::set_clock(&state.service, &body)?)
    })
    .await
}

async fn clock_reset(State(state): State<Arc<AppState>>) -> Response<Body> {
    run(&state, move |state| {
        state.service.set_clock_offset(0)?;
        Ok(invitations::clock(&state.service))
    })
    .await
}

async fn review(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let body = parse_body(&body, true)?;
        let text = |name: &str| optional_str(&body, name);
        let status =
            text("ReviewStatus")?.ok_or_else(|| AdminError::bad("ReviewStatus is required"))?;
        review_decision(
            state,
            &ctx,
            &id,
            status,
            text("ReviewComments")?,
            text("ReviewStatusReason")?,
        )
    })
    .await
}

/// AWS's review decision (`POST .../review` and the console's buttons): the status must be
/// one of the model's `ReviewStatus` values; answers the opportunity as GetOpportunity shows it.
fn review_decision(
    state: &AppState,
    ctx: &Context,
    id: &str,
    status: &str,
    comments: Option<&str>,
    reason: Option<&str>,
) -> Result<Value, AdminError> {
    let model = state.service.model;
    if !model
        .enum_values("ReviewStatus")
        .iter()
        .any(|v| v == status)
    {
        return Err(AdminError::bad(format!(
            "ReviewStatus must be one of [{}]; got {}",
            model.enum_values("ReviewStatus").join(", "),
            crate::model::validate::quote(status)
        )));
    }
    Ok(opportunities::review(
        &state.service,
        ctx,
        id,
        status,
        comments,
        reason,
    )?)
}

async fn aws_get(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        Ok(opportunities::get_aws_side(&state.service, &ctx, &id)?)
    })
    .await
}

async fn aws_put(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let doc = parse_body(&body, true)?;
        Ok(opportunities::write_aws_side(
            &state.service,
            &ctx,
            &id,
            AwsSideChange::Put(doc),
        )?)
    })
    .await
}

async fn aws_patch(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let patch = Value::Object(parse_body(&body, true)?);
        Ok(opportunities::write_aws_side(
            &state.service,
            &ctx,
            &id,
            AwsSideChange::Patch(patch),
        )?)
    })
    .await
}

async fn aws_delete(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, id)): Path<(String, String, String)>,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        opportunities::delete_aws_side(&state.service, &ctx, &id)?;
        Ok(json!({"deleted": id}))
    })
    .await
}

async fn faults_list(State(state): State<Arc<AppState>>) -> Response<Body> {
    answer(Ok(json!({"faults": state.faults.list()})))
}

async fn faults_add(
    State(state): State<Arc<AppState>>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    match parse_body(&body, true) {
        Ok(body) => run(&state, move |s| add_fault(s, Value::Object(body))).await,
        Err(e) => answer(Err(e)),
    }
}

/// Adds a fault rule (`POST /_admin/faults` and the console's form); answers it with its id.
/// Blocking (replicas sharing a store share the rules).
fn add_fault(state: &AppState, body: Value) -> Result<Value, AdminError> {
    let rule: FaultRule = serde_json::from_value(body)
        .map_err(|e| AdminError::bad(format!("invalid fault rule: {e}")))?;
    let rule = Faults::prepare(state.service.model, rule).map_err(AdminError::bad)?;
    let added = rule.clone();
    crate::replicas::edit_faults(state, move |rules| rules.push(added))
        .map_err(ServiceError::from)?;
    Ok(serde_json::to_value(rule).unwrap_or_default())
}

/// Removes one fault rule (by id) or all, in every replica; how many. Blocking.
pub fn remove_faults(state: &AppState, id: Option<String>) -> Result<usize, AdminError> {
    Ok(crate::replicas::edit_faults(state, |rules| {
        crate::rules::faults::remove(rules, id.as_deref())
    })
    .map_err(ServiceError::from)?)
}

async fn faults_clear(State(state): State<Arc<AppState>>) -> Response<Body> {
    run(&state, |s| Ok(json!({"removed": remove_faults(s, None)?}))).await
}

async fn faults_remove(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Response<Body> {
    run(&state, move |s| match remove_faults(s, Some(id.clone()))? {
        0 => Err(AdminError(
            StatusCode::NOT_FOUND,
            format!("no fault rule {id}"),
        )),
        n => Ok(json!({"removed": n})),
    })
    .await
}

async fn quotas_show(State(state): State<Arc<AppState>>) -> Response<Body> {
    answer(Ok(match &state.quotas {
        Some(q) => json!({"enforced": true, "table": q.table()}),
        None => json!({"enforced": false, "table": crate::rules::quotas::QuotaTable::aws()}),
    }))
}

async fn events_list(State(state): State<Arc<AppState>>) -> Response<Body> {
    run(&state, |s| Ok(json!({"events": s.service.event_log()?}))).await
}

async fn state_get(State(state): State<Arc<AppState>>) -> Response<Body> {
    // Written from the stored records as they are, and streamed: no copy of the whole store
    // is ever in memory. The snapshot is taken at normal priority (writers may wait for it),
    // the long read at a lower one. A failure after the first byte cuts the connection, so
    // that a client never takes a short document for a whole one.
    let snapshot = match state
        .blocking(|state| state::prepare_export(&state.service))
        .await
    {
        Ok(Ok(snapshot)) => snapshot,
        Ok(Err(e)) => return answer(Err(AdminError::from(e))),
        Err(_) => return answer(Err(internal())),
    };
    let (mut writer, body) = crate::http::stream::response_body();
    let exporter = state.clone();
    tokio::spawn(async move {
        let done = exporter
            .background(move |_| {
                let written = state::export::<AnyStore>(snapshot, &mut writer).and_then(|()| {
                    std::io::Write::flush(&mut writer)
                        .map_err(|e| crate::store::StoreError::Write(e).into())
                });
                if let Err(e) = &written {
                    writer.abort(&e.to_string());
                }
                written
            })
            .await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(ServiceError::Store(crate::store::StoreError::Write(e)))) => {
                tracing::info!(error = %e, "state export stopped: the client went away");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "state export failed"),
            Err(_) => {}
        }
    });
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn internal() -> AdminError {
    AdminError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the server log".into(),
    )
}

/// Replaces the whole state with the request's document, read as a stream: no size limit
/// (memory holds one record at a time), but a pause longer than the body timeout ends it.
async fn state_put(State(state): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    let (reader, pump) = crate::http::stream::request_body(req.into_body(), state.body.timeout);
    let (_, imported) = tokio::join!(
        pump,
        state.blocking(move |state| state::import(&state.service, reader))
    );
    answer(match imported {
        Ok(Ok(counts)) => Ok(json!({"imported": counts})),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(internal()),
    })
}

impl From<state::ImportError> for AdminError {
    fn from(e: state::ImportError) -> Self {
        match e {
            state::ImportError::Invalid(m) => AdminError::bad(m),
            state::ImportError::Unreadable(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                AdminError(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("{io}; nothing was changed"),
                )
            }
            state::ImportError::Unreadable(io) => AdminError::bad(format!(
                "the document could not be read: {io}; nothing was changed"
            )),
            state::ImportError::Store(err) => ServiceError::Store(err).into(),
        }
    }
}

async fn solutions_list(
    State(state): State<Arc<AppState>>,
    Path((account, catalog)): Path<(String, String)>,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        Ok(solutions::list(&state.service, &ctx)?)
    })
    .await
}

async fn solutions_add(
    State(state): State<Arc<AppState>>,
    Path((account, catalog)): Path<(String, String)>,
    AdminBody(body): AdminBody,
) -> Response<Body> {
    run(&state, move |state| {
        let ctx = context(state, &account, &catalog)?;
        let doc = parse_body(&body, true)?;
        Ok(solutions::add(&state.service, &ctx, doc)?)
    })
    .await
}
