//! Contacts and companies: lists with search, the contact page with its "why we keep
//! this", edit with the API's own validation messages, and the consent timeline.

use super::i18n::Texts;
use super::{app_error, render, render_with, Choice, Chrome, Posted, Staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::consent::{channel_label, ConsentInput};
use candor_app::contacts::ListQuery;
use candor_app::{AppError, Candor};
use candor_domain::catalogue::{Entity, FieldDef, ValueType};
use candor_domain::consent::{self, Action, Channel, Evidence, Pending, Source, Status};
use candor_domain::contact::ContactPatch;
use candor_domain::personal::Locale;
use candor_domain::Role;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

fn locale(t: &Texts) -> Locale {
    if t.lang == "en" {
        Locale::En
    } else {
        Locale::Fr
    }
}

/// A JSON value as a person reads it.
pub fn show_value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

fn value_of<'a>(view: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match key.strip_prefix("custom.") {
        Some(name) => view.get("custom").and_then(|c| c.get(name)),
        None => view.get(key),
    }
}

fn full_name(view: &Map<String, Value>) -> String {
    let first = show_value(view.get("first_name"));
    let last = show_value(view.get("last_name"));
    format!("{first} {last}").trim().to_owned()
}

/// The page title of a contact: its name, or a neutral label when the role reads none.
fn title(t: &Texts, view: &Map<String, Value>) -> String {
    let name = full_name(view);
    if name.is_empty() {
        t.untitled.to_owned()
    } else {
        name
    }
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Default)]
pub struct ListParams {
    q: Option<String>,
    company: Option<String>,
    kind: Option<String>,
    after: Option<String>,
}

pub struct Row {
    id: String,
    name: String,
    email: String,
    city: String,
    kind: String,
}

impl Row {
    fn of(t: &Texts, v: &Map<String, Value>) -> Self {
        Row {
            id: show_value(v.get("id")),
            name: full_name(v),
            email: show_value(v.get("email")),
            city: show_value(v.get("city")),
            kind: readable(t, "kind", show_value(v.get("kind"))),
        }
    }
}

/// A code as the reader says it: "Particulier (B2C)" for `b2c`, "Anglais" for `en`.
fn readable(t: &Texts, key: &str, value: String) -> String {
    match (key, value.as_str()) {
        ("kind", "b2b") => t.kind_b2b.to_owned(),
        ("kind", "b2c") => t.kind_b2c.to_owned(),
        ("locale", "fr") => t.lang_fr.to_owned(),
        ("locale", "en") => t.lang_en.to_owned(),
        _ => value,
    }
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    c: Chrome,
    q_search: String,
    q_company: String,
    q_kind: String,
    show_email: bool,
    show_city: bool,
    can_create: bool,
    rows: Vec<Row>,
    /// How many contacts the search matches, in the reader's digits ("1 234").
    total: Option<String>,
    error: Option<String>,
    next: Option<String>,
    paged: bool,
}

fn blank_none(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub async fn list(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<ListParams>,
) -> Response {
    let cat = app.catalogue();
    let role = staff.actor.role;
    let q = ListQuery {
        kind: blank_none(&p.kind),
        q: blank_none(&p.q),
        company: blank_none(&p.company),
        after: blank_none(&p.after),
        limit: Some(25),
        ..ListQuery::default()
    };
    let total = app.count_contacts(&staff.actor, &q).await.ok();
    let (rows, next, error) = match app.list_contacts(&staff.actor, q, "GET /contacts").await {
        Ok(page) => (
            page.items.iter().map(|v| Row::of(staff.t(), v)).collect(),
            page.next_cursor.map(|c| c.to_string()),
            None,
        ),
        Err(AppError::Invalid(errs)) => (
            Vec::new(),
            None,
            Some(super::field_errors(staff.t(), &errs).join("; ")),
        ),
        Err(e) => return app_error(staff.t(), e),
    };
    render(&ContactsPage {
        q_search: p.q.unwrap_or_default(),
        q_company: p.company.unwrap_or_default(),
        q_kind: p.kind.unwrap_or_default(),
        show_email: cat.can_read(role, Entity::Contact, "email"),
        show_city: cat.can_read(role, Entity::Contact, "city"),
        can_create: cat
            .field(Entity::Contact, "last_name")
            .is_some_and(|f| f.can_write(role)),
        rows,
        total: total.map(|n| {
            if n > candor_app::contacts::SEARCH_COUNT_CAP {
                format!(
                    "{} {}",
                    staff.t().more_than,
                    super::i18n::grouped(staff.t(), candor_app::contacts::SEARCH_COUNT_CAP)
                )
            } else {
                super::i18n::grouped(staff.t(), n)
            }
        }),
        error,
        next,
        paged: p.after.is_some(),
        c: staff.chrome,
    })
}

/// The header's search, as you type (O1): the first contacts found, by name, with a
/// link to the whole list of matches. Without htmx, the list itself.
#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResults {
    c: Chrome,
    rows: Vec<Row>,
    error: Option<String>,
    all: String,
}

/// Contacts shown in the header's results.
const QUICK: u32 = 8;

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

pub async fn quick_search(
    State(app): State<Candor>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    Query(p): Query<SearchParams>,
) -> Response {
    let q = p.q.unwrap_or_default();
    let all = format!("/contacts?q={}", percent(q.trim()));
    if !headers.contains_key("hx-request") {
        return Redirect::to(&all).into_response();
    }
    if q.trim().is_empty() {
        return axum::response::Html("").into_response();
    }
    let t = staff.t();
    let (rows, error) = match app
        .search_contacts(&staff.actor, &q, QUICK, "GET /search")
        .await
    {
        Ok(found) => (found.iter().map(|v| Row::of(t, v)).collect(), None),
        Err(AppError::Invalid(errs)) => {
            (Vec::new(), Some(super::field_errors(t, &errs).join("; ")))
        }
        Err(e) => return app_error(t, e),
    };
    render(&SearchResults {
        rows,
        error,
        all,
        c: staff.chrome,
    })
}

impl ContactsPage {
    /// The query string of the next page: the same search, after the last row.
    fn next_query(&self, after: &str) -> String {
        let mut s = url_pairs(&[
            ("q", &self.q_search),
            ("company", &self.q_company),
            ("kind", &self.q_kind),
        ]);
        s.push_str("&after=");
        s.push_str(after);
        s
    }
}

fn url_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------- contact page

pub struct FieldRow {
    pub(super) key: String,
    pub(super) label: String,
    pub(super) value: String,
    pub(super) why: String,
    pub(super) error: Option<String>,
    pub(super) input: InputKind,
    pub(super) options: Vec<Choice>,
    /// A link to what the value names (the contact's company).
    pub(super) href: Option<String>,
}

#[derive(PartialEq, Eq)]
pub enum InputKind {
    Text,
    Area,
    Select,
}

pub struct StateRow {
    purpose: String,
    channel: String,
    status: String,
    /// Why the grant waits, in the reader's words; empty when it does not.
    pending: &'static str,
    since: String,
    source: String,
}

pub struct EventRow {
    at: String,
    purpose: String,
    channel: String,
    action: String,
    source: String,
    evidence: String,
    /// Why the grant waits, in the reader's words; empty when it does not.
    pending: &'static str,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    c: Chrome,
    id: String,
    name: String,
    fields: Vec<FieldRow>,
    can_edit: bool,
    states: Vec<StateRow>,
    never_asked: Vec<String>,
    events: Vec<EventRow>,
    /// None when the role may not read orders (or contracts).
    orders: Option<Vec<super::history::OrderRow>>,
    contracts: Option<Vec<super::history::ContractRow>>,
    history: Vec<super::history::HistoryRow>,
    purposes: Vec<Choice>,
    channels: Vec<Choice>,
    sources: Vec<Choice>,
    /// Whether the role may record a grant here (the rule table of `staff_may_record`).
    can_grant: bool,
    consent_errors: Vec<String>,
    consent_form: ConsentForm,
    notice: Option<&'static str>,
    governs: bool,
}

/// Why a grant waits, as the reader says it (a pending state without its reason reads
/// as the usual double opt-in).
fn pending_label(t: &Texts, reason: Option<Pending>) -> &'static str {
    match reason {
        Some(Pending::WrittenConsent) => t.pending_written,
        Some(Pending::DoubleOptIn) | None => t.pending_doi,
    }
}

pub(super) fn status_label(t: &Texts, s: Status) -> &'static str {
    match (s, t.lang) {
        (Status::Effective, "en") => "Given",
        (Status::Effective, _) => "Donné",
        (Status::Pending, "en") => "Pending",
        (Status::Pending, _) => "En attente",
        (Status::Withdrawn, "en") => "Withdrawn",
        (Status::Withdrawn, _) => "Retiré",
        (Status::Refused, "en") => "Refused",
        (Status::Refused, _) => "Refusé",
        (Status::NeverAsked, _) => t.never_asked,
        (Status::Lapsed, "en") => "Lapsed (never confirmed)",
        (Status::Lapsed, _) => "Expiré (jamais confirmé)",
    }
}

fn source_label(t: &Texts, s: Source) -> &'static str {
    let en = t.lang == "en";
    match s {
        Source::WebForm => {
            if en {
                "web form"
            } else {
                "formulaire web"
            }
        }
        Source::EmailLink => {
            if en {
                "email link"
            } else {
                "lien e-mail"
            }
        }
        Source::Event => {
            if en {
                "event, trade show"
            } else {
                "événement, salon"
            }
        }
        Source::BusinessCard => {
            if en {
                "business card"
            } else {
                "carte de visite"
            }
        }
        Source::Phone => {
            if en {
                "phone call"
            } else {
                "appel téléphonique"
            }
        }
        Source::Manual => {
            if en {
                "entered by staff"
            } else {
                "saisi par l'équipe"
            }
        }
        Source::Import => "import",
        Source::Api => "API",
        Source::Portal => {
            if en {
                "privacy portal"
            } else {
                "portail vie privée"
            }
        }
    }
}

pub fn when(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}

/// Why the reader's role has this field, as the catalogue says it to staff (the
/// field's own reason is written to the person: "to address you by name").
pub(super) fn staff_reason(t: &Texts, f: &FieldDef, role: Role) -> String {
    f.access
        .get(&role)
        .map_or_else(|| t.pick(&f.why), |a| t.pick(&a.why))
        .to_owned()
}

fn field_rows(
    cat: &candor_domain::catalogue::Catalogue,
    t: &Texts,
    role: Role,
    view: &Map<String, Value>,
    writable_only: bool,
) -> Vec<FieldRow> {
    cat.entity_fields(Entity::Contact)
        .filter(|f| f.can_read(role))
        .filter(|f| !writable_only || (f.can_write(role) && !f.system))
        .map(|f: &FieldDef| {
            let key = f.key();
            let (input, options) = match (&f.custom, key.as_str()) {
                (Some(ValueType::Choice { options }), _) => (InputKind::Select, options.clone()),
                (Some(ValueType::Boolean), _) => {
                    (InputKind::Select, vec!["true".into(), "false".into()])
                }
                (_, "kind") => (InputKind::Select, vec!["b2b".into(), "b2c".into()]),
                (_, "locale") => (InputKind::Select, vec!["fr".into(), "en".into()]),
                (_, "notes") => (InputKind::Area, Vec::new()),
                _ => (InputKind::Text, Vec::new()),
            };
            let options = options
                .into_iter()
                .map(|o| Choice {
                    label: o.clone(),
                    value: o,
                })
                .collect();
            let mut value = show_value(value_of(view, &key));
            if !writable_only {
                value = readable(t, &key, value);
                if let Ok(at) = time::OffsetDateTime::parse(
                    &value,
                    &time::format_description::well_known::Rfc3339,
                ) {
                    value = when(at);
                }
            }
            FieldRow {
                value,
                label: t.pick(&f.label).to_owned(),
                why: staff_reason(t, f, role),
                key,
                error: None,
                input,
                options,
                href: None,
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    saved: Option<String>,
    consent: Option<String>,
    optout: Option<String>,
}

pub async fn show(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> Response {
    let notice = if p.saved.is_some() {
        Some(staff.t().saved)
    } else if p.consent.is_some() {
        Some(staff.t().consent_recorded)
    } else if p.optout.is_some() {
        Some(staff.t().opted_out)
    } else {
        None
    };
    contact_page(
        &app,
        staff,
        id,
        notice,
        Vec::new(),
        ConsentForm::default(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn contact_page(
    app: &Candor,
    staff: Staff,
    id: Uuid,
    notice: Option<&'static str>,
    consent_errors: Vec<String>,
    consent_form: ConsentForm,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let role = staff.actor.role;
    let view = match app
        .get_contact(&staff.actor, id, "GET /contacts/{id}")
        .await
    {
        Ok(v) => v,
        Err(e) => return app_error(t, e),
    };
    let cat = app.catalogue();
    let mut fields = field_rows(&cat, t, role, &view, false);
    for f in fields
        .iter_mut()
        .filter(|f| f.key == "company_id" && !f.value.is_empty())
    {
        if let Ok(company_id) = Uuid::parse_str(&f.value) {
            if let Ok(c) = app.get_company(&staff.actor, company_id).await {
                f.href = Some(format!("/companies/{company_id}"));
                f.value = show_value(c.get("name"));
            }
        }
    }
    let can_edit = cat
        .entity_fields(Entity::Contact)
        .any(|f| f.can_write(role) && !f.system);
    let consents = match app
        .contact_consents(&staff.actor, id, "GET /contacts/{id}")
        .await
    {
        Ok(c) => c,
        Err(e) => return app_error(t, e),
    };
    let loc = locale(t);
    let purpose_label = |id: &str| -> String {
        if id == candor_domain::communication::ALL_PURPOSES {
            return if t.lang == "en" {
                "all communications".into()
            } else {
                "toutes les communications".into()
            };
        }
        cat.purposes()
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| t.pick(&p.label).to_owned())
    };
    let states = consents
        .states
        .iter()
        .map(|s| StateRow {
            purpose: purpose_label(&s.purpose),
            channel: channel_label(s.channel, loc).to_owned(),
            status: status_label(t, s.status).to_owned(),
            pending: if s.status == Status::Pending {
                pending_label(t, s.reason)
            } else {
                ""
            },
            since: when(s.since),
            source: source_label(t, s.source).to_owned(),
        })
        .collect();
    let never_asked = consents
        .never_asked
        .iter()
        .map(|n| {
            format!(
                "{} · {}",
                purpose_label(&n.purpose),
                channel_label(n.channel, loc)
            )
        })
        .collect();
    // Who recorded an event: the staff user's address or the token's name, not an id.
    let staff_names = app.actor_names().await.unwrap_or_default();
    let events = consents
        .events
        .iter()
        .rev()
        .map(|e| {
            let ev = &e.evidence;
            let by = ev
                .recorded_by
                .as_ref()
                .map(|r| staff_names.get(r).cloned().unwrap_or_else(|| r.clone()));
            let parts: Vec<String> = [
                (t.wording, &ev.wording),
                (t.document_ref, &ev.document_ref),
                ("form", &ev.form_id),
                ("IP", &ev.ip),
                (t.note, &ev.note),
                (t.actor, &by),
            ]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
            .collect();
            EventRow {
                at: when(e.at),
                purpose: purpose_label(&e.purpose),
                channel: channel_label(e.channel, loc).to_owned(),
                action: match e.action.as_str() {
                    "grant" => t.grant.to_owned(),
                    "withdraw" => t.withdraw.to_owned(),
                    "refuse" => t.refuse.to_owned(),
                    "confirm" if t.lang == "en" => "Confirmed by the person".to_owned(),
                    "confirm" => "Confirmé par la personne".to_owned(),
                    "lapse" if t.lang == "en" => "Lapsed, never confirmed".to_owned(),
                    "lapse" => "Expiré, jamais confirmé".to_owned(),
                    other => other.to_owned(),
                },
                source: source_label(t, e.source).to_owned(),
                evidence: parts.join(" · "),
                pending: e
                    .pending
                    .map(|p| pending_label(t, Some(p)))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let orders = super::history::orders(app, &staff.actor, t, id).await;
    let contracts = super::history::contracts(app, &staff.actor, t, id).await;
    let history = match super::history::history(app, &staff.actor, t, id).await {
        Ok(h) => h,
        Err(e) => return app_error(t, e),
    };
    let purposes = super::consent_purposes(&cat, t);
    let channels = Channel::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: channel_label(*c, loc).to_owned(),
        })
        .collect();
    let staff_sources = [
        Source::Event,
        Source::BusinessCard,
        Source::Phone,
        Source::Manual,
    ];
    let can_grant = staff_sources
        .iter()
        .any(|s| consent::staff_may_record(staff.actor.role, Action::Grant, *s).is_ok());
    let sources = staff_sources
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: source_label(t, *s).to_owned(),
        })
        .collect();
    render_with(
        status,
        &ContactPage {
            id: id.to_string(),
            name: title(t, &view),
            fields,
            can_edit,
            states,
            never_asked,
            events,
            orders,
            contracts,
            history,
            purposes,
            channels,
            sources,
            can_grant,
            consent_errors,
            consent_form,
            notice,
            governs: role.governs_data(),
            c: staff.chrome,
        },
    )
}

// ---------------------------------------------------------------- edit

/// The company field as a list of companies (the first 500 created, and the contact's
/// own one), when the role may read company names.
async fn company_choices(app: &Candor, staff: &Staff, fields: &mut [FieldRow]) {
    let Some(row) = fields.iter_mut().find(|f| f.key == "company_id") else {
        return;
    };
    let Ok(page) = app.list_companies(&staff.actor, None, None, 500).await else {
        return;
    };
    let mut choices: Vec<Choice> = page
        .items
        .iter()
        .map(|c| Choice {
            value: show_value(c.get("id")),
            label: show_value(c.get("name")),
        })
        .collect();
    if !row.value.is_empty() && !choices.iter().any(|c| c.value == row.value) {
        if let Ok(id) = Uuid::parse_str(&row.value) {
            if let Ok(c) = app.get_company(&staff.actor, id).await {
                choices.insert(
                    0,
                    Choice {
                        value: row.value.clone(),
                        label: show_value(c.get("name")),
                    },
                );
            }
        }
    }
    choices.sort_by_key(|c| c.label.to_lowercase());
    row.input = InputKind::Select;
    row.options = choices;
}

#[derive(Template)]
#[template(path = "contact_edit.html")]
pub(super) struct EditPage {
    pub(super) c: Chrome,
    pub(super) heading: String,
    /// Where the form posts, and where "cancel" goes.
    pub(super) action: String,
    pub(super) back: String,
    pub(super) fields: Vec<FieldRow>,
    pub(super) failed: bool,
    /// Errors about no field of the form.
    pub(super) other: Vec<String>,
}

pub async fn edit(State(app): State<Candor>, staff: Staff, Path(id): Path<Uuid>) -> Response {
    let t = staff.t();
    let view = match app
        .get_contact(&staff.actor, id, "GET /contacts/{id}/edit")
        .await
    {
        Ok(v) => v,
        Err(e) => return app_error(t, e),
    };
    let mut fields = field_rows(&app.catalogue(), t, staff.actor.role, &view, true);
    if fields.is_empty() {
        return super::message_page(StatusCode::FORBIDDEN, t, t.forbidden);
    }
    company_choices(&app, &staff, &mut fields).await;
    render(&EditPage {
        heading: format!("{} · {}", t.edit, title(t, &view)),
        action: format!("/contacts/{id}"),
        back: format!("/contacts/{id}"),
        fields,
        failed: false,
        other: Vec::new(),
        c: staff.chrome,
    })
}

/// The patch a form asks for: only fields that differ from `current` (empty for a new
/// contact), so the audit names what was really written.
fn patch_from_form(
    cat: &candor_domain::catalogue::Catalogue,
    form: &HashMap<String, String>,
    current: &Map<String, Value>,
) -> ContactPatch {
    let mut patch = ContactPatch::default();
    for f in cat.entity_fields(Entity::Contact) {
        let key = f.key();
        let Some(sent) = form.get(&key) else { continue };
        if *sent == show_value(value_of(current, &key)) {
            continue;
        }
        let text = Some(sent.clone()).filter(|s| !s.trim().is_empty());
        match key.strip_prefix("custom.") {
            Some(name) => {
                let v = text.map(|s| match &f.custom {
                    Some(ValueType::Number) => s
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::String(s), Value::Number),
                    Some(ValueType::Boolean) => match s.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => Value::String(s),
                    },
                    _ => Value::String(s),
                });
                patch.custom.insert(name.to_owned(), v);
            }
            None => {
                let slot = match key.as_str() {
                    "kind" => &mut patch.kind,
                    "company_id" => &mut patch.company_id,
                    "first_name" => &mut patch.first_name,
                    "last_name" => &mut patch.last_name,
                    "email" => &mut patch.email,
                    "phone" => &mut patch.phone,
                    "locale" => &mut patch.locale,
                    "address_line" => &mut patch.address_line,
                    "postal_code" => &mut patch.postal_code,
                    "city" => &mut patch.city,
                    "country" => &mut patch.country,
                    "notes" => &mut patch.notes,
                    _ => continue,
                };
                *slot = Some(text);
            }
        }
    }
    patch
}

/// The edit (or new-contact) form again, with what was typed and each error next to
/// its field.
/// What a contact form changes: a contact (or a new one), or a contact through a
/// rectification request (with the rights the correction is made with).
#[derive(Clone, Copy)]
pub(super) enum Target {
    Contact(Option<Uuid>),
    Rectification(Uuid),
}

impl Target {
    fn action(self) -> String {
        match self {
            Target::Contact(Some(id)) => format!("/contacts/{id}"),
            Target::Contact(None) => "/contacts".to_owned(),
            Target::Rectification(r) => format!("/requests/{r}/rectification"),
        }
    }

    fn back(self) -> String {
        match self {
            Target::Rectification(r) => format!("/requests/{r}"),
            other => other.action(),
        }
    }

    fn role(self, staff: &Staff) -> Role {
        match self {
            Target::Rectification(_) => Role::Admin,
            Target::Contact(_) => staff.actor.role,
        }
    }
}

pub(super) async fn refused_form(
    app: &Candor,
    staff: Staff,
    target: Target,
    current: &Map<String, Value>,
    form: &HashMap<String, String>,
    errs: &candor_domain::FieldErrors,
) -> Response {
    let t = staff.t();
    let mut fields = field_rows(&app.catalogue(), t, target.role(&staff), current, true);
    company_choices(app, &staff, &mut fields).await;
    for row in &mut fields {
        if let Some(sent) = form.get(&row.key) {
            row.value = sent.clone();
        }
        let msgs: Vec<String> = errs
            .0
            .iter()
            .filter(|e| e.field == row.key || e.field == format!("custom.{}", row.key))
            .map(|e| super::i18n::field_message(t, e.rule, &e.message))
            .collect();
        if !msgs.is_empty() {
            row.error = Some(msgs.join("; "));
        }
    }
    let other: Vec<String> = errs
        .0
        .iter()
        .filter(|e| !fields.iter().any(|r| r.key == e.field))
        .map(|e| {
            format!(
                "{}: {}",
                e.field,
                super::i18n::field_message(t, e.rule, &e.message)
            )
        })
        .collect();
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &EditPage {
            heading: match target {
                Target::Contact(Some(_)) => format!("{} · {}", t.edit, title(t, current)),
                Target::Contact(None) => t.new_contact.to_owned(),
                Target::Rectification(_) => format!("{} · {}", t.rq_rectify, title(t, current)),
            },
            action: target.action(),
            back: target.back(),
            fields,
            failed: true,
            other,
            c: staff.chrome,
        },
    )
}

pub async fn update(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(form): Posted<HashMap<String, String>>,
) -> Response {
    let t = staff.t();
    let cat = app.catalogue();
    let current = match app
        .get_contact(&staff.actor, id, "POST /contacts/{id}")
        .await
    {
        Ok(v) => v,
        Err(e) => return app_error(t, e),
    };
    let patch = patch_from_form(&cat, &form, &current);
    if patch.fields().is_empty() {
        return Redirect::to(&format!("/contacts/{id}")).into_response();
    }
    match app
        .update_contact(&staff.actor, id, patch, "POST /contacts/{id}")
        .await
    {
        Ok(_) => Redirect::to(&format!("/contacts/{id}?saved=1")).into_response(),
        Err(AppError::Invalid(errs)) => {
            refused_form(
                &app,
                staff,
                Target::Contact(Some(id)),
                &current,
                &form,
                &errs,
            )
            .await
        }
        Err(e) => match refused_value(&e) {
            Some(errs) => {
                let target = Target::Contact(Some(id));
                let mut res = refused_form(&app, staff, target, &current, &form, &errs).await;
                *res.status_mut() = StatusCode::CONFLICT;
                res
            }
            None => app_error(t, e),
        },
    }
}

/// A write refused for a value of one field (409 in the API), as a field error next to
/// that field, so what was typed stays in the form: a unique value another record
/// holds, or an erased person's email or phone. `None` for any other refusal (a
/// request changed meanwhile conflicts on `status`, no field of the form).
pub(super) fn refused_value(e: &AppError) -> Option<candor_domain::FieldErrors> {
    let (field, rule, message) = match e {
        AppError::Conflict { field, .. } if *field != "status" => (
            *field,
            "already_taken",
            "another contact already has this value: search for it instead of creating a second one",
        ),
        AppError::Suppressed { field } => (
            *field,
            "suppressed",
            "this belongs to a person who was erased: it is on the suppression list",
        ),
        _ => return None,
    };
    Some(candor_domain::FieldError::new(field, rule, message).into())
}

/// The correction form of a rectification request (R6): the contact's fields, each
/// with why it is kept, posted to the request.
pub(super) async fn rectification_form(
    app: &Candor,
    staff: Staff,
    request: Uuid,
    view: &Map<String, Value>,
) -> Response {
    let t = staff.t();
    let target = Target::Rectification(request);
    let mut fields = field_rows(&app.catalogue(), t, target.role(&staff), view, true);
    company_choices(app, &staff, &mut fields).await;
    render(&EditPage {
        heading: format!("{} · {}", t.rq_rectify, title(t, view)),
        action: target.action(),
        back: target.back(),
        fields,
        failed: false,
        other: Vec::new(),
        c: staff.chrome,
    })
}

/// The patch a rectification form asks for (only what differs from the contact now).
pub(super) fn rectification_patch(
    app: &Candor,
    form: &HashMap<String, String>,
    current: &Map<String, Value>,
) -> ContactPatch {
    patch_from_form(&app.catalogue(), form, current)
}

/// The form for a new contact: the fields the role may write.
pub async fn new_contact(State(app): State<Candor>, staff: Staff) -> Response {
    let t = staff.t();
    let empty = Map::new();
    let mut fields = field_rows(&app.catalogue(), t, staff.actor.role, &empty, true);
    if !fields.iter().any(|f| f.key == "last_name") {
        return super::message_page(StatusCode::FORBIDDEN, t, t.forbidden);
    }
    company_choices(&app, &staff, &mut fields).await;
    render(&EditPage {
        heading: t.new_contact.to_owned(),
        action: "/contacts".to_owned(),
        back: "/contacts".to_owned(),
        fields,
        failed: false,
        other: Vec::new(),
        c: staff.chrome,
    })
}

pub async fn create(
    State(app): State<Candor>,
    staff: Staff,
    Posted(form): Posted<HashMap<String, String>>,
) -> Response {
    let t = staff.t();
    let empty = Map::new();
    let patch = patch_from_form(&app.catalogue(), &form, &empty);
    match app
        .create_contact(&staff.actor, patch, "POST /contacts")
        .await
    {
        Ok(v) => {
            Redirect::to(&format!("/contacts/{}?saved=1", show_value(v.get("id")))).into_response()
        }
        Err(AppError::Invalid(errs)) => {
            refused_form(&app, staff, Target::Contact(None), &empty, &form, &errs).await
        }
        Err(e) => match refused_value(&e) {
            Some(errs) => {
                let target = Target::Contact(None);
                let mut res = refused_form(&app, staff, target, &empty, &form, &errs).await;
                *res.status_mut() = StatusCode::CONFLICT;
                res
            }
            None => app_error(t, e),
        },
    }
}

// ---------------------------------------------------------------- consent

#[derive(Deserialize, Default)]
pub struct ConsentForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    wording: String,
    #[serde(default)]
    document_ref: String,
    #[serde(default)]
    note: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn record_consent(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<ConsentForm>,
) -> Response {
    let mut errors = Vec::new();
    let action = match f.action.as_str() {
        "withdraw" | "refuse" => f.action.clone(),
        _ => "grant".to_owned(),
    };
    {
        let input = ConsentInput {
            purpose: f.purpose.clone(),
            channel: f.channel.clone(),
            action,
            source: f.source.clone(),
            evidence: Evidence {
                wording: opt(&f.wording),
                document_ref: opt(&f.document_ref),
                note: opt(&f.note),
                ..Evidence::default()
            },
        };
        match app
            .record_consent(&staff.actor, id, input, "POST /contacts/{id}/consents")
            .await
        {
            Ok(_) => {
                return Redirect::to(&format!("/contacts/{id}?consent=1#consents")).into_response()
            }
            Err(AppError::Invalid(errs)) => {
                errors.extend(super::field_errors(staff.t(), &errs));
            }
            Err(e) => return app_error(staff.t(), e),
        }
    }
    contact_page(
        &app,
        staff,
        id,
        None,
        errors,
        f,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

// ---------------------------------------------------------------- companies

pub struct CompanyRow {
    id: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "companies.html")]
struct CompaniesPage {
    c: Chrome,
    can_create: bool,
    notice: Option<&'static str>,
    q_name: String,
    headers: Vec<String>,
    rows: Vec<CompanyRow>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CompanyParams {
    name: Option<String>,
    after: Option<String>,
    deleted: Option<String>,
}

const COMPANY_COLUMNS: &[&str] = &["name", "siret", "city", "country"];

pub async fn companies(
    State(app): State<Candor>,
    staff: Staff,
    Query(p): Query<CompanyParams>,
) -> Response {
    let t = staff.t();
    let cat = app.catalogue();
    let role = staff.actor.role;
    let cols: Vec<&FieldDef> = COMPANY_COLUMNS
        .iter()
        .filter_map(|k| cat.field(Entity::Company, k))
        .filter(|f| f.can_read(role))
        .collect();
    let after = p.after.as_deref().and_then(|a| Uuid::parse_str(a).ok());
    let name = blank_none(&p.name);
    let page = match app
        .list_companies(&staff.actor, name.as_deref(), after, 25)
        .await
    {
        Ok(p) => p,
        Err(e) => return app_error(t, e),
    };
    let rows = page
        .items
        .iter()
        .map(|v| CompanyRow {
            id: show_value(v.get("id")),
            cells: cols.iter().map(|f| show_value(v.get(&f.key()))).collect(),
        })
        .collect();
    render(&CompaniesPage {
        can_create: super::companies::may_edit(&cat, role),
        notice: p.deleted.is_some().then_some(t.company_deleted),
        q_name: name.unwrap_or_default(),
        headers: cols.iter().map(|f| t.pick(&f.label).to_owned()).collect(),
        rows,
        next: page.next_cursor.map(|c| c.to_string()),
        c: staff.chrome,
    })
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    c: Chrome,
    id: Uuid,
    name: String,
    fields: Vec<FieldRow>,
    contacts: Vec<Row>,
    /// The role may change the company (edit, delete).
    can_edit: bool,
    notice: Option<&'static str>,
    refusal: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct CompanyPageQuery {
    saved: Option<String>,
    still: Option<String>,
}

pub async fn company(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(shown): Query<CompanyPageQuery>,
) -> Response {
    let t = staff.t();
    let role = staff.actor.role;
    let view = match app.get_company(&staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return app_error(t, e),
    };
    let cat = app.catalogue();
    let fields = cat
        .entity_fields(Entity::Company)
        .filter(|f| f.can_read(role))
        .map(|f| FieldRow {
            key: f.key(),
            label: t.pick(&f.label).to_owned(),
            value: show_value(view.get(&f.key())),
            why: staff_reason(t, f, role),
            error: None,
            input: InputKind::Text,
            options: Vec::new(),
            href: None,
        })
        .collect();
    let q = ListQuery {
        company_id: Some(id.to_string()),
        limit: Some(100),
        ..ListQuery::default()
    };
    let contacts = match app
        .list_contacts(&staff.actor, q, "GET /companies/{id}")
        .await
    {
        Ok(p) => p.items.iter().map(|v| Row::of(t, v)).collect(),
        // A role that may not filter by company sees the company without its people.
        Err(AppError::FieldForbidden { .. }) => Vec::new(),
        Err(e) => return app_error(t, e),
    };
    render(&CompanyPage {
        id,
        name: show_value(view.get("name")),
        fields,
        contacts,
        can_edit: super::companies::may_edit(&cat, role),
        notice: shown.saved.is_some().then_some(t.saved),
        refusal: shown.still.is_some().then_some(t.company_in_use),
        c: staff.chrome,
    })
}
