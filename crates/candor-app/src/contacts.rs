//! Contacts through the role filter (S3) and the access audit (S4).

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::catalogue::{Catalogue, Entity};
use candor_domain::contact::{Contact, ContactKind, ContactPatch};
use candor_domain::personal::{search_term, Email};
use candor_domain::search::TermField;
use candor_domain::Role;
use candor_store::{ContactFilter, Page, Search};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A contact as one role may see it: only the fields it may read.
pub type ContactView = Map<String, Value>;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// The most matches of a search the list counts (beyond: "more than").
pub use candor_store::SEARCH_COUNT_CAP;

/// The list's query, as received (text), parsed here so errors name the parameter.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub company_id: Option<String>,
    pub email: Option<String>,
    /// Start of the first or last name.
    pub name: Option<String>,
    /// Part of the company's name.
    pub company: Option<String>,
    /// Search words (O1): names, email or part of it, phone in any format.
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// Builds the role's view of a contact and the personal fields it shows.
pub fn view(cat: &Catalogue, role: Role, c: &Contact) -> (ContactView, Vec<String>) {
    let mut out = Map::new();
    let mut custom = Map::new();
    let mut shown = Vec::new();
    out.insert("id".into(), Value::String(c.id.to_string()));
    for (key, value) in c.field_values() {
        let Some(def) = cat.field(Entity::Contact, &key) else {
            continue;
        };
        if !def.can_read(role) {
            continue;
        }
        if def.personal {
            shown.push(key.clone());
        }
        match key.strip_prefix("custom.") {
            Some(name) => custom.insert(name.to_owned(), value),
            None => out.insert(key, value),
        };
    }
    if !custom.is_empty() {
        out.insert("custom".into(), Value::Object(custom));
    }
    (out, shown)
}

impl Candor {
    pub(crate) fn access(
        &self,
        actor: &Actor,
        subject: Uuid,
        action: AuditAction,
        fields: Vec<String>,
        endpoint: &str,
    ) -> AccessEvent {
        AccessEvent {
            subject_id: subject,
            actor: actor.audit_name.clone(),
            action,
            fields,
            endpoint: endpoint.to_owned(),
            at: self.now(),
        }
    }

    /// A 403 naming the first catalogued field the role may not write. Fields the
    /// catalogue does not know (a custom name that does not exist) are left to
    /// `ContactPatch::apply`, which refuses them by name.
    pub(crate) fn check_writable(
        &self,
        cat: &Catalogue,
        actor: &Actor,
        fields: &[String],
    ) -> Result<(), AppError> {
        let forbidden = fields.iter().find(|k| {
            cat.field(Entity::Contact, k)
                .is_some_and(|f| !f.can_write(actor.role))
        });
        match forbidden {
            Some(f) => Err(AppError::FieldForbidden {
                field: f.clone(),
                role: actor.role,
                action: "write",
            }),
            None => Ok(()),
        }
    }

    async fn check_company(&self, company: Option<Uuid>) -> Result<(), AppError> {
        if let Some(id) = company {
            if self.store.companies().get(id).await?.is_none() {
                return Err(AppError::field(
                    "company_id",
                    "company_exists",
                    "no company has this id",
                ));
            }
        }
        Ok(())
    }

    fn email_hash(&self, c: &Contact) -> Option<String> {
        c.data
            .email
            .as_ref()
            .map(|e| self.keys.email_hash(e.as_str()))
    }

    /// The blind-index hash of an email as a person would type it (normalised first);
    /// `None` when it is not an email address.
    pub fn email_hash_of(&self, email: &str) -> Option<String> {
        Email::parse("email", email)
            .ok()
            .map(|e| self.keys.email_hash(e.as_str()))
    }

    pub async fn create_contact(
        &self,
        actor: &Actor,
        patch: ContactPatch,
        endpoint: &str,
    ) -> Result<ContactView, AppError> {
        self.create_contact_with(actor, patch, None, endpoint).await
    }

    /// Creates a contact; `suppression_override` is an admin's reason to take an
    /// erased person's email or phone off the suppression list (E2: the person came back
    /// of their own accord), recorded without the values.
    pub async fn create_contact_with(
        &self,
        actor: &Actor,
        patch: ContactPatch,
        suppression_override: Option<&str>,
        endpoint: &str,
    ) -> Result<ContactView, AppError> {
        let reason = match suppression_override.map(str::trim) {
            None => None,
            Some(r) if r.is_empty() || r.chars().count() > 500 => return Err(AppError::field(
                "suppression_override",
                "reason_required",
                "give the reason the person came back of their own accord (1 to 500 characters)",
            )),
            Some(_) if actor.role != Role::Admin => {
                return Err(AppError::RoleForbidden {
                    role: actor.role,
                    what: "override the suppression list (an admin does)",
                })
            }
            Some(r) => Some(r.to_owned()),
        };
        let cat = self.catalogue();
        let fields = patch.fields();
        self.check_writable(&cat, actor, &fields)?;
        let data = patch
            .apply(None, &cat, &self.lexicon)
            .map_err(AppError::Invalid)?;
        self.check_company(data.company_id).await?;
        // E2: an erased person's email or phone is not taken again unnoticed.
        if let Some(field) = self
            .suppressed(data.email.as_ref(), data.phone.as_ref())
            .await?
        {
            let Some(reason) = &reason else {
                return Err(AppError::Suppressed { field });
            };
            let mut hashes = Vec::new();
            if let Some(e) = &data.email {
                hashes.push(self.keys.suppression_hash("email", e.as_str()));
            }
            if let Some(p) = &data.phone {
                hashes.push(self.keys.suppression_hash("phone", p.as_str()));
            }
            self.store
                .erasures()
                .lift(&hashes, reason, &actor.audit_name, self.now())
                .await?;
        }
        let now = self.now();
        let contact = Contact {
            id: Uuid::now_v7(),
            data,
            created_at: now,
            updated_at: now,
            newsletter_subscribed_at: None,
            newsletter_open_rate: None,
        };
        let event = self.access(actor, contact.id, AuditAction::Create, fields, endpoint);
        let hash = self.email_hash(&contact);
        // C4: a contact entered by hand or by API has given no consent yet: ask.
        let request = self.consent_request(&contact, now);
        let request_ref = request.as_ref().map(|(t, m)| (t, m));
        self.store
            .contacts()
            .insert(&contact, hash.as_deref(), vec![event], request_ref)
            .await?;
        Ok(view(&cat, actor.role, &contact).0)
    }

    pub async fn get_contact(
        &self,
        actor: &Actor,
        id: Uuid,
        endpoint: &str,
    ) -> Result<ContactView, AppError> {
        let contact = self
            .store
            .contacts()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let (v, shown) = view(&self.catalogue(), actor.role, &contact);
        self.audit(vec![self.access(
            actor,
            id,
            AuditAction::Read,
            shown,
            endpoint,
        )])
        .await?;
        Ok(v)
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: ContactPatch,
        endpoint: &str,
    ) -> Result<ContactView, AppError> {
        let cat = self.catalogue();
        let fields = patch.fields();
        self.check_writable(&cat, actor, &fields)?;
        // A role that may write no field of a contact may not write one, even an empty
        // change (dpo, marketing): 403, not a 200 that rewrites `updated_at`.
        if !cat
            .entity_fields(Entity::Contact)
            .any(|f| f.can_write(actor.role))
        {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "change contacts (the catalogue gives it no field to write)",
            });
        }
        let mut contact = self
            .store
            .contacts()
            .get(id)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let data = patch
            .apply(Some(&contact.data), &cat, &self.lexicon)
            .map_err(AppError::Invalid)?;
        // A write that changes nothing writes nothing: no new `updated_at`, no entry.
        if fields.is_empty() || data == contact.data {
            return Ok(view(&cat, actor.role, &contact).0);
        }
        if data.company_id != contact.data.company_id {
            self.check_company(data.company_id).await?;
        }
        // E2: a record changed to an erased person's email or phone would bring them
        // back unnoticed (an admin takes a person back by creating them, with a reason).
        let new_email = (data.email != contact.data.email)
            .then_some(data.email.as_ref())
            .flatten();
        let new_phone = (data.phone != contact.data.phone)
            .then_some(data.phone.as_ref())
            .flatten();
        if let Some(field) = self.suppressed(new_email, new_phone).await? {
            return Err(AppError::Suppressed { field });
        }
        contact.data = data;
        contact.updated_at = self.now();
        let event = self.access(actor, id, AuditAction::Update, fields, endpoint);
        let hash = self.email_hash(&contact);
        self.store
            .contacts()
            .update(&contact, hash.as_deref(), vec![event])
            .await?;
        Ok(view(&cat, actor.role, &contact).0)
    }

    /// Deleting a contact is erasing the person (E1): there is no second, weaker way
    /// to remove someone. Only the dpo and admin do it.
    pub async fn delete_contact(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<crate::erasure::ErasureReport, AppError> {
        self.erase_contact(actor, id, candor_domain::erasure::Why::Staff)
            .await
    }

    pub async fn list_contacts(
        &self,
        actor: &Actor,
        q: ListQuery,
        endpoint: &str,
    ) -> Result<ListPage<ContactView>, AppError> {
        let cat = self.catalogue();
        let filter = self.parse_filter(&cat, actor.role, &q)?;
        let after = q
            .after
            .as_deref()
            .map(|s| {
                Uuid::parse_str(s).map_err(|_| {
                    AppError::field(
                        "after",
                        "cursor",
                        "must be the next_cursor of a previous page",
                    )
                })
            })
            .transpose()?;
        let limit = q.limit.unwrap_or(DEFAULT_PAGE);
        page_size(limit)?;
        let found = self
            .store
            .contacts()
            .list(&filter, Page { after, limit })
            .await?;
        let next_cursor = (found.len() == limit as usize)
            .then(|| found.last().map(|c| c.id))
            .flatten();
        let items = self.listed(&cat, actor, &found, endpoint).await?;
        Ok(ListPage { items, next_cursor })
    }

    /// The first contacts a search box finds (O1), by name, in the fields the role may
    /// read; each shown contact's read is audited like a list's.
    pub async fn search_contacts(
        &self,
        actor: &Actor,
        words: &str,
        limit: u32,
        endpoint: &str,
    ) -> Result<Vec<ContactView>, AppError> {
        let cat = self.catalogue();
        let Some(words) = search_term("q", Some(words), 200).map_err(AppError::invalid)? else {
            return Ok(Vec::new());
        };
        let search = searchable(&cat, actor.role, &words)?;
        page_size(limit)?;
        let found = self.store.contacts().search(&search, limit).await?;
        self.listed(&cat, actor, &found, endpoint).await
    }

    /// The role's views of listed contacts, each one's read audited (a `list` entry
    /// naming the fields shown).
    async fn listed(
        &self,
        cat: &Catalogue,
        actor: &Actor,
        found: &[Contact],
        endpoint: &str,
    ) -> Result<Vec<ContactView>, AppError> {
        let mut events = Vec::with_capacity(found.len());
        let mut items = Vec::with_capacity(found.len());
        for c in found {
            let (v, shown) = view(cat, actor.role, c);
            events.push(self.access(actor, c.id, AuditAction::List, shown, endpoint));
            items.push(v);
        }
        self.audit(events).await?;
        Ok(items)
    }

    /// How many contacts a list's filters match (the list's total), with the same
    /// rights on the filters as the list itself; a count reads no one's data.
    pub async fn count_contacts(&self, actor: &Actor, q: &ListQuery) -> Result<i64, AppError> {
        let filter = self.parse_filter(&self.catalogue(), actor.role, q)?;
        Ok(self.store.contacts().count_matching(&filter).await?)
    }

    /// Filters are fields too: a role may filter only on fields it may read.
    fn parse_filter(
        &self,
        cat: &Catalogue,
        role: Role,
        q: &ListQuery,
    ) -> Result<ContactFilter, AppError> {
        let readable = |f: &str| {
            if cat.can_read(role, Entity::Contact, f) {
                Ok(())
            } else {
                Err(AppError::FieldForbidden {
                    field: f.to_owned(),
                    role,
                    action: "filter on",
                })
            }
        };
        let mut filter = ContactFilter::default();
        if let Some(k) = &q.kind {
            readable("kind")?;
            filter.kind = Some(ContactKind::parse("kind", k).map_err(AppError::invalid)?);
        }
        if let Some(c) = &q.company_id {
            readable("company_id")?;
            filter.company_id = Some(Uuid::parse_str(c).map_err(|_| {
                AppError::field("company_id", "uuid", "must be a company id (UUID)")
            })?);
        }
        if let Some(e) = &q.email {
            readable("email")?;
            let email = Email::parse("email", e).map_err(AppError::invalid)?;
            filter.email_hash = Some(self.keys.email_hash(email.as_str()));
        }
        let name = search_term("name", q.name.as_deref(), 100).map_err(AppError::invalid)?;
        if let Some(n) = name {
            readable("last_name")?;
            filter.name_prefix = Some(n);
        }
        if let Some(words) = search_term("q", q.q.as_deref(), 200).map_err(AppError::invalid)? {
            filter.search = Some(searchable(cat, role, &words)?);
        }
        let company =
            search_term("company", q.company.as_deref(), 100).map_err(AppError::invalid)?;
        if let Some(n) = company {
            readable("company_id")?;
            filter.company_name = Some(n);
        }
        Ok(filter)
    }
}

/// A search's words and the fields the role may search: a field is searched only when
/// the role reads every catalogue field it is made of. Words that leave nothing to
/// search are refused, naming the rule.
fn searchable(cat: &Catalogue, role: Role, words: &str) -> Result<Search, AppError> {
    let words = candor_domain::search::query(words);
    if words.is_empty() {
        return Err(AppError::field(
            "q",
            "search_words",
            "must hold a letter or a digit",
        ));
    }
    let fields = TermField::ALL
        .into_iter()
        .filter(|f| {
            f.catalogue_fields()
                .iter()
                .all(|name| cat.can_read(role, Entity::Contact, name))
        })
        .collect();
    Ok(Search { words, fields })
}

/// A page's size: 1 to `MAX_PAGE`, never clamped.
fn page_size(limit: u32) -> Result<(), AppError> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(())
    } else {
        Err(AppError::field(
            "limit",
            "page_size",
            format!("must be between 1 and {MAX_PAGE}"),
        ))
    }
}
