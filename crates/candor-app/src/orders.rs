//! Orders: what a contact bought, under the catalogue's role rules; personal data, so
//! every read and write is audited (S4).

use crate::{Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::contact::rfc3339;
use candor_domain::order::OrderInput;
use candor_domain::Role;
use candor_store::OrderRecord;
use serde_json::{Map, Value};
use uuid::Uuid;

pub type OrderView = Map<String, Value>;

const FIELDS: &[&str] = &["ordered_at", "currency", "total_cents", "lines"];

/// An order as one role may see it, and the fields shown.
pub fn order_view(cat: &Catalogue, role: Role, o: &OrderRecord) -> (OrderView, Vec<String>) {
    let mut out = Map::new();
    out.insert("id".into(), o.id.to_string().into());
    out.insert("contact_id".into(), o.contact_id.to_string().into());
    let values = [
        Value::String(rfc3339(o.ordered_at)),
        Value::String(o.currency.clone()),
        Value::from(o.total_cents),
        o.lines.clone(),
    ];
    let mut shown = Vec::new();
    for (k, v) in FIELDS.iter().zip(values) {
        if cat.can_read(role, Entity::Order, k) {
            out.insert((*k).into(), v);
            shown.push(format!("order.{k}"));
        }
    }
    (out, shown)
}

impl Candor {
    pub async fn create_order(
        &self,
        actor: &Actor,
        contact: Uuid,
        input: OrderInput,
        endpoint: &str,
    ) -> Result<OrderView, AppError> {
        let cat = self.catalogue();
        let fields: Vec<String> = FIELDS.iter().map(|f| (*f).to_owned()).collect();
        if let Some(f) = cat.first_unwritable(actor.role, Entity::Order, &fields) {
            return Err(AppError::FieldForbidden {
                field: f.to_owned(),
                role: actor.role,
                action: "write",
            });
        }
        let d = input.check(self.now()).map_err(AppError::Invalid)?;
        if self.store.contacts().get(contact).await?.is_none() {
            return Err(AppError::NotFound { what: "contact" });
        }
        let o = OrderRecord {
            id: Uuid::now_v7(),
            contact_id: contact,
            ordered_at: d.ordered_at,
            currency: d.currency,
            total_cents: d.total_cents,
            lines: serde_json::to_value(&d.lines).unwrap_or(Value::Null),
        };
        let written = FIELDS.iter().map(|f| format!("order.{f}")).collect();
        let event = self.access(actor, contact, AuditAction::Create, written, endpoint);
        self.store.orders().insert(&o, vec![event]).await?;
        Ok(order_view(&cat, actor.role, &o).0)
    }

    pub async fn list_orders(
        &self,
        actor: &Actor,
        contact: Uuid,
        endpoint: &str,
    ) -> Result<Vec<OrderView>, AppError> {
        let cat = self.catalogue();
        if !FIELDS
            .iter()
            .any(|k| cat.can_read(actor.role, Entity::Order, k))
        {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read orders",
            });
        }
        if self.store.contacts().get(contact).await?.is_none() {
            return Err(AppError::NotFound { what: "contact" });
        }
        let orders = self.store.orders().list(contact).await?;
        let mut shown_any = Vec::new();
        let items = orders
            .iter()
            .map(|o| {
                let (v, shown) = order_view(&cat, actor.role, o);
                shown_any = shown;
                v
            })
            .collect();
        if !orders.is_empty() {
            self.audit(vec![self.access(
                actor,
                contact,
                AuditAction::List,
                shown_any,
                endpoint,
            )])
            .await?;
        }
        Ok(items)
    }
}
