//! The JSON API. Every route is registered through `OpenApiRouter::routes`, which
//! takes its path and method from the handler's `#[utoipa::path]`: a route cannot
//! exist without its description in `/api/openapi.json`.

mod breaches;
mod campaigns;
mod catalogue;
mod companies;
mod compliance;
mod consents;
mod contacts;
mod contracts;
mod decisions;
pub(crate) mod download;
pub(crate) use download::zip_response;
mod orders;
mod outbox;
pub(crate) mod pages;
mod register;
mod requests;
mod retention;
mod schema;
mod system;
mod tracking;

use crate::error::{ErrorBody, ErrorDetail, FieldDetail};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use candor_app::Candor;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Candor API",
        description = "Candor's JSON API. Every response shows the caller's role only the fields the field catalogue lets it read; every read or change of a contact's personal data is recorded in the access audit.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorDetail, FieldDetail)),
    tags(
        (name = "contacts", description = "B2B and B2C contacts"),
        (name = "companies", description = "Companies that B2B contacts belong to"),
        (name = "consents", description = "The consent ledger: grants, withdrawals and refusals per purpose and channel"),
        (name = "contracts", description = "Contracts with a contact or a company: a running one lets contract-service messages through"),
        (name = "orders", description = "What a contact bought: lines and totals"),
        (name = "communication", description = "The communication rules: may a message of a category go to a contact on a channel now"),
        (name = "campaigns", description = "Segments and campaigns: audiences, reports rule by rule, sending with one-click unsubscribe"),
        (name = "requests", description = "Data subject requests: intake with a signed receipt, deadlines, identity, extension, refusal, answers"),
        (name = "breaches", description = "The breach register (B1, B2): each personal data breach, its 72-hour clock to the authority's notification, its notifications and history"),
        (name = "compliance", description = "The compliance dashboard (O1, R7): obligations watched, with their articles, and the maximum fines of Art. 83"),
        (name = "retention", description = "Retention policies (E4): those in force, the legal holds, the runs, a run or a preview now"),
        (name = "catalogue", description = "The field catalogue: purposes, bases, retention, access"),
        (name = "outbox", description = "Emails Candor queued and delivered"),
        (name = "pages", description = "HTML pages people reach from Candor's emails"),
        (name = "system", description = "Health and description of the service"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `candor token create`"))
                    .build(),
            ),
        );
    }
}

fn api_router() -> OpenApiRouter<Candor> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(contacts::list_contacts, contacts::create_contact))
        .routes(routes!(
            contacts::get_contact,
            contacts::update_contact,
            contacts::delete_contact
        ))
        .routes(routes!(contacts::contact_erasure))
        .routes(routes!(contacts::contact_audit))
        .routes(routes!(
            consents::contact_consents,
            consents::record_consent
        ))
        .routes(routes!(
            companies::list_companies,
            companies::create_company
        ))
        .routes(routes!(
            companies::get_company,
            companies::update_company,
            companies::delete_company
        ))
        .routes(routes!(
            contracts::list_contact_contracts,
            contracts::create_contact_contract
        ))
        .routes(routes!(
            contracts::list_company_contracts,
            contracts::create_company_contract
        ))
        .routes(routes!(contracts::update_contract))
        .routes(routes!(orders::list_orders, orders::create_order))
        .routes(routes!(decisions::decide))
        .routes(routes!(campaigns::create_segment, campaigns::list_segments))
        .routes(routes!(
            campaigns::get_segment,
            campaigns::update_segment,
            campaigns::delete_segment
        ))
        .routes(routes!(campaigns::preview_segment))
        .routes(routes!(
            campaigns::create_campaign,
            campaigns::list_campaigns
        ))
        .routes(routes!(campaigns::get_campaign, campaigns::update_campaign))
        .routes(routes!(campaigns::preview_campaign))
        .routes(routes!(campaigns::test_campaign))
        .routes(routes!(campaigns::campaign_progress))
        .routes(routes!(campaigns::campaign_audience))
        .routes(routes!(campaigns::send_campaign))
        .routes(routes!(outbox::list_outbox))
        .routes(routes!(pages::confirm_page, pages::confirm))
        .routes(routes!(pages::withdraw_page, pages::withdraw))
        .routes(routes!(pages::request_page, pages::answer_request))
        .routes(routes!(tracking::open))
        .routes(routes!(tracking::click))
        .routes(routes!(requests::list_requests, requests::create_request))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::request_receipt))
        .routes(routes!(requests::verify_identity))
        .routes(routes!(requests::start_request))
        .routes(routes!(requests::extend_request))
        .routes(routes!(requests::refuse_request))
        .routes(routes!(requests::answer_request))
        .routes(routes!(requests::lift_restriction))
        .routes(routes!(requests::receipt_public_key))
        .routes(routes!(requests::request_bundle))
        .routes(routes!(requests::export_schema))
        .routes(routes!(requests::deliver_request))
        .routes(routes!(register::get_register))
        .routes(routes!(breaches::record_breach, breaches::list_breaches))
        .routes(routes!(breaches::get_breach, breaches::change_breach))
        .routes(routes!(breaches::notify_breach))
        .routes(routes!(breaches::authority_notification))
        .routes(routes!(breaches::breach_subjects))
        .routes(routes!(breaches::notify_breach_subjects))
        .routes(routes!(compliance::dashboard))
        .routes(routes!(compliance::contacts))
        .routes(routes!(retention::get_retention))
        .routes(routes!(retention::run_retention))
        .routes(routes!(requests::rectify_request))
        .routes(routes!(requests::erase_request))
        .routes(routes!(download::download_page, download::download))
        .routes(routes!(catalogue::get_catalogue))
        .routes(routes!(catalogue::add_custom_field))
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router().split_for_parts();
    doc.paths.paths.insert(
        "/api/openapi.json".into(),
        utoipa::openapi::path::PathItem::new(
            utoipa::openapi::HttpMethod::Get,
            utoipa::openapi::path::OperationBuilder::new()
                .tag("system")
                .summary(Some("This document"))
                .security(utoipa::openapi::security::SecurityRequirement::default())
                .response(
                    "200",
                    utoipa::openapi::Response::new("The OpenAPI document"),
                ),
        ),
    );
    document_edge_errors(&mut doc);
    schema::tighten(&mut doc);
    doc
}

/// The refusals every API operation can give before its handler runs, added to each
/// operation that does not describe them itself: 400 (an unknown or unreadable
/// parameter, a malformed id or body), 401 (no valid token); and for an operation with
/// a body, 413 (larger than the limit) and 415 (not JSON).
fn document_edge_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description).into());
            };
            if !api {
                continue;
            }
            add(
                "400",
                "An unknown or unreadable query parameter, a malformed id or body: `invalid_query`, `invalid_path`, `invalid_json` or `unknown_field`, naming it",
            );
            // A public operation (an empty security requirement) needs no token.
            let public = op
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| *r == Default::default()) && !s.is_empty());
            if !public {
                add("401", "No valid API token: `unauthenticated`");
            }
            let limited = op.parameters.iter().flatten().any(|p| p.name == "limit");
            if limited {
                add(
                    "422",
                    "A readable value outside its rule, such as `limit=0`: `invalid_field`, naming it (never clamped)",
                );
            }
            if op.request_body.is_some() {
                add(
                    "413",
                    "The body is larger than the limit: `payload_too_large`",
                );
                add("415", "The body is not sent as JSON: `invalid_json`");
            }
        }
    }
}

/// The whole HTTP application.
pub fn router(app: Candor) -> Router {
    let (routes, _) = api_router().split_for_parts();
    let doc = openapi();
    routes
        .route("/api/openapi.json", get(move || async move { Json(doc) }))
        .merge(crate::ui::router(&app))
        .merge(crate::portal::router())
        .fallback(unknown)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(no_framing))
        .layer(middleware::from_fn(log_request))
        .with_state(app)
}

/// An address Candor does not serve: the API's JSON error under `/api/`, a page in
/// French and English elsewhere (never an empty 404).
async fn unknown(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return axum::response::IntoResponse::into_response(crate::error::ApiError::from(
            candor_app::AppError::NotFound { what: "route" },
        ));
    }
    let mut res = crate::ui::message_page(
        axum::http::StatusCode::NOT_FOUND,
        &crate::ui::i18n::FR,
        "Cette page n'existe pas. / This page does not exist.",
    );
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// No page of Candor's may be framed by another site (clickjacking): the public pages a
/// person reaches from an email (confirm, withdraw, answer a request) as much as the
/// back office, which sets a stricter policy of its own.
async fn no_framing(req: Request, next: Next) -> Response {
    use axum::http::{header, HeaderValue};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    res
}

/// Logs the method, the route template and the status: never the raw path or query,
/// which may carry personal data (X2).
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::debug!(
        %method,
        route,
        status = res.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    res
}
