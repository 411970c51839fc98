//! The segment builder (M3): any number of conditions, each with the inputs its field
//! takes (a date range for dates, a list for kinds, languages, countries and
//! companies, a consent state, a running contract and when it started), over the
//! fields the role may read. Segments are listed, shown with their size and first
//! members, edited and deleted (a segment a campaign uses is kept, and its page says
//! which campaigns).
//!
//! The form is rebuilt by the server: adding or removing a condition, or changing a
//! condition's field, posts the form to `/segments/builder`, which answers the form
//! again (htmx swaps it in place; without JavaScript the same buttons reload the page).

use super::countries::{country_choices, country_name};
use super::i18n::Texts;
use super::{app_error, render_with, Choice, Chrome, Posted, Staff};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use candor_app::campaigns::SegmentView;
use candor_app::campaigns::{is_date_field, is_filterable};
use candor_app::{AppError, Candor};
use candor_domain::catalogue::Entity;
use serde_json::{json, Value};
use uuid::Uuid;

/// Conditions a form holds at most (a segment of more is built through the API).
const MAX_ROWS: usize = 20;

/// One condition as the form holds it.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// A contact field's key, `consent`, `contract`, or empty (not chosen yet).
    pub field: String,
    pub op: String,
    pub value: String,
    pub from: String,
    pub until: String,
    pub purpose: String,
    pub status: String,
    pub present: String,
    /// The field the row was drawn with: when `field` differs, the person changed it.
    pub was: String,
    pub error: Option<String>,
}

/// What inputs a row's field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    None,
    Text,
    Date,
    Pick,
    Consent,
    Contract,
}

/// A row as the template draws it.
pub struct RowView {
    pub n: usize,
    pub row: Row,
    pub shape: Shape,
    /// For `Pick`: the choices (kinds, languages, countries, companies).
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "segment_form.html")]
struct FormPage {
    c: Chrome,
    f: Builder,
}

/// The builder's form, alone (what htmx swaps).
#[derive(Template)]
#[template(path = "segment_builder.html")]
struct BuilderFragment {
    c: Chrome,
    f: Builder,
}

pub struct Builder {
    /// The segment edited, if any.
    pub id: Option<String>,
    pub name: String,
    pub rows: Vec<RowView>,
    pub fields: Vec<Choice>,
    pub purposes: Vec<Choice>,
    pub errors: Vec<String>,
    pub can_add: bool,
}

fn text_of(f: &[(String, String)], key: &str) -> String {
    f.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The rows a posted form holds, in order (`c0_field`, `c0_op`, …).
fn rows_of(f: &[(String, String)]) -> Vec<Row> {
    let n: usize = text_of(f, "rows").parse().unwrap_or(0).min(MAX_ROWS);
    (0..n)
        .map(|i| {
            let g = |k: &str| text_of(f, &format!("c{i}_{k}"));
            Row {
                field: g("field"),
                op: g("op"),
                value: g("value"),
                from: g("from"),
                until: g("until"),
                purpose: g("purpose"),
                status: g("status"),
                present: g("present"),
                was: g("was"),
                error: None,
            }
        })
        .collect()
}

fn shape_of(field: &str) -> Shape {
    match field {
        "" => Shape::None,
        "consent" => Shape::Consent,
        "contract" => Shape::Contract,
        "kind" | "locale" | "country" | "company_id" => Shape::Pick,
        f if is_date_field(f) => Shape::Date,
        _ => Shape::Text,
    }
}

fn next_day(d: &str) -> Option<String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d.trim(), &f)
        .ok()
        .and_then(time::Date::next_day)
        .and_then(|d| d.format(&f).ok())
}

fn day_before(t: &str) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.date(), t.time() == time::Time::MIDNIGHT))
        .or_else(|_| time::Date::parse(t, &f).map(|d| (d, true)));
    match d {
        // `to` is exclusive: the form shows the last day included.
        Ok((d, true)) => d.previous_day().and_then(|d| d.format(&f).ok()),
        Ok((d, false)) => d.format(&f).ok(),
        Err(_) => None,
    }
    .unwrap_or_default()
}

/// The conditions the rows stand for, in the API's form, with the row each came from
/// (rows without a field are left out).
fn conditions_of(rows: &[Row]) -> (Vec<Value>, Vec<usize>) {
    let mut out = Vec::new();
    let mut from_row = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let c = match shape_of(&r.field) {
            Shape::None => continue,
            Shape::Consent => json!({"consent": {
                "purpose": r.purpose, "channel": "email",
                "status": if r.status.is_empty() { "effective" } else { r.status.as_str() },
            }}),
            Shape::Contract => {
                let mut c = json!({"has_active_contract": r.present != "no"});
                if !r.from.trim().is_empty() {
                    c["started_from"] = json!(r.from.trim());
                }
                if !r.until.trim().is_empty() {
                    c["started_until"] = json!(r.until.trim());
                }
                c
            }
            Shape::Date => {
                let mut c = json!({"field": r.field, "op": "between"});
                if !r.from.trim().is_empty() {
                    c["from"] = json!(r.from.trim());
                }
                if !r.until.trim().is_empty() {
                    // The form's last day is included; the API's `to` is not.
                    c["to"] = json!(next_day(&r.until).unwrap_or_else(|| r.until.clone()));
                }
                c
            }
            Shape::Pick => json!({"field": r.field, "op": "equals", "value": r.value}),
            Shape::Text if r.op == "in" => json!({
                "field": r.field, "op": "in",
                "values": r.value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect::<Vec<_>>(),
            }),
            Shape::Text => json!({
                "field": r.field,
                "op": if r.op == "contains" { "contains" } else { "equals" },
                "value": r.value,
            }),
        };
        out.push(c);
        from_row.push(i);
    }
    (out, from_row)
}

/// The rows of saved conditions (the reverse of [`conditions_of`]).
pub fn rows_from(conditions: &[Value]) -> Vec<Row> {
    conditions
        .iter()
        .map(|c| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            if let Some(k) = c.get("consent") {
                return Row {
                    field: "consent".into(),
                    purpose: s(&k["purpose"]),
                    status: s(&k["status"]),
                    ..Row::default()
                };
            }
            if let Some(p) = c.get("has_active_contract") {
                return Row {
                    field: "contract".into(),
                    present: if p.as_bool() == Some(false) {
                        "no"
                    } else {
                        "yes"
                    }
                    .into(),
                    from: s(&c["started_from"]),
                    until: s(&c["started_until"]),
                    ..Row::default()
                };
            }
            let field = s(&c["field"]);
            let op = s(&c["op"]);
            match op.as_str() {
                "between" => Row {
                    from: s(&c["from"]).chars().take(10).collect(),
                    until: c["to"].as_str().map(day_before).unwrap_or_default(),
                    field,
                    op,
                    ..Row::default()
                },
                "in" => {
                    let values: Vec<String> = c["values"]
                        .as_array()
                        .map(|vs| vs.iter().map(s).collect())
                        .unwrap_or_default();
                    // One value in a list field is that value; several are typed.
                    if values.len() == 1 && shape_of(&field) == Shape::Pick {
                        Row {
                            value: values[0].clone(),
                            op: "equals".into(),
                            field,
                            ..Row::default()
                        }
                    } else {
                        Row {
                            value: values.join(", "),
                            field,
                            op,
                            ..Row::default()
                        }
                    }
                }
                _ => Row {
                    value: s(&c["value"]),
                    field,
                    op,
                    ..Row::default()
                },
            }
        })
        .collect()
}

/// The fields a segment can filter on that the role may read, with the consent and
/// contract conditions.
fn field_choices(app: &Candor, staff: &Staff) -> Vec<Choice> {
    let t = staff.t();
    let cat = app.catalogue();
    let role = staff.actor.role;
    let mut out: Vec<Choice> = cat
        .entity_fields(Entity::Contact)
        .filter(|f| f.can_read(role))
        .filter(|f| is_filterable(&f.key()))
        .map(|f| Choice {
            value: f.key(),
            label: t.pick(&f.label).to_owned(),
        })
        .collect();
    out.push(Choice {
        value: "consent".into(),
        label: t.seg_consent.into(),
    });
    if cat.can_read(role, Entity::Contract, "status") {
        out.push(Choice {
            value: "contract".into(),
            label: t.seg_contract.into(),
        });
    }
    out
}

async fn pick_choices(app: &Candor, staff: &Staff, field: &str) -> Vec<Choice> {
    let t = staff.t();
    let c = |v: &str, l: &str| Choice {
        value: v.into(),
        label: l.into(),
    };
    match field {
        "kind" => vec![c("b2b", t.kind_b2b), c("b2c", t.kind_b2c)],
        "locale" => vec![c("fr", t.lang_fr), c("en", t.lang_en)],
        "country" => country_choices(t),
        "company_id" => {
            let mut out: Vec<Choice> = match app.list_companies(&staff.actor, None, None, 500).await
            {
                Ok(p) => p
                    .items
                    .iter()
                    .map(|v| Choice {
                        value: super::contacts::show_value(v.get("id")),
                        label: super::contacts::show_value(v.get("name")),
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            out.sort_by_key(|c| candor_domain::lexicon::fold(&c.label));
            out
        }
        _ => Vec::new(),
    }
}

async fn builder(
    app: &Candor,
    staff: &Staff,
    id: Option<Uuid>,
    name: String,
    mut rows: Vec<Row>,
    errors: Vec<String>,
) -> Builder {
    if rows.is_empty() {
        rows.push(Row::default());
    }
    let mut views = Vec::with_capacity(rows.len());
    for (n, row) in rows.into_iter().enumerate() {
        let shape = shape_of(&row.field);
        let mut choices = if shape == Shape::Pick {
            pick_choices(app, staff, &row.field).await
        } else {
            Vec::new()
        };
        // A saved value the list does not hold (a country not listed) stays choosable.
        if shape == Shape::Pick
            && !row.value.is_empty()
            && !choices.iter().any(|c| c.value == row.value)
        {
            choices.insert(
                0,
                Choice {
                    value: row.value.clone(),
                    label: if row.field == "country" {
                        country_name(staff.t(), &row.value)
                    } else {
                        row.value.clone()
                    },
                },
            );
        }
        views.push(RowView {
            n,
            row,
            shape,
            choices,
        });
    }
    Builder {
        id: id.map(|i| i.to_string()),
        name,
        can_add: views.len() < MAX_ROWS,
        rows: views,
        fields: field_choices(app, staff),
        purposes: super::consent_purposes(&app.catalogue(), staff.t()),
        errors,
    }
}

fn form_page(staff: Staff, f: Builder, status: StatusCode) -> Response {
    render_with(status, &FormPage { c: staff.chrome, f })
}

pub async fn new_segment(State(app): State<Candor>, staff: Staff) -> Response {
    if !candor_app::campaigns::may_run_campaigns(staff.actor.role) {
        return super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden);
    }
    let f = builder(&app, &staff, None, String::new(), Vec::new(), Vec::new()).await;
    form_page(staff, f, StatusCode::OK)
}

pub async fn edit_segment(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Response {
    let (s, _) = match app.segment(&staff.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(staff.t(), e),
    };
    let f = builder(
        &app,
        &staff,
        Some(id),
        s.name,
        rows_from(&s.conditions),
        Vec::new(),
    )
    .await;
    form_page(staff, f, StatusCode::OK)
}

/// Adds a row, removes one, or redraws after a field changed; answers the form alone
/// to htmx, the whole page otherwise. Nothing is saved.
pub async fn rebuild(
    State(app): State<Candor>,
    staff: Staff,
    headers: HeaderMap,
    Posted(f): Posted<Vec<(String, String)>>,
) -> Response {
    if !candor_app::campaigns::may_run_campaigns(staff.actor.role) {
        return super::message_page(StatusCode::FORBIDDEN, staff.t(), staff.t().forbidden);
    }
    let mut rows = rows_of(&f);
    let action = text_of(&f, "do");
    if action == "add" && rows.len() < MAX_ROWS {
        rows.push(Row::default());
    } else if let Some(i) = action
        .strip_prefix("remove:")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if i < rows.len() {
            rows.remove(i);
        }
    }
    // A field changed: its inputs start empty (a city typed is not a language).
    for r in &mut rows {
        if r.field != r.was {
            *r = Row {
                field: std::mem::take(&mut r.field),
                ..Row::default()
            };
        }
    }
    let id = Uuid::parse_str(&text_of(&f, "id")).ok();
    let b = builder(&app, &staff, id, text_of(&f, "name"), rows, Vec::new()).await;
    if headers.contains_key("hx-request") {
        render_with(
            StatusCode::OK,
            &BuilderFragment {
                c: staff.chrome,
                f: b,
            },
        )
    } else {
        form_page(staff, b, StatusCode::OK)
    }
}

/// The errors of a refused segment, each on its row when it names one.
fn place_errors(
    t: &Texts,
    errs: &candor_domain::FieldErrors,
    rows: &mut [Row],
    from_row: &[usize],
) -> Vec<String> {
    let mut top = Vec::new();
    for e in &errs.0 {
        let at = e
            .field
            .strip_prefix("conditions[")
            .and_then(|r| r.split_once(']'))
            .and_then(|(i, _)| i.parse::<usize>().ok())
            .and_then(|i| from_row.get(i).copied());
        let msg = super::i18n::field_message(t, e.rule, &e.message);
        match at.and_then(|i| rows.get_mut(i).map(|r| (i, r))) {
            Some((i, r)) => {
                top.push(format!("{} {} : {msg}", t.condition, i + 1).replace(" : ", t.colon()));
                r.error = Some(msg);
            }
            None => top.extend(super::field_errors(t, &errs_one(e))),
        }
    }
    top
}

fn errs_one(e: &candor_domain::FieldError) -> candor_domain::FieldErrors {
    candor_domain::FieldErrors(vec![e.clone()])
}

async fn save(app: Candor, staff: Staff, id: Option<Uuid>, f: Vec<(String, String)>) -> Response {
    let mut rows = rows_of(&f);
    let name = text_of(&f, "name");
    let (conditions, from_row) = conditions_of(&rows);
    let saved = match id {
        Some(id) => {
            app.update_segment(&staff.actor, id, &name, conditions)
                .await
        }
        None => app
            .create_segment(&staff.actor, &name, conditions)
            .await
            .map(|s| SegmentView {
                id: s.id,
                name: s.name,
                conditions: Vec::new(),
                created_at: String::new(),
            }),
    };
    let t = staff.t();
    let errors = match saved {
        Ok(s) => return Redirect::to(&format!("/segments/{}?saved=1", s.id)).into_response(),
        Err(AppError::Invalid(errs)) => place_errors(t, &errs, &mut rows, &from_row),
        Err(AppError::FieldForbidden { field, .. }) => {
            vec![format!(
                "{}{}{}",
                super::i18n::field_label(t, &field),
                t.colon(),
                t.forbidden
            )]
        }
        Err(AppError::NotEditable { .. }) => vec![t.seg_sending.to_owned()],
        Err(e) => return app_error(t, e),
    };
    let b = builder(&app, &staff, id, name, rows, errors).await;
    form_page(staff, b, StatusCode::UNPROCESSABLE_ENTITY)
}

pub async fn create(
    State(app): State<Candor>,
    staff: Staff,
    Posted(f): Posted<Vec<(String, String)>>,
) -> Response {
    save(app, staff, None, f).await
}

pub async fn update(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(f): Posted<Vec<(String, String)>>,
) -> Response {
    save(app, staff, Some(id), f).await
}

/// A condition in words: "Langue est Français", "Créé le du 01/01/2025 au 31/12/2025".
pub fn describe(app: &Candor, t: &Texts, conditions: &[Value]) -> Vec<String> {
    let cat = app.catalogue();
    let label = |k: &str| {
        cat.field(Entity::Contact, k)
            .map_or_else(|| k.to_owned(), |f| t.pick(&f.label).to_owned())
    };
    let day = |d: &str| super::i18n::day(t, d);
    rows_from(conditions)
        .iter()
        .map(|r| match shape_of(&r.field) {
            Shape::Consent => {
                let purpose = cat
                    .consent_purpose(&r.purpose)
                    .map_or_else(|| r.purpose.clone(), |p| t.pick(&p.label).to_owned());
                format!(
                    "{} {} : {}",
                    t.seg_consent,
                    t.quoted(&purpose),
                    status_word(t, &r.status)
                )
                .replace(" : ", t.colon())
            }
            Shape::Contract => {
                let mut s = if r.present == "no" {
                    t.seg_no_contract.to_owned()
                } else {
                    t.seg_contract.to_owned()
                };
                if !r.from.is_empty() || !r.until.is_empty() {
                    s.push_str(&format!(
                        ", {} {}",
                        t.seg_started,
                        range_words(t, &day(&r.from), &day(&r.until))
                    ));
                }
                s
            }
            Shape::Date => format!(
                "{} {}",
                label(&r.field),
                range_words(t, &day(&r.from), &day(&r.until))
            ),
            Shape::Pick => {
                let shown = match r.field.as_str() {
                    "country" => country_name(t, &r.value),
                    "kind" if r.value == "b2b" => t.kind_b2b.to_owned(),
                    "kind" if r.value == "b2c" => t.kind_b2c.to_owned(),
                    "locale" if r.value == "fr" => t.lang_fr.to_owned(),
                    "locale" if r.value == "en" => t.lang_en.to_owned(),
                    _ => r.value.clone(),
                };
                format!("{} {} {}", label(&r.field), t.op_equals, t.quoted(&shown))
            }
            _ => format!(
                "{} {} {}",
                label(&r.field),
                match r.op.as_str() {
                    "contains" => t.op_contains,
                    "in" => t.op_in,
                    _ => t.op_equals,
                },
                t.quoted(&r.value)
            ),
        })
        .collect()
}

fn range_words(t: &Texts, from: &str, until: &str) -> String {
    match (from.is_empty(), until.is_empty()) {
        (false, false) => format!("{} {from} {} {until}", t.range_from, t.range_until),
        (false, true) => format!("{} {from}", t.range_since),
        (true, false) => format!("{} {until}", t.range_up_to),
        (true, true) => String::new(),
    }
}

pub fn status_word(t: &Texts, s: &str) -> &'static str {
    let status = candor_domain::consent::Status::parse("status", s)
        .unwrap_or(candor_domain::consent::Status::Effective);
    super::contacts::status_label(t, status)
}

#[derive(Template)]
#[template(path = "segment.html")]
struct SegmentPage {
    c: Chrome,
    id: String,
    name: String,
    conditions: Vec<String>,
    count: String,
    first: Vec<(String, String)>,
    campaigns: Vec<(String, String, &'static str)>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
pub struct ShowParams {
    saved: Option<String>,
}

async fn segment_page(
    app: &Candor,
    staff: Staff,
    id: Uuid,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let t = staff.t();
    let (s, used) = match app.segment(&staff.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let (count, first) = match app
        .preview_segment(&staff.actor, id, 10, "GET /segments/{id}")
        .await
    {
        Ok(x) => x,
        Err(e) => return app_error(t, e),
    };
    let first = first
        .iter()
        .map(|v| {
            let name = format!(
                "{} {}",
                super::contacts::show_value(v.get("first_name")),
                super::contacts::show_value(v.get("last_name"))
            )
            .trim()
            .to_owned();
            (
                super::contacts::show_value(v.get("id")),
                if name.is_empty() {
                    t.untitled.to_owned()
                } else {
                    name
                },
            )
        })
        .collect();
    render_with(
        status,
        &SegmentPage {
            id: id.to_string(),
            conditions: describe(app, t, &s.conditions),
            name: s.name,
            count: super::i18n::grouped(t, count),
            first,
            campaigns: used
                .iter()
                .map(|c| {
                    (
                        c.id.to_string(),
                        c.name.clone(),
                        super::campaigns::state_word(t, c.state()),
                    )
                })
                .collect(),
            notice,
            error,
            c: staff.chrome,
        },
    )
}

pub async fn show(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    axum::extract::Query(p): axum::extract::Query<ShowParams>,
) -> Response {
    let notice = p.saved.map(|_| staff.t().saved);
    segment_page(&app, staff, id, notice, None, StatusCode::OK).await
}

pub async fn delete(
    State(app): State<Candor>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Posted(_): Posted<Vec<(String, String)>>,
) -> Response {
    match app.delete_segment(&staff.actor, id).await {
        Ok(()) => Redirect::to("/campaigns?segment_deleted=1").into_response(),
        Err(AppError::StillReferenced { .. }) => {
            let msg = staff.t().seg_in_use;
            segment_page(&app, staff, id, None, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => app_error(staff.t(), e),
    }
}
