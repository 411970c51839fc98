//! The contact record's orders, contracts and history (O1), in the reader's words:
//! each part only when the reader's role may read it (the application decides and
//! audits; a part it refuses is left out of the page).

use super::i18n::Texts;
use candor_app::history::{Happening, HistoryItem};
use candor_app::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::contract::Party;
use serde_json::{Map, Value};
use uuid::Uuid;

pub struct OrderRow {
    pub at: String,
    pub amount: String,
    pub lines: String,
}

pub struct ContractRow {
    pub reference: String,
    pub status: String,
    pub from: String,
    pub to: String,
}

pub struct HistoryRow {
    pub at: String,
    pub what: String,
    pub href: Option<String>,
}

fn text(v: &Map<String, Value>, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// An amount in cents as the reader writes money: "1 234,50 EUR", "EUR 1,234.50".
pub fn money(t: &Texts, cents: i64, currency: &str) -> String {
    let units = super::i18n::grouped(t, cents / 100);
    let rest = (cents % 100).abs();
    if t.lang == "fr" {
        format!("{units},{rest:02} {currency}")
    } else {
        format!("{currency} {units}.{rest:02}")
    }
}

/// A stored RFC 3339 time as the back office shows times; the text itself otherwise.
fn shown_time(s: &str) -> String {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(super::contacts::when)
        .unwrap_or_else(|_| s.to_owned())
}

/// The person's orders, or None when the role may not read orders.
pub async fn orders(app: &Candor, actor: &Actor, t: &Texts, id: Uuid) -> Option<Vec<OrderRow>> {
    let found = app
        .list_orders(actor, id, "GET /contacts/{id}")
        .await
        .ok()?;
    Some(
        found
            .iter()
            .rev()
            .map(|o| OrderRow {
                at: shown_time(&text(o, "ordered_at")),
                amount: match o.get("total_cents").and_then(Value::as_i64) {
                    Some(c) => money(t, c, &text(o, "currency")),
                    None => String::new(),
                },
                lines: o
                    .get("lines")
                    .and_then(Value::as_array)
                    .map(|l| l.len().to_string())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

/// The person's contracts, or None when the role may not read contracts.
pub async fn contracts(
    app: &Candor,
    actor: &Actor,
    t: &Texts,
    id: Uuid,
) -> Option<Vec<ContractRow>> {
    let found = app
        .list_contracts(actor, Party::Contact(id), "GET /contacts/{id}")
        .await
        .ok()?;
    Some(
        found
            .iter()
            .map(|k| ContractRow {
                reference: text(k, "reference"),
                status: match (text(k, "status").as_str(), t.lang == "fr") {
                    ("active", true) => "en cours".into(),
                    ("active", false) => "running".into(),
                    ("ended", true) => "terminé".into(),
                    ("ended", false) => "ended".into(),
                    ("cancelled", true) => "résilié".into(),
                    ("cancelled", false) => "cancelled".into(),
                    (other, _) => other.to_owned(),
                },
                from: text(k, "starts_on"),
                to: text(k, "ends_on"),
            })
            .collect(),
    )
}

/// A field as the catalogue names it to the reader (`order.total_cents` is an order's
/// field); its name when the catalogue has no such field.
fn field_name(cat: &Catalogue, t: &Texts, field: &str) -> String {
    let (entity, name) = match field.split_once('.') {
        Some(("order", n)) => (Entity::Order, n),
        Some(("contract", n)) => (Entity::Contract, n),
        _ => (Entity::Contact, field),
    };
    cat.field(entity, name)
        .map_or_else(|| field.to_owned(), |f| t.pick(&f.label).to_owned())
}

/// What happened, in the reader's words.
fn happening(cat: &Catalogue, t: &Texts, h: &Happening) -> (String, Option<String>) {
    let fr = t.lang == "fr";
    match h {
        Happening::Trace { kind, detail } => {
            let what = match (kind.as_str(), fr) {
                ("web_visit", true) => format!("Visite du site : {detail}"),
                ("web_visit", false) => format!("Website visit: {detail}"),
                ("email_open", true) => "E-mail ouvert".to_owned(),
                ("email_open", false) => "Email opened".to_owned(),
                ("email_click", true) => format!("Lien suivi dans un e-mail : {detail}"),
                ("email_click", false) => format!("Link followed in an email: {detail}"),
                (other, _) => format!("{other}: {detail}"),
            };
            (what, None)
        }
        Happening::Email { subject, status } => {
            let status = match (status.as_str(), fr) {
                ("sent", true) => "envoyé",
                ("sent", false) => "sent",
                ("failed", true) => "échec de l'envoi",
                ("failed", false) => "failed",
                (_, true) => "en attente d'envoi",
                (_, false) => "waiting to be sent",
            };
            let what = if fr {
                format!("E-mail « {subject} » ({status})")
            } else {
                format!("Email “{subject}” ({status})")
            };
            (what, None)
        }
        Happening::Request { id, kind, status } => {
            let what = format!(
                "{} : {} ({})",
                if fr { "Demande" } else { "Request" },
                super::requests::kind_word(t, *kind),
                super::requests::status_word(t, *status)
            );
            (what, Some(format!("/requests/{id}")))
        }
        Happening::Change { action, by, fields } => {
            // What the entry is about: an order, a contract, or the record itself.
            let about =
                |prefix: &str| !fields.is_empty() && fields.iter().all(|f| f.starts_with(prefix));
            let create = *action == AuditAction::Create;
            let verb = match (about("order."), about("contract."), action, fr) {
                (true, _, _, true) => "Commande enregistrée",
                (true, _, _, false) => "Order recorded",
                (_, true, _, true) if create => "Contrat enregistré",
                (_, true, _, false) if create => "Contract recorded",
                (_, true, _, true) => "Contrat modifié",
                (_, true, _, false) => "Contract changed",
                (_, _, AuditAction::Create, true) => "Fiche créée",
                (_, _, AuditAction::Create, false) => "Record created",
                (_, _, AuditAction::Delete, true) => "Supprimé",
                (_, _, AuditAction::Delete, false) => "Deleted",
                (_, _, _, true) => "Modifié",
                (_, _, _, false) => "Changed",
            };
            let fields: Vec<String> = fields.iter().map(|f| field_name(cat, t, f)).collect();
            let what = if fr {
                format!("{verb} par {by} : {}", fields.join(", "))
            } else {
                format!("{verb} by {by}: {}", fields.join(", "))
            };
            (what, None)
        }
    }
}

/// The person's history, newest first; empty when there is nothing the role may see.
pub async fn history(
    app: &Candor,
    actor: &Actor,
    t: &Texts,
    id: Uuid,
) -> Result<Vec<HistoryRow>, AppError> {
    let items: Vec<HistoryItem> = app.contact_history(actor, id, "GET /contacts/{id}").await?;
    let cat = app.catalogue();
    Ok(items
        .iter()
        .map(|i| {
            let (what, href) = happening(&cat, t, &i.what);
            HistoryRow {
                at: super::contacts::when(i.at),
                what,
                href,
            }
        })
        .collect())
}
