//! Contracts (M2): with a contact or a company, under the catalogue's role rules; a
//! person's contract is personal data, so every read and write of it is audited (S4).

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::contact::rfc3339;
use candor_domain::contract::{Contract, ContractData, ContractPatch, Party};
use candor_domain::Role;
use serde_json::{Map, Value};
use uuid::Uuid;

pub type ContractView = Map<String, Value>;

const FIELDS: &[&str] = &["reference", "status", "starts_on", "ends_on"];

/// A contract as one role may see it, and the fields shown.
pub fn contract_view(
    cat: &Catalogue,
    role: Role,
    c: &Contract,
    today: time::Date,
) -> (ContractView, Vec<String>) {
    let mut out = Map::new();
    out.insert("id".into(), c.id.to_string().into());
    match c.party {
        Party::Contact(id) => out.insert("contact_id".into(), id.to_string().into()),
        Party::Company(id) => out.insert("company_id".into(), id.to_string().into()),
    };
    let mut shown = Vec::new();
    let values = [
        Value::String(c.reference.clone()),
        Value::String(c.status.as_str().into()),
        Value::String(c.starts_on.to_string()),
        c.ends_on
            .map_or(Value::Null, |d| Value::String(d.to_string())),
    ];
    for (k, v) in FIELDS.iter().zip(values) {
        if cat.can_read(role, Entity::Contract, k) {
            out.insert((*k).into(), v);
            shown.push(format!("contract.{k}"));
        }
    }
    if cat.can_read(role, Entity::Contract, "status") {
        out.insert("running".into(), c.is_active(today).into());
    }
    out.insert("created_at".into(), rfc3339(c.created_at).into());
    out.insert("updated_at".into(), rfc3339(c.updated_at).into());
    (out, shown)
}

impl Candor {
    fn contract_access(
        &self,
        actor: &Actor,
        c: &Contract,
        action: AuditAction,
        fields: Vec<String>,
        endpoint: &str,
    ) -> Option<AccessEvent> {
        match c.party {
            Party::Contact(subject) => Some(self.access(actor, subject, action, fields, endpoint)),
            Party::Company(_) => None,
        }
    }

    fn check_contract_readable(&self, cat: &Catalogue, actor: &Actor) -> Result<(), AppError> {
        if FIELDS
            .iter()
            .any(|k| cat.can_read(actor.role, Entity::Contract, k))
        {
            Ok(())
        } else {
            Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read contracts",
            })
        }
    }

    async fn check_party(&self, party: Party) -> Result<(), AppError> {
        let found = match party {
            Party::Contact(id) => self.store.contacts().get(id).await?.is_some(),
            Party::Company(id) => self.store.companies().get(id).await?.is_some(),
        };
        if found {
            Ok(())
        } else {
            Err(AppError::NotFound {
                what: match party {
                    Party::Contact(_) => "contact",
                    Party::Company(_) => "company",
                },
            })
        }
    }

    fn write(
        &self,
        cat: &Catalogue,
        actor: &Actor,
        patch: &ContractPatch,
        base: Option<&ContractData>,
    ) -> Result<ContractData, AppError> {
        if let Some(f) = cat.first_unwritable(actor.role, Entity::Contract, &patch.fields()) {
            return Err(AppError::FieldForbidden {
                field: f.to_owned(),
                role: actor.role,
                action: "write",
            });
        }
        patch.apply(base).map_err(AppError::Invalid)
    }

    pub async fn create_contract(
        &self,
        actor: &Actor,
        party: Party,
        patch: ContractPatch,
        endpoint: &str,
    ) -> Result<ContractView, AppError> {
        let cat = self.catalogue();
        let d = self.write(&cat, actor, &patch, None)?;
        self.check_party(party).await?;
        let now = self.now();
        let c = Contract {
            id: Uuid::now_v7(),
            party,
            reference: d.reference,
            status: d.status,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
            created_at: now,
            updated_at: now,
        };
        let (view, _) = contract_view(&cat, actor.role, &c, now.date());
        let fields = patch
            .fields()
            .iter()
            .map(|f| format!("contract.{f}"))
            .collect();
        let audit = self
            .contract_access(actor, &c, AuditAction::Create, fields, endpoint)
            .into_iter()
            .collect();
        self.store.contracts().save(&c, audit).await?;
        Ok(view)
    }

    pub async fn update_contract(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ContractPatch,
        endpoint: &str,
    ) -> Result<ContractView, AppError> {
        let cat = self.catalogue();
        let mut c = self
            .store
            .contracts()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "contract" })?;
        let base = ContractData {
            reference: c.reference.clone(),
            status: c.status,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        };
        let d = self.write(&cat, actor, &patch, Some(&base))?;
        c.reference = d.reference;
        c.status = d.status;
        c.starts_on = d.starts_on;
        c.ends_on = d.ends_on;
        c.updated_at = self.now();
        let fields = patch
            .fields()
            .iter()
            .map(|f| format!("contract.{f}"))
            .collect();
        let audit = self
            .contract_access(actor, &c, AuditAction::Update, fields, endpoint)
            .into_iter()
            .collect();
        self.store.contracts().save(&c, audit).await?;
        Ok(contract_view(&cat, actor.role, &c, self.now().date()).0)
    }

    pub async fn list_contracts(
        &self,
        actor: &Actor,
        party: Party,
        endpoint: &str,
    ) -> Result<Vec<ContractView>, AppError> {
        let cat = self.catalogue();
        self.check_contract_readable(&cat, actor)?;
        self.check_party(party).await?;
        let today = self.now().date();
        let mut events = Vec::new();
        let mut out = Vec::new();
        for c in self.store.contracts().list(party).await? {
            let (v, shown) = contract_view(&cat, actor.role, &c, today);
            events.extend(self.contract_access(actor, &c, AuditAction::List, shown, endpoint));
            out.push(v);
        }
        self.audit(events).await?;
        Ok(out)
    }
}
