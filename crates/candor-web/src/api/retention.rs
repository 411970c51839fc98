//! Retention (E4): the policies in force and the holds, the last runs, and a run now,
//! dry (a preview that changes nothing) or applied. dpo and admin only.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{page_limit, ApiJson, ApiQuery, Auth};
use axum::extract::State;
use axum::Json;
use candor_app::retention::PolicyOutcome;
use candor_app::retention::RetentionRun;
use candor_app::Candor;
use candor_domain::retention::Period;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One retention policy in force.
#[derive(Serialize, ToSchema)]
pub struct PolicyDoc {
    name: String,
    /// inactive_prospects, former_customers, pending_consents, tracking_events or
    /// ended_holds.
    target: String,
    /// The period in calendar months, when it is counted in months.
    #[serde(skip_serializing_if = "Option::is_none")]
    months: Option<u32>,
    /// The period in days, when it is counted in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
}

/// How long records are held after their person's erasure.
#[derive(Serialize, ToSchema)]
pub struct HoldsDoc {
    order_years: u8,
    order_ground: String,
    contract_years: u8,
    contract_ground: String,
}

/// What one policy did in a run, or would do in a dry run.
#[derive(Serialize, ToSchema)]
pub struct OutcomeDoc {
    name: String,
    target: String,
    /// erase (people), delete (rows) or lapse (pending consents closed).
    action: String,
    /// Data older than this falls under the policy (none for ended holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    cutoff: Option<String>,
    count: u64,
    /// The people erased or to be erased (only in the answer to a run).
    #[serde(skip_serializing_if = "Option::is_none")]
    ids: Option<Vec<Uuid>>,
}

/// A run of the retention policies: when, by whom, dry or not, what each did.
#[derive(Serialize, ToSchema)]
pub struct RunDoc {
    id: Uuid,
    started_at: String,
    finished_at: String,
    dry_run: bool,
    /// `job:retention`, `cli`, `user:<id>` or `token:<id>`.
    actor: String,
    outcomes: Vec<OutcomeDoc>,
}

/// The retention policies in force, the holds and the last runs.
#[derive(Serialize, ToSchema)]
pub struct RetentionDoc {
    policies: Vec<PolicyDoc>,
    holds: HoldsDoc,
    runs: Vec<RunDoc>,
}

fn outcome(o: &candor_app::retention::RetentionOutcome, ids: Option<Vec<Uuid>>) -> OutcomeDoc {
    OutcomeDoc {
        name: o.name.clone(),
        target: o.target.clone(),
        action: o.action.clone(),
        cutoff: o.cutoff.map(candor_domain::contact::rfc3339),
        count: o.count,
        ids,
    }
}

fn run_doc(r: &RetentionRun) -> RunDoc {
    RunDoc {
        id: r.id,
        started_at: candor_domain::contact::rfc3339(r.started_at),
        finished_at: candor_domain::contact::rfc3339(r.finished_at),
        dry_run: r.dry_run,
        actor: r.actor.clone(),
        outcomes: r.outcomes.iter().map(|o| outcome(o, None)).collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RetentionParams {
    /// How many runs, newest first (1 to 200, default 20).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/retention", tag = "retention", params(RetentionParams),
    responses(
        (status = 200, description = "The policies in force, the legal holds and the last runs, newest first", body = RetentionDoc),
        (status = 403, description = "Only the dpo and admin read retention", body = ErrorBody),
    ))]
pub async fn get_retention(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<RetentionParams>,
) -> Result<Json<RetentionDoc>, ApiError> {
    let limit = page_limit(p.limit, 20, 200)?;
    let runs = app.retention_runs(&auth.actor, limit).await?;
    let cat = app.catalogue();
    let r = cat.retention();
    Ok(Json(RetentionDoc {
        policies: r
            .policies
            .iter()
            .map(|p| PolicyDoc {
                name: p.name.clone(),
                target: p.target.as_str().to_owned(),
                months: match p.period {
                    Period::Months(m) => Some(m),
                    _ => None,
                },
                days: match p.period {
                    Period::Days(d) => Some(d),
                    _ => None,
                },
            })
            .collect(),
        holds: HoldsDoc {
            order_years: r.holds.order_years,
            order_ground: r.holds.order_ground.clone(),
            contract_years: r.holds.contract_years,
            contract_ground: r.holds.contract_ground.clone(),
        },
        runs: runs.iter().map(run_doc).collect(),
    }))
}

/// A run now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// true: say what each policy would do and change nothing (a preview).
    dry_run: bool,
}

/// The run, with the people erased or to be erased.
#[derive(Serialize, ToSchema)]
pub struct RunResult {
    /// The run's record (listed by `GET /api/v1/retention`).
    id: Uuid,
    dry_run: bool,
    outcomes: Vec<OutcomeDoc>,
}

#[utoipa::path(post, path = "/api/v1/retention/runs", tag = "retention", request_body = RunBody,
    responses(
        (status = 200, description = "The policies ran (or, dry, said what they would do), as the daily job runs them; the run is recorded", body = RunResult),
        (status = 403, description = "Only the dpo and admin run retention", body = ErrorBody),
        (status = 400, description = "A malformed body or an unknown field", body = ErrorBody),
        (status = 422, description = "A key or value with control characters", body = ErrorBody),
    ))]
pub async fn run_retention(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(b): ApiJson<RunBody>,
) -> Result<Json<RunResult>, ApiError> {
    let (id, out): (Uuid, Vec<PolicyOutcome>) =
        app.run_retention_as(&auth.actor, b.dry_run).await?;
    Ok(Json(RunResult {
        id,
        dry_run: b.dry_run,
        outcomes: out
            .into_iter()
            .map(|p| {
                let ids = (p.outcome.action == "erase").then_some(p.ids);
                outcome(&p.outcome, ids)
            })
            .collect(),
    }))
}
