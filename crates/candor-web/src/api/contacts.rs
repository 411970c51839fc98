use crate::error::{ApiError, ErrorBody};
use crate::extract::{page_limit, ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use candor_app::contacts::{ContactView, ListQuery};
use candor_app::Candor;
use candor_domain::audit::AuditEntry;
use candor_domain::contact::ContactPatch;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `null` clears a field, absence leaves it alone.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A contact to create, or the fields to change (PATCH). Unknown fields are refused;
/// a field the caller's role may not write is refused with 403 naming it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// `b2b` (a person at a company) or `b2c` (a private person). Required on creation.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "b2c")]
    kind: Option<Option<String>>,
    /// The company of a B2B contact; a B2C contact has none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Uuid)]
    company_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Camille")]
    first_name: Option<Option<String>>,
    /// Required on creation.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Martin")]
    last_name: Option<Option<String>>,
    /// Stored trimmed and lower-cased; unique among contacts.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "camille.martin@example.fr")]
    email: Option<Option<String>>,
    /// International or French national form; stored as E.164.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "06 12 34 56 78")]
    phone: Option<Option<String>>,
    /// `fr` (default) or `en`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "fr")]
    locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    address_line: Option<Option<String>>,
    /// Five digits in France.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "75011")]
    postal_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    city: Option<Option<String>>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "FR")]
    country: Option<Option<String>>,
    /// Free text; refused when it reveals special-category data (GDPR Art. 9).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    /// Values of the organisation's custom fields, by name; `null` clears one.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    custom: Option<BTreeMap<String, Option<Value>>>,
    /// On creation only, by an admin: why an erased person's email or phone may be
    /// taken again (they came back of their own accord). It comes off the suppression
    /// list, and the reason is recorded.
    #[serde(default)]
    pub(crate) suppression_override: Option<String>,
}

impl ContactBody {
    /// A body for a change, not a creation: the override of the suppression list has
    /// no place in it.
    pub(crate) fn change(self) -> Result<ContactPatch, candor_app::AppError> {
        if self.suppression_override.is_some() {
            return Err(candor_app::AppError::field(
                "suppression_override",
                "creation_only",
                "only when creating a contact",
            ));
        }
        Ok(self.into())
    }
}

impl From<ContactBody> for ContactPatch {
    fn from(b: ContactBody) -> Self {
        ContactPatch {
            kind: b.kind,
            company_id: b.company_id,
            first_name: b.first_name,
            last_name: b.last_name,
            email: b.email,
            phone: b.phone,
            locale: b.locale,
            address_line: b.address_line,
            postal_code: b.postal_code,
            city: b.city,
            country: b.country,
            notes: b.notes,
            custom: b.custom.unwrap_or_default(),
        }
    }
}

/// A contact as the caller's role may see it: fields it may not read are absent.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Contact {
    id: Uuid,
    kind: Option<String>,
    company_id: Option<Uuid>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    /// E.164.
    phone: Option<String>,
    locale: Option<String>,
    address_line: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    country: Option<String>,
    notes: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    newsletter_subscribed_at: Option<String>,
    newsletter_open_rate: Option<f64>,
    #[schema(value_type = Option<Object>)]
    custom: Option<BTreeMap<String, Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactPage {
    #[schema(value_type = Vec<Contact>)]
    items: Vec<ContactView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    /// `b2b` or `b2c`.
    kind: Option<String>,
    company_id: Option<String>,
    /// Exact email (matched through its keyed hash); needs read access to `email`.
    email: Option<String>,
    /// Words that each start a word of the first or last name, any case, accents or not.
    name: Option<String>,
    /// Part of the company's name, any case.
    company: Option<String>,
    /// Search words, any case, accents or not: each must start a word of the contact's
    /// names, their email (whole or a part) or their phone's digits (any format), in
    /// the fields the role may read ("helene lef", "lefevre@exa", "06 12 34").
    q: Option<String>,
    /// The `next_cursor` of the previous page.
    after: Option<Uuid>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactListParams),
    responses(
        (status = 200, description = "A page of contacts; each one shown is recorded in the audit", body = ContactPage),
        (status = 400, description = "Unknown or malformed parameter", body = ErrorBody),
        (status = 403, description = "Filter on a field the role may not read", body = ErrorBody),
    ))]
pub async fn list_contacts(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<ContactListParams>,
) -> Result<Json<ContactPage>, ApiError> {
    let q = ListQuery {
        kind: p.kind,
        company_id: p.company_id,
        email: p.email,
        name: p.name,
        company: p.company,
        q: p.q,
        after: p.after.map(|a| a.to_string()),
        limit: p.limit,
    };
    let page = app.list_contacts(&auth.actor, q, &auth.endpoint).await?;
    Ok(Json(ContactPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactBody,
    responses(
        (status = 201, description = "Created; the body shows what the role may read", body = Contact),
        (status = 400, description = "Malformed JSON or unknown field", body = ErrorBody),
        (status = 403, description = "A field the role may not write", body = ErrorBody),
        (status = 409, description = "Another contact has this email (`existing_id`), or the email or phone is an erased person's (`suppressed`; an admin may give `suppression_override`)", body = ErrorBody),
        (status = 422, description = "A value breaks a rule (the field and rule are named)", body = ErrorBody),
    ))]
pub async fn create_contact(
    State(app): State<Candor>,
    auth: Auth,
    ApiJson(body): ApiJson<ContactBody>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let reason = body.suppression_override.clone();
    let v = app
        .create_contact_with(&auth.actor, body.into(), reason.as_deref(), &auth.endpoint)
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The contact; the read is recorded in the audit", body = Contact),
        (status = 404, description = "No such contact", body = ErrorBody),
    ))]
pub async fn get_contact(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(
        app.get_contact(&auth.actor, id, &auth.endpoint).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = ContactBody,
    responses(
        (status = 200, description = "Updated; a body that changes nothing writes nothing and answers the contact as it is", body = Contact),
        (status = 403, description = "A field the role may not write, or a role that may write no contact field (dpo, marketing), even with an empty body", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "Another contact has this email, or the email or phone is an erased person's (`suppressed`)", body = ErrorBody),
        (status = 422, description = "A value breaks a rule", body = ErrorBody),
    ))]
pub async fn update_contact(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ContactBody>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(
        app.update_contact(&auth.actor, id, body.change()?, &auth.endpoint)
            .await?,
    ))
}

/// What erasure did to one table's rows of the person.
#[derive(Serialize, ToSchema)]
pub struct ErasureCountDoc {
    /// Rows deleted.
    #[serde(skip_serializing_if = "is_zero")]
    deleted: Option<u64>,
    /// Rows kept as proof (requests), emptied of what identified the person.
    #[serde(skip_serializing_if = "is_zero")]
    minimised: Option<u64>,
    /// Rows moved to the legal holds, naming no one.
    #[serde(skip_serializing_if = "is_zero")]
    held: Option<u64>,
    /// Chain heads kept by the checkpoints (a number and a hash each).
    #[serde(skip_serializing_if = "is_zero")]
    sealed: Option<u64>,
}

fn is_zero(n: &Option<u64>) -> bool {
    n.is_none()
}

/// A record kept under a legal hold after the erasure.
#[derive(Serialize, ToSchema)]
pub struct HeldDoc {
    id: Uuid,
    /// order or contract.
    kind: String,
    /// When the hold ends and the record is deleted (YYYY-MM-DD).
    held_until: String,
    /// The legal ground of the hold.
    reason: String,
}

/// The record of an erasure: no personal data.
#[derive(Serialize, ToSchema)]
pub struct ErasureDoc {
    id: Uuid,
    /// The erased person's id, which names no one any more.
    subject_id: Uuid,
    erased_at: String,
    /// Who erased: `user:<id>`, `token:<id>` or a policy.
    actor: String,
    /// `staff`, `request:<id>` or `policy:<name>`.
    reason: String,
    /// Per table.
    counts: std::collections::BTreeMap<String, ErasureCountDoc>,
    /// What the legal holds keep, with their end.
    held: Vec<HeldDoc>,
}

pub(crate) fn erasure_doc(r: candor_app::erasure::ErasureReport) -> ErasureDoc {
    let some = |n: u64| (n > 0).then_some(n);
    ErasureDoc {
        id: r.record.id,
        subject_id: r.record.subject_id,
        erased_at: candor_domain::contact::rfc3339(r.record.erased_at),
        actor: r.record.actor,
        reason: r.record.reason,
        counts: r
            .record
            .counts
            .into_iter()
            .map(|(t, c)| {
                (
                    t,
                    ErasureCountDoc {
                        deleted: some(c.deleted),
                        minimised: some(c.minimised),
                        held: some(c.held),
                        sealed: some(c.sealed),
                    },
                )
            })
            .collect(),
        held: r
            .held
            .into_iter()
            .map(|h| HeldDoc {
                id: h.id,
                kind: h.kind.as_str().to_owned(),
                held_until: h.held_until.to_string(),
                reason: h.reason,
            })
            .collect(),
    }
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The person is erased (E1, E2): digital traces, tokens, emails and consents deleted; the audit and consent chains dropped, their heads sealed; orders and contracts kept under their legal hold naming no one; requests kept as proof, minimised; email and phone on the suppression list. The record of it, without personal data", body = ErasureDoc),
        (status = 403, description = "Only the dpo and admin erase", body = ErrorBody),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 422, description = "Already erased (`already_erased`): nothing changed", body = ErrorBody),
    ))]
pub async fn delete_contact(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ErasureDoc>, ApiError> {
    Ok(Json(erasure_doc(
        app.delete_contact(&auth.actor, id).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/erasure", tag = "contacts", params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The record of this person's erasure, and what the legal holds keep", body = ErasureDoc),
        (status = 403, description = "Only the dpo and admin read erasure records", body = ErrorBody),
        (status = 404, description = "This id was never erased", body = ErrorBody),
    ))]
pub async fn contact_erasure(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ErasureDoc>, ApiError> {
    let r = app
        .erasure_of(&auth.actor, id)
        .await?
        .ok_or(candor_app::AppError::NotFound { what: "erasure" })?;
    Ok(Json(erasure_doc(r)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// At most this many entries, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDoc {
    id: Uuid,
    subject_id: Uuid,
    /// Position in the subject's chain, from 1.
    seq: i64,
    /// `token:<id>` or `user:<id>`.
    actor: String,
    /// create, read, list, update or delete.
    action: String,
    fields: Vec<String>,
    /// Method and route template.
    endpoint: String,
    at: String,
    prev_hash: String,
    hash: String,
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}/audit", tag = "contacts", params(("id" = Uuid, Path), AuditParams),
    responses(
        (status = 200, description = "Who read or changed this contact's personal data, newest first", body = Vec<AuditEntryDoc>),
        (status = 403, description = "Only the dpo and admin roles read the audit", body = ErrorBody),
    ))]
pub async fn contact_audit(
    State(app): State<Candor>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(
        app.contact_audit(&auth.actor, id, page_limit(p.limit, 100, 1000)?)
            .await?,
    ))
}
