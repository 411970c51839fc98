//! Segments and campaigns (M3, M4). A segment is a saved filter over the fields the
//! role may read; a campaign sends one category of message to the part of a segment
//! the communication rules allow, each email with its one-click unsubscribe, and its
//! audience report says, rule by rule, who was left out.

use crate::contacts::{view, ContactView};
use crate::mail;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::Entity;
use candor_domain::communication::{self, Category, Facts, ALL_PURPOSES};
use candor_domain::consent::{Channel, Status};
use candor_domain::personal::Locale;
use candor_domain::{FieldError, FieldErrors, Role};
use candor_store::segment::{SegmentCondition, TextOp, TEXT_COLUMNS, TIME_COLUMNS};
use candor_store::{AudienceRow, CampaignRecord, JobRecord, Page, SegmentRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

const PAGE: u32 = 5000;
/// How many of the contacts a rule left out the report names.
const SAMPLE: usize = 20;

/// Categories a campaign may have: the others (consent requests, legal notices) are
/// sent by Candor itself when their cause arises.
const CAMPAIGN_CATEGORIES: &[Category] = &[
    Category::Newsletter,
    Category::Marketing,
    Category::Commercial,
    Category::ContractService,
    Category::ContractRenewal,
    Category::Security,
];

/// Categories that reach people whatever their marketing choices (a service notice
/// about their contract, a security notice): only an admin sends them, so that a
/// promotion cannot be sent under their name to people who said no.
const ADMIN_ONLY_CATEGORIES: &[Category] = &[Category::ContractService, Category::Security];

/// The categories a role may send a campaign in.
pub fn campaign_categories(role: Role) -> Vec<Category> {
    CAMPAIGN_CATEGORIES
        .iter()
        .copied()
        .filter(|c| role == Role::Admin || !ADMIN_ONLY_CATEGORIES.contains(c))
        .collect()
}

/// Whether a segment can filter on this contact field (a column of its own).
pub fn is_filterable(field: &str) -> bool {
    TEXT_COLUMNS.contains(&field) || TIME_COLUMNS.contains(&field)
}

/// Whether a segment filters this contact field by a date range.
pub fn is_date_field(field: &str) -> bool {
    TIME_COLUMNS.contains(&field)
}

/// Whether a role runs segments and campaigns (marketing and admin).
pub fn may_run_campaigns(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Marketing)
}

fn parse_time(field: &str, s: &str) -> Result<OffsetDateTime, FieldError> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            FieldError::new(
                field,
                "date_format",
                "must be a date (YYYY-MM-DD) or RFC 3339",
            )
        })
}

impl Candor {
    /// Checks a segment's conditions against the catalogue and the role: a field the
    /// role may not read is refused by name (403), an unknown field, operator, purpose
    /// or status by name (422).
    pub fn segment_conditions(
        &self,
        actor: &Actor,
        conditions: &[Value],
    ) -> Result<Vec<SegmentCondition>, AppError> {
        let cat = self.catalogue();
        let mut out = Vec::with_capacity(conditions.len());
        let mut e = FieldErrors::default();
        let today = self.now().date();
        for (i, c) in conditions.iter().enumerate() {
            let at = |k: &str| format!("conditions[{i}].{k}");
            let Some(obj) = c.as_object() else {
                e.push(FieldError::new(
                    format!("conditions[{i}]"),
                    "condition_shape",
                    "must be an object",
                ));
                continue;
            };
            if let Some(v) = obj.get("has_active_contract") {
                if !cat.can_read(actor.role, Entity::Contract, "status") {
                    return Err(AppError::FieldForbidden {
                        field: "contract.status".into(),
                        role: actor.role,
                        action: "filter on",
                    });
                }
                let day = |k: &str, e: &mut FieldErrors| match obj.get(k) {
                    None | Some(Value::Null) => None,
                    Some(v) => {
                        let parsed = v.as_str().and_then(|s| {
                            time::Date::parse(
                                s,
                                time::macros::format_description!("[year]-[month]-[day]"),
                            )
                            .ok()
                        });
                        if parsed.is_none() {
                            e.push(FieldError::new(
                                at(k),
                                "date_format",
                                "must be a date (YYYY-MM-DD)",
                            ));
                        }
                        parsed
                    }
                };
                let started_from = day("started_from", &mut e);
                let started_until = day("started_until", &mut e);
                if (started_from.is_some() || started_until.is_some())
                    && !cat.can_read(actor.role, Entity::Contract, "starts_on")
                {
                    return Err(AppError::FieldForbidden {
                        field: "contract.starts_on".into(),
                        role: actor.role,
                        action: "filter on",
                    });
                }
                if let (Some(f), Some(u)) = (started_from, started_until) {
                    if f > u {
                        e.push(FieldError::new(
                            at("started_until"),
                            "date_order",
                            "must not be before started_from",
                        ));
                    }
                }
                match v.as_bool() {
                    Some(present) => out.push(SegmentCondition::ActiveContract {
                        on: today,
                        present,
                        started_from,
                        started_until,
                    }),
                    None => e.push(FieldError::new(
                        at("has_active_contract"),
                        "boolean",
                        "must be true or false",
                    )),
                }
                continue;
            }
            if let Some(v) = obj.get("consent") {
                let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
                let purpose = s("purpose");
                if purpose != ALL_PURPOSES && cat.consent_purpose(purpose).is_none() {
                    e.push(FieldError::new(
                        at("consent.purpose"),
                        "unknown_purpose",
                        "must be a purpose that takes consent, or `*`",
                    ));
                }
                let channel = e.check(Channel::parse(&at("consent.channel"), s("channel")));
                let status = e.check(Status::parse(&at("consent.status"), s("status")));
                if let (Some(channel), Some(status)) = (channel, status) {
                    out.push(SegmentCondition::Consent {
                        purpose: purpose.to_owned(),
                        channel,
                        status,
                    });
                }
                continue;
            }
            let field = obj.get("field").and_then(Value::as_str).unwrap_or("");
            let Some(def) = cat.field(Entity::Contact, field) else {
                e.push(FieldError::new(
                    at("field"),
                    "unknown_field",
                    format!("`{field}` is not a contact field"),
                ));
                continue;
            };
            if !def.can_read(actor.role) {
                return Err(AppError::FieldForbidden {
                    field: field.to_owned(),
                    role: actor.role,
                    action: "filter on",
                });
            }
            let op = obj.get("op").and_then(Value::as_str).unwrap_or("");
            let value = obj.get("value").and_then(Value::as_str).map(str::to_owned);
            if let Some(column) = TEXT_COLUMNS.iter().find(|c| **c == field) {
                let op = match op {
                    "equals" => value.map(TextOp::Equals),
                    "contains" => value.map(TextOp::Contains),
                    "in" => obj.get("values").and_then(Value::as_array).map(|vs| {
                        TextOp::In(
                            vs.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                        )
                    }),
                    _ => {
                        e.push(FieldError::new(
                            at("op"),
                            "unknown_operator",
                            "must be one of: equals, contains, in (text fields); between (dates)",
                        ));
                        continue;
                    }
                };
                match op {
                    Some(TextOp::In(vs)) if vs.is_empty() => e.push(FieldError::new(
                        at("values"),
                        "required",
                        "must list at least one value",
                    )),
                    Some(TextOp::Equals(v) | TextOp::Contains(v)) if v.trim().is_empty() => e.push(
                        FieldError::new(at("value"), "required", "is required for this operator"),
                    ),
                    Some(op) => out.push(SegmentCondition::Text { column, op }),
                    None => e.push(FieldError::new(
                        at("value"),
                        "required",
                        "is required for this operator",
                    )),
                }
            } else if let Some(column) = TIME_COLUMNS.iter().find(|c| **c == field) {
                if op != "between" {
                    e.push(FieldError::new(
                        at("op"),
                        "unknown_operator",
                        "a date field takes `between` (with `from`, `to` or both)",
                    ));
                    continue;
                }
                let bound = |k: &str, e: &mut FieldErrors| {
                    obj.get(k)
                        .and_then(Value::as_str)
                        .and_then(|s| e.check(parse_time(&at(k), s)))
                };
                let (from, to) = (bound("from", &mut e), bound("to", &mut e));
                if let (Some(f), Some(t)) = (from, to) {
                    if f >= t {
                        e.push(FieldError::new(
                            at("to"),
                            "date_order",
                            "must be after from",
                        ));
                        continue;
                    }
                }
                if from.is_none() && to.is_none() {
                    e.push(FieldError::new(
                        at("from"),
                        "required",
                        "give `from`, `to` or both",
                    ));
                    continue;
                }
                out.push(SegmentCondition::Time { column, from, to });
            } else {
                e.push(FieldError::new(
                    at("field"),
                    "not_filterable",
                    format!("`{field}` cannot be filtered on"),
                ));
            }
        }
        e.into_result().map_err(AppError::Invalid)?;
        Ok(out)
    }

    pub async fn create_segment(
        &self,
        actor: &Actor,
        name: &str,
        conditions: Vec<Value>,
    ) -> Result<SegmentRecord, AppError> {
        // A segment is a campaign's audience: who may not run campaigns may not make one.
        let name = self.check_segment_input(actor, name, &conditions)?;
        let s = SegmentRecord {
            id: Uuid::now_v7(),
            name,
            conditions: Value::Array(conditions).to_string(),
            created_by: actor.audit_name.clone(),
            created_at: self.now(),
        };
        self.store.segments().save(&s).await?;
        Ok(s)
    }

    /// Checks a segment's name and conditions as the role may write them.
    fn check_segment_input(
        &self,
        actor: &Actor,
        name: &str,
        conditions: &[Value],
    ) -> Result<String, AppError> {
        self.check_campaign_role(actor)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::field(
                "name",
                "name_format",
                "must be 1 to 200 characters",
            ));
        }
        self.segment_conditions(actor, conditions)?;
        Ok(name.to_owned())
    }

    /// The newest segments, each with its conditions as saved.
    pub async fn list_segments(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<SegmentView>, AppError> {
        self.check_campaign_role(actor)?;
        let found = self.store.segments().list(limit.clamp(1, 500)).await?;
        Ok(found.iter().map(segment_view).collect())
    }

    /// One segment and the campaigns that use it.
    pub async fn segment(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(SegmentView, Vec<CampaignView>), AppError> {
        self.check_campaign_role(actor)?;
        let s = self
            .store
            .segments()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "segment" })?;
        let used = self.store.segments().campaigns_of(id).await?;
        Ok((segment_view(&s), used.iter().map(campaign_view).collect()))
    }

    /// Renames a segment or changes its conditions (checked as on creation); refused
    /// while a campaign of it is being sent.
    pub async fn update_segment(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        conditions: Vec<Value>,
    ) -> Result<SegmentView, AppError> {
        let name = self.check_segment_input(actor, name, &conditions)?;
        let current = self
            .store
            .segments()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "segment" })?;
        let s = SegmentRecord {
            name,
            conditions: Value::Array(conditions).to_string(),
            ..current
        };
        if !self.store.segments().update(&s).await? {
            if self.store.segments().get(id).await?.is_none() {
                return Err(AppError::NotFound { what: "segment" });
            }
            return Err(AppError::NotEditable {
                what: "segment",
                why: "a campaign of it is being sent",
            });
        }
        Ok(segment_view(&s))
    }

    /// Deletes a segment no campaign uses; one that is used is kept, and the error
    /// says so (the segment's page names the campaigns).
    pub async fn delete_segment(&self, actor: &Actor, id: Uuid) -> Result<(), AppError> {
        self.check_campaign_role(actor)?;
        if self.store.segments().delete(id).await? {
            return Ok(());
        }
        if self.store.segments().get(id).await?.is_none() {
            return Err(AppError::NotFound { what: "segment" });
        }
        Err(AppError::StillReferenced {
            what: "segment",
            by: "campaign",
        })
    }

    pub(crate) async fn segment_of(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<Vec<SegmentCondition>, AppError> {
        let s = self
            .store
            .segments()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "segment" })?;
        let conditions: Vec<Value> = serde_json::from_str(&s.conditions)
            .map_err(|_| AppError::Internal("a stored segment is unreadable".into()))?;
        // Checked again with the caller's role: a segment never shows more than it may.
        self.segment_conditions(actor, &conditions)
    }

    /// How many contacts the segment holds and its first page, as the role sees them.
    pub async fn preview_segment(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        endpoint: &str,
    ) -> Result<(i64, Vec<ContactView>), AppError> {
        self.check_campaign_role(actor)?;
        let conds = self.segment_of(actor, id).await?;
        let count = self.store.segments().count(&conds).await?;
        let page = self
            .store
            .segments()
            .page(&conds, Page { after: None, limit })
            .await?;
        let cat = self.catalogue();
        let mut events = Vec::new();
        let mut items = Vec::new();
        for c in &page {
            let (v, shown) = view(&cat, actor.role, c);
            events.push(self.access(actor, c.id, AuditAction::List, shown, endpoint));
            items.push(v);
        }
        self.audit(events).await?;
        Ok((count, items))
    }
}

/// A saved segment.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentView {
    pub id: Uuid,
    pub name: String,
    /// As given when it was saved (see `POST /api/v1/segments`).
    pub conditions: Vec<Value>,
    pub created_at: String,
}

fn segment_view(s: &SegmentRecord) -> SegmentView {
    SegmentView {
        id: s.id,
        name: s.name.clone(),
        conditions: serde_json::from_str(&s.conditions).unwrap_or_default(),
        created_at: candor_domain::contact::rfc3339(s.created_at),
    }
}

/// A campaign's content in one language.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Content {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub name: String,
    pub category: String,
    pub channel: String,
    pub segment_id: Uuid,
    /// By locale: `fr`, `en`.
    pub content: BTreeMap<String, Content>,
}

/// One rule's share of an audience.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exclusion {
    pub rule: String,
    pub count: u64,
    pub explanation: BTreeMap<String, String>,
    /// The first contacts it left out.
    pub contacts: Vec<Uuid>,
}

/// Who a campaign reaches and, rule by rule, who it leaves out (M3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AudienceReport {
    pub segment_size: u64,
    pub allowed: u64,
    /// Allowed recipients by language.
    pub locales: BTreeMap<String, u64>,
    pub excluded: Vec<Exclusion>,
    /// Allowed recipients by language the campaign has no text in: it cannot be sent
    /// until it has.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub missing_content: BTreeMap<String, u64>,
}

impl AudienceReport {
    fn empty() -> Self {
        Self {
            segment_size: 0,
            allowed: 0,
            locales: BTreeMap::new(),
            excluded: Vec::new(),
            missing_content: BTreeMap::new(),
        }
    }

    /// Notes the languages the audience reads that `content` lacks.
    fn check_content(&mut self, content: &BTreeMap<String, Content>) {
        self.missing_content = self
            .locales
            .iter()
            .filter(|(l, _)| !content.contains_key(l.as_str()))
            .map(|(l, n)| (l.clone(), *n))
            .collect();
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub channel: String,
    pub segment_id: Uuid,
    pub content: BTreeMap<String, Content>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<AudienceReport>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// When its sending started (a job sends it; `status` stays `draft` until done).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sending_at: Option<String>,
}

impl CampaignView {
    /// draft, sending or sent.
    pub fn state(&self) -> &'static str {
        match (self.status.as_str(), &self.sending_at) {
            ("sent", _) => "sent",
            (_, Some(_)) => "sending",
            _ => "draft",
        }
    }
}

/// What asking to send did: the sending runs as a job, whose progress
/// [`Candor::campaign_progress`] reads.
#[derive(Debug, Clone, Serialize)]
pub struct SendOutcome {
    /// draft (never: a send that starts says `sending`), sending or sent.
    pub state: &'static str,
    /// The campaign had been sent, or was being sent, before: nothing new started.
    pub already_sent: bool,
    /// The audience counted when the sending started (for a campaign sent before,
    /// the report it was sent with).
    pub report: AudienceReport,
}

/// How far a campaign's sending is.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// draft, sending or sent.
    pub state: &'static str,
    /// Emails queued so far.
    pub queued: i64,
    /// The allowed audience counted when the sending started (0 for a draft).
    pub total: u64,
    /// Failed attempts of the sending job (it is retried, each recipient once).
    pub failed_attempts: i64,
    /// When a failed sending is tried again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
}

/// A campaign's email in one language, as a recipient gets it (without the tracking
/// a recipient who agreed to be measured gets).
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The job kind that sends a campaign.
pub const CAMPAIGN_SEND: &str = "campaign_send";

fn send_key(id: Uuid) -> String {
    format!("{CAMPAIGN_SEND}:{id}")
}

/// The campaign's email for one recipient: `link` is their unsubscribe link and
/// `body_html` the body as HTML (escaped, with its links and pixel).
fn render_campaign(
    l: Locale,
    text: &Content,
    link: &str,
    body_html: &str,
) -> Result<mail::Rendered, AppError> {
    const BODY: &str = "\u{1}body\u{1}";
    let mut rendered = mail::render(
        "campaign",
        l,
        &[
            ("subject", &text.subject),
            ("body", BODY),
            ("unsubscribe", link),
        ],
    )
    .ok_or_else(|| AppError::Internal("the campaign template is missing".into()))?;
    rendered.text = rendered.text.replace(BODY, &text.body);
    rendered.html = rendered.html.replace(BODY, body_html);
    Ok(rendered)
}

fn campaign_view(c: &CampaignRecord) -> CampaignView {
    CampaignView {
        id: c.id,
        name: c.name.clone(),
        category: c.category.clone(),
        channel: c.channel.clone(),
        segment_id: c.segment_id,
        content: serde_json::from_str(&c.content).unwrap_or_default(),
        status: c.status.clone(),
        report: c
            .report
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        created_at: candor_domain::contact::rfc3339(c.created_at),
        sent_at: c.sent_at.map(candor_domain::contact::rfc3339),
        sending_at: c.sending_at.map(candor_domain::contact::rfc3339),
    }
}

/// Refuses a category the role may not send (security and contract-service notices
/// reach people who opted out, so they are the admin's): checked when the campaign is
/// created and again when it is sent, whoever created it.
fn check_category_role(actor: &Actor, c: Category) -> Result<(), AppError> {
    if campaign_categories(actor.role).contains(&c) {
        return Ok(());
    }
    Err(AppError::RoleForbidden {
        role: actor.role,
        what: match c {
            Category::Security => {
                "send security notices (admin only: they reach people who opted out)"
            }
            _ => "send contract-service notices (admin only: they reach people who opted out)",
        },
    })
}

/// A rule id for contacts the campaign cannot reach whatever the rules say.
const NO_EMAIL: &str = "no_email_address";

impl Candor {
    fn check_campaign_role(&self, actor: &Actor) -> Result<(), AppError> {
        if may_run_campaigns(actor.role) {
            Ok(())
        } else {
            Err(AppError::RoleForbidden {
                role: actor.role,
                what: "run campaigns",
            })
        }
    }

    /// A campaign as stored, or not found.
    async fn campaign_record(&self, id: Uuid) -> Result<CampaignRecord, AppError> {
        self.store
            .campaigns()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "campaign" })
    }

    /// The newest segments and campaigns (marketing and admin).
    pub async fn list_campaigns(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<(Vec<SegmentRecord>, Vec<CampaignView>), AppError> {
        self.check_campaign_role(actor)?;
        let limit = limit.clamp(1, 500);
        let segments = self.store.segments().list(limit).await?;
        let campaigns = self.store.campaigns().list(limit).await?;
        Ok((segments, campaigns.iter().map(campaign_view).collect()))
    }

    /// Recipients, distinct openers and distinct clickers of a campaign.
    pub async fn campaign_results(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(i64, i64, i64), AppError> {
        self.check_campaign_role(actor)?;
        Ok(self.store.campaigns().results(id).await?)
    }

    /// Checks a campaign's input: its category (and whether the role may send it),
    /// channel, name and content; then that its segment exists and the role may use it.
    async fn check_campaign_input(
        &self,
        actor: &Actor,
        input: &CampaignInput,
    ) -> Result<String, AppError> {
        self.check_campaign_role(actor)?;
        let mut e = FieldErrors::default();
        let category = e.check(Category::parse("category", &input.category));
        if category.is_some_and(|c| !CAMPAIGN_CATEGORIES.contains(&c)) {
            e.push(FieldError::new("category", "not_a_campaign_category", "consent requests and legal notices are sent by Candor itself; a campaign is newsletter, marketing, commercial, contract_service, contract_renewal or security"));
        }
        if let Some(c) = category.filter(|c| CAMPAIGN_CATEGORIES.contains(c)) {
            check_category_role(actor, c)?;
        }
        if input.channel != "email" {
            e.push(FieldError::new(
                "channel",
                "unknown_channel",
                "campaigns are sent by email",
            ));
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            e.push(FieldError::new(
                "name",
                "name_format",
                "must be 1 to 200 characters",
            ));
        }
        if input.content.is_empty() {
            e.push(FieldError::new(
                "content",
                "required",
                "give the subject and body in at least one language (fr, en)",
            ));
        }
        for (locale, c) in &input.content {
            if Locale::parse("content", locale).is_err() {
                e.push(FieldError::new(
                    format!("content.{locale}"),
                    "unknown_locale",
                    "must be fr or en",
                ));
            }
            if c.subject.trim().is_empty() || c.subject.chars().count() > 200 {
                e.push(FieldError::new(
                    format!("content.{locale}.subject"),
                    "subject_format",
                    "must be 1 to 200 characters",
                ));
            }
            if c.body.trim().is_empty() || c.body.chars().count() > 50_000 {
                e.push(FieldError::new(
                    format!("content.{locale}.body"),
                    "body_format",
                    "must be 1 to 50,000 characters",
                ));
            }
        }
        e.into_result().map_err(AppError::Invalid)?;
        self.segment_of(actor, input.segment_id).await?;
        Ok(name.to_owned())
    }

    pub async fn create_campaign(
        &self,
        actor: &Actor,
        input: CampaignInput,
    ) -> Result<CampaignView, AppError> {
        let name = self.check_campaign_input(actor, &input).await?;
        let c = CampaignRecord {
            id: Uuid::now_v7(),
            name,
            category: input.category,
            channel: input.channel,
            segment_id: input.segment_id,
            content: serde_json::to_string(&input.content).unwrap_or_default(),
            status: "draft".into(),
            report: None,
            created_by: actor.audit_name.clone(),
            created_at: self.now(),
            sent_at: None,
            sending_at: None,
        };
        self.store.campaigns().save(&c).await?;
        Ok(campaign_view(&c))
    }

    /// Changes a draft (checked as on creation); a campaign sent or being sent is
    /// refused with a conflict and stays as it is.
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        id: Uuid,
        input: CampaignInput,
    ) -> Result<CampaignView, AppError> {
        let current = self.campaign_record(id).await?;
        let name = self.check_campaign_input(actor, &input).await?;
        // Who may not send the campaign's category as it is may not edit it either.
        if let Ok(c) = Category::parse("category", &current.category) {
            check_category_role(actor, c)?;
        }
        let c = CampaignRecord {
            name,
            category: input.category,
            channel: input.channel,
            segment_id: input.segment_id,
            content: serde_json::to_string(&input.content).unwrap_or_default(),
            ..current
        };
        if !self.store.campaigns().update_draft(&c).await? {
            return Err(AppError::NotEditable {
                what: "campaign",
                why: "it was sent or is being sent",
            });
        }
        Ok(campaign_view(&c))
    }

    pub async fn get_campaign(&self, actor: &Actor, id: Uuid) -> Result<CampaignView, AppError> {
        self.check_campaign_role(actor)?;
        let c = self.campaign_record(id).await?;
        Ok(campaign_view(&c))
    }

    /// Walks the campaign's segment page by page and decides for each contact; with
    /// `send`, queues each page's emails as it goes. Returns the report and how many
    /// emails were queued.
    async fn walk_audience(
        &self,
        actor: &Actor,
        c: &CampaignRecord,
        send: Option<&BTreeMap<String, Content>>,
    ) -> Result<(AudienceReport, u64), AppError> {
        let category = Category::parse("category", &c.category).map_err(AppError::invalid)?;
        let conds = self.segment_of(actor, c.segment_id).await?;
        let now = self.now();
        let mut report = AudienceReport::empty();
        // Keyed by the rule's static id: no allocation per contact left out.
        let mut excluded: BTreeMap<&'static str, Exclusion> = BTreeMap::new();
        let mut leave_out = |rule: &'static str, expl: (&str, &str), id: Uuid| {
            let x = excluded.entry(rule).or_insert_with(|| Exclusion {
                rule: rule.to_owned(),
                count: 0,
                explanation: [
                    ("en".to_owned(), expl.0.to_owned()),
                    ("fr".to_owned(), expl.1.to_owned()),
                ]
                .into(),
                contacts: Vec::new(),
            });
            x.count += 1;
            if x.contacts.len() < SAMPLE {
                x.contacts.push(id);
            }
        };
        let mut queued = 0;
        let purpose = category.purpose().unwrap_or(ALL_PURPOSES);
        let mut chunks =
            self.store
                .segments()
                .audience(&conds, purpose, Channel::Email, PAGE as usize);
        // Restrictions (Art. 18) are few: read once for the whole audience.
        let restricted = self.store.requests().restricted_subjects().await?;
        while let Some(page) = chunks.recv().await {
            let page = page?;
            let contracts = match category {
                Category::ContractService | Category::ContractRenewal => {
                    let pairs: Vec<(Uuid, Option<Uuid>)> =
                        page.iter().map(|c| (c.id, c.company_id)).collect();
                    self.store
                        .contracts()
                        .active_for(&pairs, now.date())
                        .await?
                }
                _ => Default::default(),
            };
            let mut allowed = Vec::new();
            for row in page {
                report.segment_size += 1;
                let facts = Facts {
                    consents: &row.states,
                    active_contract: contracts.contains(&row.id),
                    erased: false,
                    restricted: restricted.contains(&row.id),
                    undeliverable: if row.undeliverable {
                        &[Channel::Email]
                    } else {
                        &[]
                    },
                    last_request: None,
                    now,
                    refusal_quiet_period: self.settings.refusal_quiet,
                };
                match communication::permit(category, Channel::Email, &facts) {
                    Err(rule) => leave_out(rule.id(), rule.explanation(), row.id),
                    Ok(_) if row.email.is_none() => leave_out(
                        NO_EMAIL,
                        (
                            "The contact has no email address.",
                            "Le contact n'a pas d'adresse e-mail.",
                        ),
                        row.id,
                    ),
                    Ok(p) => {
                        report.allowed += 1;
                        match report.locales.get_mut(row.locale.as_str()) {
                            Some(n) => *n += 1,
                            None => {
                                report.locales.insert(row.locale.clone(), 1);
                            }
                        }
                        allowed.push((row, p));
                    }
                }
            }
            if let Some(content) = send {
                let ids: Vec<Uuid> = allowed.iter().map(|(r, _)| r.id).collect();
                let tracked = self
                    .store
                    .consents()
                    .effective(&ids, crate::tracking::TRACKING_PURPOSE, Channel::Email)
                    .await?;
                let mails = self.campaign_mails(c.id, category, content, allowed, &tracked, now)?;
                // S4: the address and language each email was written with were read
                // for this campaign, by whoever sent it; recorded with the messages, in
                // their transaction, for the recipients queued by it.
                let events = mails
                    .iter()
                    .filter_map(|m| m.subject_id)
                    .map(|subject| {
                        self.access(
                            actor,
                            subject,
                            AuditAction::Read,
                            vec!["email".into(), "locale".into()],
                            "POST /campaigns/{id}/send",
                        )
                    })
                    .collect();
                queued += self.store.campaigns().queue(c.id, &mails, events).await?;
            }
        }
        report.excluded = excluded.into_values().collect();
        report
            .excluded
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
        Ok((report, queued))
    }

    /// The emails of one page of allowed contacts, each with its unsubscribe link.
    ///
    /// Only the people who agreed to be measured (`tracked`) get the open pixel and
    /// tracked links; the others' emails carry plain links and no pixel.
    fn campaign_mails(
        &self,
        campaign: Uuid,
        category: Category,
        content: &BTreeMap<String, Content>,
        allowed: Vec<(AudienceRow, communication::Permit)>,
        tracked: &std::collections::HashSet<Uuid>,
        now: OffsetDateTime,
    ) -> Result<Vec<candor_store::QueuedMail>, AppError> {
        let mut mails = Vec::with_capacity(allowed.len());
        for (contact, permit) in allowed {
            let Ok(l) = Locale::parse("locale", &contact.locale) else {
                continue;
            };
            let (Some(text), Some(email)) = (content.get(l.as_str()), contact.email.as_ref())
            else {
                continue;
            };
            let purpose = category.purpose().unwrap_or(ALL_PURPOSES);
            let link = self.withdrawal_link(contact.id, purpose, Channel::Email);
            let escaped = mail::escape_html(&text.body);
            let body_html = if tracked.contains(&contact.id) {
                let html = crate::tracking::linkify(&escaped, |u| {
                    self.tracked_link(campaign, contact.id, u)
                });
                let pixel = self.open_pixel(campaign, contact.id);
                format!("{html}<img src=\"{pixel}\" width=\"1\" height=\"1\" alt=\"\">")
            } else {
                crate::tracking::linkify(&escaped, str::to_owned)
            };
            let rendered = render_campaign(l, text, &link, &body_html)?;
            let mut m = mail::queued(
                Uuid::now_v7(),
                Some(contact.id),
                &permit,
                email.as_str(),
                l,
                rendered,
                now,
            );
            // RFC 8058 one-click unsubscribe, for the messages one subscribes to.
            if category.purpose().is_some() {
                m.list_unsubscribe = Some(link);
            }
            mails.push(m);
        }
        Ok(mails)
    }

    /// The audience report of a campaign, as it would be sent now, with the
    /// languages its audience reads that it has no text in.
    pub async fn campaign_audience(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<AudienceReport, AppError> {
        self.check_campaign_role(actor)?;
        let c = self.campaign_record(id).await?;
        let mut report = self.walk_audience(actor, &c, None).await?.0;
        report.check_content(&serde_json::from_str(&c.content).unwrap_or_default());
        Ok(report)
    }

    /// The campaign's email in each language it has, as a recipient gets it (the
    /// unsubscribe link points back to the campaign: each recipient's is their own).
    pub async fn preview_campaign(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<BTreeMap<String, Preview>, AppError> {
        let c = self.get_campaign(actor, id).await?;
        self.campaign_previews(&c)
    }

    /// The email of a campaign already read (by [`Candor::get_campaign`], which checks
    /// the role) in each language it has, as [`Candor::preview_campaign`] gives it.
    pub fn campaign_previews(
        &self,
        c: &CampaignView,
    ) -> Result<BTreeMap<String, Preview>, AppError> {
        let link = format!(
            "{}/campaigns/{}",
            self.settings.public_url.trim_end_matches('/'),
            c.id
        );
        let mut out = BTreeMap::new();
        for (locale, text) in &c.content {
            let Ok(l) = Locale::parse("locale", locale) else {
                continue;
            };
            let html = crate::tracking::linkify(&mail::escape_html(&text.body), str::to_owned);
            let r = render_campaign(l, text, &link, &html)?;
            out.insert(
                locale.clone(),
                Preview {
                    subject: r.subject,
                    text: r.text,
                    html: r.html,
                },
            );
        }
        Ok(out)
    }

    /// Sends the campaign's email in each language it has to the staff member
    /// asking, at their own address, the subject marked as a test; no contact gets
    /// anything. API tokens have no address: refused. Returns the address and the
    /// languages sent.
    pub async fn test_send_campaign(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(String, Vec<String>), AppError> {
        let c = self.get_campaign(actor, id).await?;
        let previews = self.campaign_previews(&c)?;
        let category = Category::parse("category", &c.category).map_err(AppError::invalid)?;
        let staff = if actor.audit_name.starts_with("user:") {
            self.store.staff().by_id(actor.id).await?
        } else {
            None
        };
        let Some(staff) = staff else {
            return Err(AppError::field(
                "to",
                "staff_only",
                "a test goes to the staff member's own address: send it from the back office",
            ));
        };
        let now = self.now();
        let permit = communication::staff_test_permit(category, Channel::Email);
        let mut sent = Vec::new();
        let mut mails = Vec::new();
        for (locale, p) in previews {
            let Ok(l) = Locale::parse("locale", &locale) else {
                continue;
            };
            let mark = if l == Locale::Fr { "[Essai]" } else { "[Test]" };
            let r = mail::Rendered {
                subject: format!("{mark} {}", p.subject),
                text: p.text,
                html: p.html,
            };
            mails.push(mail::queued(
                Uuid::now_v7(),
                None,
                &permit,
                &staff.email,
                l,
                r,
                now,
            ));
            sent.push(locale);
        }
        self.store.outbox().queue(&mails).await?;
        Ok((staff.email, sent))
    }

    /// Starts sending a campaign, once: the audience is counted now (a language it
    /// reads that the campaign has no text in is refused before anything starts), and
    /// a job sends one email per allowed contact, each with its one-click unsubscribe,
    /// page by page. Asking again while it is sent or being sent starts nothing.
    pub async fn send_campaign(&self, actor: &Actor, id: Uuid) -> Result<SendOutcome, AppError> {
        self.check_campaign_role(actor)?;
        let c = self.campaign_record(id).await?;
        let category = Category::parse("category", &c.category).map_err(AppError::invalid)?;
        check_category_role(actor, category)?;
        if c.status == "sent" || c.sending_at.is_some() {
            let view = campaign_view(&c);
            return Ok(SendOutcome {
                state: view.state(),
                already_sent: true,
                report: view.report.unwrap_or_else(AudienceReport::empty),
            });
        }
        let content: BTreeMap<String, Content> = serde_json::from_str(&c.content)
            .map_err(|_| AppError::Internal("a stored campaign is unreadable".into()))?;
        let (mut report, _) = self.walk_audience(actor, &c, None).await?;
        report.check_content(&content);
        let mut e = FieldErrors::default();
        for (locale, n) in &report.missing_content {
            e.push(FieldError::new(
                format!("content.{locale}.subject"),
                "locale_missing",
                format!("{n} recipients read {locale}: give the subject and body in {locale}"),
            ));
        }
        e.into_result().map_err(AppError::Invalid)?;
        let now = self.now();
        let job = JobRecord::new(
            CAMPAIGN_SEND,
            serde_json::json!({
                "campaign": id,
                "actor": {"id": actor.id, "role": actor.role.as_str(), "audit_name": actor.audit_name},
            }),
            now,
            now,
        )
        .dedupe(send_key(id));
        let report_json = serde_json::to_string(&report).unwrap_or_default();
        let started = self
            .store
            .campaigns()
            .start_sending(id, now, &report_json, &job)
            .await?;
        self.wake_jobs();
        Ok(SendOutcome {
            state: "sending",
            already_sent: !started,
            report,
        })
    }

    /// The sending job: queues the campaign's emails page by page as whoever asked to
    /// send it (their role reads the segment again; their name is in the audit), then
    /// marks it sent with the final report. A rerun after a failure skips whoever was
    /// queued before.
    pub(crate) async fn campaign_send_job(&self, payload: &Value) -> Result<u64, AppError> {
        let bad = || AppError::Internal("a campaign job without its campaign or sender".into());
        let id = payload["campaign"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(bad)?;
        let a = &payload["actor"];
        let actor = Actor {
            id: a["id"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(bad)?,
            role: a["role"]
                .as_str()
                .and_then(|r| r.parse::<Role>().ok())
                .ok_or_else(bad)?,
            audit_name: a["audit_name"].as_str().ok_or_else(bad)?.to_owned(),
        };
        let Some(c) = self.store.campaigns().get(id).await? else {
            return Ok(0);
        };
        if c.status == "sent" {
            return Ok(0);
        }
        let content: BTreeMap<String, Content> = serde_json::from_str(&c.content)
            .map_err(|_| AppError::Internal("a stored campaign is unreadable".into()))?;
        let (mut report, queued) = self.walk_audience(&actor, &c, Some(&content)).await?;
        report.check_content(&content);
        let report_json = serde_json::to_string(&report).unwrap_or_default();
        self.store
            .campaigns()
            .mark_sent(c.id, self.now(), &report_json)
            .await?;
        Ok(queued)
    }

    /// How far a campaign's sending is: emails queued against the audience counted
    /// when it started, and the job's failed attempts.
    pub async fn campaign_progress(&self, actor: &Actor, id: Uuid) -> Result<Progress, AppError> {
        let c = self.get_campaign(actor, id).await?;
        let queued = self.store.campaigns().recipient_count(id).await?;
        let job = if c.sending_at.is_some() {
            self.store.jobs().keyed(&send_key(id)).await?
        } else {
            None
        };
        Ok(Progress {
            state: c.state(),
            queued,
            total: c.report.as_ref().map_or(0, |r| r.allowed),
            failed_attempts: job.as_ref().map_or(0, |j| {
                if j.status == "done" {
                    0
                } else {
                    j.attempts.max(0) - i64::from(j.status == "running")
                }
            }),
            retry_at: job
                .filter(|j| j.status == "queued" && j.attempts > 0)
                .map(|j| candor_domain::contact::rfc3339(j.run_at)),
        })
    }
}
