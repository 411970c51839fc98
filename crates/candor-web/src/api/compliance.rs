//! The compliance dashboard (O1, R7): each obligation watched as a count with the
//! article behind it and its tier of Art. 83, the maximum fines for the configured
//! (or a given) turnover, the last verification of the chains and the last retention
//! run; and the contacts behind the two counts that name people. dpo and admin.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{page_limit, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::Json;
use candor_app::compliance::{ContactList, Dashboard};
use candor_app::{AppError, Candor};
use candor_domain::contact::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One obligation watched.
#[derive(Serialize, ToSchema)]
pub struct ItemDoc {
    /// no_lawful_basis, pending_consents, overdue_requests, requests_due_soon,
    /// breach_clocks_running, breaches_late, unjustified_fields, retention_late,
    /// chains_unverified.
    item: String,
    count: i64,
    /// The list behind the count in the back office.
    link: String,
    /// The article a non-zero count breaks.
    article: String,
    /// 83(4) or 83(5).
    tier: String,
    /// A deadline to come rather than one missed.
    warning_only: bool,
    /// The maximum fine of its tier, when the count shows an obligation missed (EUR).
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure_eur: Option<u64>,
}

/// A verification of the chains.
#[derive(Serialize, ToSchema)]
pub struct VerifyDoc {
    at: String,
    /// `job:verify` or `cli`.
    actor: String,
    entries: u64,
    broken: u64,
    summary: String,
}

/// The dashboard.
#[derive(Serialize, ToSchema)]
pub struct DashboardDoc {
    at: String,
    items: Vec<ItemDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annual_turnover_eur: Option<u64>,
    /// Art. 83(5): the greater of EUR 20 million and 4% of the turnover.
    max_fine_83_5_eur: u64,
    /// Art. 83(4): the greater of EUR 10 million and 2% of the turnover.
    max_fine_83_4_eur: u64,
    /// The gravest exposure among the obligations missed (Art. 83(3)); 0 when none.
    exposure_eur: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_verify: Option<VerifyDoc>,
    /// When the retention policies last ran (not a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_retention_at: Option<String>,
}

impl From<Dashboard> for DashboardDoc {
    fn from(d: Dashboard) -> Self {
        DashboardDoc {
            at: rfc3339(d.at),
            items: d
                .items
                .into_iter()
                .map(|i| ItemDoc {
                    item: i.item.as_str().to_owned(),
                    count: i.count,
                    link: i.link.to_owned(),
                    article: i.article.to_owned(),
                    tier: i.tier.as_str().to_owned(),
                    warning_only: i.warning_only,
                    exposure_eur: i.exposure_eur,
                })
                .collect(),
            annual_turnover_eur: d.annual_turnover_eur,
            max_fine_83_5_eur: d.max_fine_83_5_eur,
            max_fine_83_4_eur: d.max_fine_83_4_eur,
            exposure_eur: d.exposure_eur,
            last_verify: d.last_verify.map(|v| VerifyDoc {
                at: rfc3339(v.at),
                actor: v.actor,
                entries: v.entries,
                broken: v.broken,
                summary: v.summary,
            }),
            last_retention_at: d.last_retention.map(|r| rfc3339(r.finished_at)),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// An annual worldwide turnover (EUR, 0 or more) to compute the fines from instead
    /// of the configured one: a what-if.
    annual_turnover_eur: Option<i64>,
}

/// A turnover given to the dashboard: 0 or more.
pub fn turnover(v: Option<i64>) -> Result<Option<u64>, AppError> {
    v.map(|t| {
        u64::try_from(t).map_err(|_| {
            AppError::field(
                "annual_turnover_eur",
                "non_negative",
                "must be a whole number of euros, 0 or more",
            )
        })
    })
    .transpose()
}

#[utoipa::path(get, path = "/api/v1/compliance", tag = "compliance", params(DashboardParams),
    responses(
        (status = 200, description = "The dashboard now", body = DashboardDoc),
        (status = 400, description = "An unknown or malformed parameter", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin read it", body = ErrorBody),
        (status = 422, description = "A negative turnover", body = ErrorBody),
    ))]
pub async fn dashboard(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Json<DashboardDoc>, ApiError> {
    let t = turnover(p.annual_turnover_eur)?;
    Ok(Json(app.compliance(&auth.actor, t).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// The last id of the previous page.
    after: Option<Uuid>,
    /// 1 to 500, default 100.
    limit: Option<u32>,
}

/// The contacts behind a count, by id (read each through the contacts API, which
/// shows what the role may read and audits it).
#[derive(Serialize, ToSchema)]
pub struct ContactsDoc {
    count: i64,
    contacts: Vec<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/compliance/{item}/contacts", tag = "compliance",
    params(("item" = String, Path, description = "no_lawful_basis or pending_consents"), ListParams),
    responses(
        (status = 200, description = "How many, and a page of their ids in id order", body = ContactsDoc),
        (status = 400, description = "An unknown or malformed parameter", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin read it", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
    ))]
pub async fn contacts(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(item): ApiPath<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<ContactsDoc>, ApiError> {
    let list = ContactList::parse(&item).ok_or(AppError::NotFound { what: "list" })?;
    let limit = page_limit(p.limit, 100, 500)?;
    let (count, contacts) = app
        .compliance_contacts(&auth.actor, list, p.after, limit)
        .await?;
    Ok(Json(ContactsDoc { count, contacts }))
}
