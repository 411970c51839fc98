//! Companies: legal persons, not personal data, so not audited; the catalogue's
//! role rules apply to their fields all the same.

use crate::contacts::ListPage;
use crate::{Actor, AppError, Candor};
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::company::{Company, CompanyPatch};
use candor_domain::contact::rfc3339;
use candor_domain::Role;
use candor_store::Page;
use serde_json::{Map, Value};
use uuid::Uuid;

pub type CompanyView = Map<String, Value>;

pub fn company_view(cat: &Catalogue, role: Role, c: &Company) -> CompanyView {
    let opt = |v: Option<&str>| v.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let all = [
        ("name", Value::String(c.name.as_str().to_owned())),
        ("siret", opt(c.siret.as_ref().map(|s| s.as_str()))),
        ("country", Value::String(c.country.as_str().to_owned())),
        (
            "address_line",
            opt(c.address_line.as_ref().map(|s| s.as_str())),
        ),
        (
            "postal_code",
            opt(c.postal_code.as_ref().map(|s| s.as_str())),
        ),
        ("city", opt(c.city.as_ref().map(|s| s.as_str()))),
        ("created_at", Value::String(rfc3339(c.created_at))),
        ("updated_at", Value::String(rfc3339(c.updated_at))),
    ];
    let mut out = Map::new();
    out.insert("id".into(), Value::String(c.id.to_string()));
    for (k, v) in all {
        if cat.can_read(role, Entity::Company, k) {
            out.insert(k.into(), v);
        }
    }
    out
}

impl Candor {
    fn check_company_writable(
        &self,
        cat: &Catalogue,
        actor: &Actor,
        fields: &[String],
    ) -> Result<(), AppError> {
        match cat.first_unwritable(actor.role, Entity::Company, fields) {
            Some(f) => Err(AppError::FieldForbidden {
                field: f.to_owned(),
                role: actor.role,
                action: "write",
            }),
            None => Ok(()),
        }
    }

    pub async fn create_company(
        &self,
        actor: &Actor,
        patch: CompanyPatch,
    ) -> Result<CompanyView, AppError> {
        let cat = self.catalogue();
        self.check_company_writable(&cat, actor, &patch.fields())?;
        let d = patch.apply(None).map_err(AppError::Invalid)?;
        let now = self.now();
        let company = Company {
            id: Uuid::now_v7(),
            name: d.name,
            siret: d.siret,
            country: d.country,
            address_line: d.address_line,
            postal_code: d.postal_code,
            city: d.city,
            created_at: now,
            updated_at: now,
        };
        self.store.companies().insert(&company).await?;
        Ok(company_view(&cat, actor.role, &company))
    }

    pub async fn get_company(&self, actor: &Actor, id: Uuid) -> Result<CompanyView, AppError> {
        let c = self
            .store
            .companies()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "company" })?;
        Ok(company_view(&self.catalogue(), actor.role, &c))
    }

    pub async fn update_company(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: CompanyPatch,
    ) -> Result<CompanyView, AppError> {
        let cat = self.catalogue();
        self.check_company_writable(&cat, actor, &patch.fields())?;
        let mut c = self
            .store
            .companies()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "company" })?;
        let d = patch.apply(Some(&c)).map_err(AppError::Invalid)?;
        c.name = d.name;
        c.siret = d.siret;
        c.country = d.country;
        c.address_line = d.address_line;
        c.postal_code = d.postal_code;
        c.city = d.city;
        c.updated_at = self.now();
        self.store.companies().update(&c).await?;
        Ok(company_view(&cat, actor.role, &c))
    }

    pub async fn delete_company(&self, actor: &Actor, id: Uuid) -> Result<(), AppError> {
        if !matches!(actor.role, Role::Admin | Role::Sales) {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "delete companies",
            });
        }
        match self.store.companies().delete(id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(AppError::NotFound { what: "company" }),
            Err(candor_store::StoreError::StillReferenced { by }) => {
                Err(AppError::StillReferenced {
                    what: "company",
                    by,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_companies(
        &self,
        actor: &Actor,
        name: Option<&str>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<ListPage<CompanyView>, AppError> {
        let name =
            candor_domain::personal::search_term("name", name, 100).map_err(AppError::invalid)?;
        let name = name.as_deref();
        if name.is_some()
            && !self
                .catalogue()
                .can_read(actor.role, Entity::Company, "name")
        {
            return Err(AppError::FieldForbidden {
                field: "name".into(),
                role: actor.role,
                action: "filter on",
            });
        }
        let found = self
            .store
            .companies()
            .list(name, Page { after, limit })
            .await?;
        let cat = self.catalogue();
        let next_cursor = (found.len() == limit as usize)
            .then(|| found.last().map(|c| c.id))
            .flatten();
        Ok(ListPage {
            items: found
                .iter()
                .map(|c| company_view(&cat, actor.role, c))
                .collect(),
            next_cursor,
        })
    }
}
