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
use candor_store::{AudienceRow, CampaignRecord, Page, SegmentRecord};
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
                match v.as_bool() {
                    Some(present) => {
                        out.push(SegmentCondition::ActiveContract { on: today, present })
                    }
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
        self.check_campaign_role(actor)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::field(
                "name",
                "name_format",
                "must be 1 to 200 characters",
            ));
        }
        self.segment_conditions(actor, &conditions)?;
        let s = SegmentRecord {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            conditions: Value::Array(conditions).to_string(),
            created_by: actor.audit_name.clone(),
            created_at: self.now(),
        };
        self.store.segments().save(&s).await?;
        Ok(s)
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
}

/// What sending did.
#[derive(Debug, Clone, Serialize)]
pub struct SendOutcome {
    /// The campaign had been sent before: nothing was sent now.
    pub already_sent: bool,
    pub queued: u64,
    pub report: AudienceReport,
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

    pub async fn create_campaign(
        &self,
        actor: &Actor,
        input: CampaignInput,
    ) -> Result<CampaignView, AppError> {
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
        let c = CampaignRecord {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            category: input.category,
            channel: input.channel,
            segment_id: input.segment_id,
            content: serde_json::to_string(&input.content).unwrap_or_default(),
            status: "draft".into(),
            report: None,
            created_by: actor.audit_name.clone(),
            created_at: self.now(),
            sent_at: None,
        };
        self.store.campaigns().save(&c).await?;
        Ok(campaign_view(&c))
    }

    pub async fn get_campaign(&self, actor: &Actor, id: Uuid) -> Result<CampaignView, AppError> {
        self.check_campaign_role(actor)?;
        let c = self
            .store
            .campaigns()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "campaign" })?;
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
        let mut report = AudienceReport {
            segment_size: 0,
            allowed: 0,
            locales: BTreeMap::new(),
            excluded: Vec::new(),
        };
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
            const BODY: &str = "\u{1}body\u{1}";
            let mut rendered = mail::render(
                "campaign",
                l,
                &[
                    ("subject", &text.subject),
                    ("body", BODY),
                    ("unsubscribe", &link),
                ],
            )
            .ok_or_else(|| AppError::Internal("the campaign template is missing".into()))?;
            rendered.text = rendered.text.replace(BODY, &text.body);
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
            rendered.html = rendered.html.replace(BODY, &body_html);
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

    /// The audience report of a campaign, as it would be sent now.
    pub async fn campaign_audience(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<AudienceReport, AppError> {
        self.check_campaign_role(actor)?;
        let c = self
            .store
            .campaigns()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "campaign" })?;
        Ok(self.walk_audience(actor, &c, None).await?.0)
    }

    /// Sends a campaign once: one email per allowed contact, each with its one-click
    /// unsubscribe. Missing content for a language the audience speaks is refused
    /// before anything is sent; a second send sends nothing and says so.
    pub async fn send_campaign(&self, actor: &Actor, id: Uuid) -> Result<SendOutcome, AppError> {
        self.check_campaign_role(actor)?;
        let c = self
            .store
            .campaigns()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "campaign" })?;
        let category = Category::parse("category", &c.category).map_err(AppError::invalid)?;
        check_category_role(actor, category)?;
        if c.status == "sent" {
            let report = c
                .report
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok());
            return Ok(SendOutcome {
                already_sent: true,
                queued: 0,
                report: report.unwrap_or(AudienceReport {
                    segment_size: 0,
                    allowed: 0,
                    locales: BTreeMap::new(),
                    excluded: Vec::new(),
                }),
            });
        }
        let content: BTreeMap<String, Content> = serde_json::from_str(&c.content)
            .map_err(|_| AppError::Internal("a stored campaign is unreadable".into()))?;
        // First pass: the report, to check the content covers the audience's languages.
        let (report, _) = self.walk_audience(actor, &c, None).await?;
        let mut e = FieldErrors::default();
        for (locale, n) in &report.locales {
            if !content.contains_key(locale) {
                e.push(FieldError::new(
                    format!("content.{locale}.subject"),
                    "locale_missing",
                    format!("{n} recipients read {locale}: give the subject and body in {locale}"),
                ));
            }
        }
        e.into_result().map_err(AppError::Invalid)?;
        // Second pass: queue page by page; recipients queued before are skipped.
        let (final_report, queued) = self.walk_audience(actor, &c, Some(&content)).await?;
        let report_json = serde_json::to_string(&final_report).unwrap_or_default();
        let first = self
            .store
            .campaigns()
            .mark_sent(c.id, self.now(), &report_json)
            .await?;
        Ok(SendOutcome {
            already_sent: !first && queued == 0,
            queued,
            report: final_report,
        })
    }
}
