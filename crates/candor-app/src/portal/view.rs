//! What the portal's page shows (P1): every item held on the person, grouped by
//! category and explained from the catalogue, in the person's language; the consent
//! switches; the requests.

use super::*;

/// One item held on the person, explained from the catalogue.
#[derive(Debug, Clone)]
pub struct HeldItem {
    pub field: String,
    pub label: String,
    pub value: String,
    pub why: String,
    pub purposes: Vec<String>,
    pub basis: &'static str,
    pub retention: String,
    /// Each role that may read it, in words, and why.
    pub seen_by: Vec<(String, String)>,
}

/// The items of one data category.
#[derive(Debug, Clone)]
pub struct HeldGroup {
    pub category: DataCategory,
    pub items: Vec<HeldItem>,
}

/// Records of another kind held on the person (orders, visits…): how many, and what
/// each of their fields is for.
#[derive(Debug, Clone)]
pub struct HeldRecords {
    pub title: String,
    pub count: u64,
    pub items: Vec<HeldItem>,
}

/// One purpose × channel switch.
#[derive(Debug, Clone)]
pub struct Switch {
    pub channel: Channel,
    pub on: bool,
    /// Granted and waiting (a written consent, say): shown, not on.
    pub pending: bool,
}

/// A purpose the person may consent to, with a switch per channel.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    pub purpose: String,
    pub label: String,
    pub description: String,
    pub switches: Vec<Switch>,
}

/// What the portal's page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub subject: Uuid,
    pub name: String,
    pub locale: Locale,
    pub groups: Vec<HeldGroup>,
    pub records: Vec<HeldRecords>,
    pub consents: Vec<ConsentRow>,
    pub history: Vec<ConsentEvent>,
    pub requests: Vec<crate::requests::RequestView>,
    pub has_account: bool,
    /// The values the correction form starts from.
    pub correctable: Vec<(String, String, String)>,
}

/// A value as the person reads it: words for codes, a date for a timestamp; `None`
/// for nothing held.
fn readable(key: &str, value: &serde_json::Value, fr: bool) -> Option<String> {
    let s = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) if s.is_empty() => return None,
        serde_json::Value::String(s) => s.clone(),
        other => return Some(other.to_string()),
    };
    let word = |f: &str, e: &str| Some(if fr { f } else { e }.to_owned());
    match (key, s.as_str()) {
        ("kind", "b2b") => word("Professionnel (B2B)", "Business (B2B)"),
        ("kind", "b2c") => word("Particulier (B2C)", "Private person (B2C)"),
        ("locale", "fr") => word("Français", "French"),
        ("locale", "en") => word("Anglais", "English"),
        _ => {
            match time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339) {
                Ok(t) if fr => Some(format!(
                    "{:02}/{:02}/{}",
                    t.day(),
                    u8::from(t.month()),
                    t.year()
                )),
                Ok(t) => Some(t.date().to_string()),
                Err(_) => Some(s),
            }
        }
    }
}

impl Candor {
    /// The fields the person corrects themselves: name, label in `locale`, value held.
    pub async fn portal_fields(
        &self,
        subject: Uuid,
        locale: Locale,
    ) -> Result<Vec<(String, String, String)>, AppError> {
        let c = self.portal_contact(subject).await?;
        Ok(self.correctable(&c.field_values(), locale == Locale::Fr))
    }

    fn correctable(
        &self,
        values: &[(String, serde_json::Value)],
        fr: bool,
    ) -> Vec<(String, String, String)> {
        let cat = self.catalogue();
        CORRECTABLE
            .iter()
            .filter_map(|name| {
                let def = cat.field(Entity::Contact, name)?;
                let v = values
                    .iter()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let label = if fr { &def.label.fr } else { &def.label.en };
                Some(((*name).to_owned(), label.clone(), v))
            })
            .collect()
    }

    fn explained(
        &self,
        f: &candor_domain::catalogue::FieldDef,
        value: String,
        fr: bool,
    ) -> HeldItem {
        let cat = self.catalogue();
        let pick =
            |t: &candor_domain::catalogue::Text| if fr { t.fr.clone() } else { t.en.clone() };
        HeldItem {
            field: f.name.clone(),
            label: pick(&f.label),
            value,
            why: pick(&f.why),
            purposes: f
                .purposes
                .iter()
                .map(|p| {
                    cat.purposes()
                        .iter()
                        .find(|x| &x.id == p)
                        .map_or_else(|| p.clone(), |x| pick(&x.label))
                })
                .collect(),
            basis: crate::bundle::basis_label(f.basis, fr),
            retention: pick(&f.retention),
            seen_by: Role::ALL
                .iter()
                .filter_map(|r| {
                    f.access
                        .get(r)
                        .filter(|a| a.read())
                        .map(|a| (r.label(fr).to_owned(), pick(&a.why)))
                })
                .collect(),
        }
    }

    /// Everything the portal's page shows the person, in `locale`. Audited as the
    /// person's own read.
    pub async fn portal_overview(
        &self,
        subject: Uuid,
        locale: Locale,
        endpoint: &str,
    ) -> Result<Overview, AppError> {
        let c = self.portal_contact(subject).await?;
        let fr = locale == Locale::Fr;
        let cat = self.catalogue();
        let values = c.field_values();
        let mut groups: Vec<HeldGroup> = Vec::new();
        for (key, value) in &values {
            let Some(def) = cat.field(Entity::Contact, key) else {
                continue;
            };
            let Some(shown) = readable(key, value, fr) else {
                continue;
            };
            let item = self.explained(def, shown, fr);
            match groups.iter_mut().find(|g| g.category == def.category) {
                Some(g) => g.items.push(item),
                None => groups.push(HeldGroup {
                    category: def.category,
                    items: vec![item],
                }),
            }
        }
        groups.sort_by_key(|g| match g.category {
            DataCategory::Identifying => 0,
            DataCategory::Transactional => 1,
            DataCategory::SpecialCategory => 2,
            DataCategory::Technical => 3,
        });
        let mut records = Vec::new();
        for (table, entity) in [
            ("customer_order", Some(Entity::Order)),
            ("contract", Some(Entity::Contract)),
            ("activity", None),
            ("outbox", None),
        ] {
            let count = self.store.subjects().count(subject, table).await?;
            if count == 0 {
                continue;
            }
            records.push(HeldRecords {
                title: crate::bundle::table_title(table, fr)
                    .unwrap_or(table)
                    .to_owned(),
                count,
                items: entity
                    .map(|e| {
                        cat.entity_fields(e)
                            .filter(|f| f.personal)
                            .map(|f| self.explained(f, String::new(), fr))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        let states = self.store.consents().states(subject).await?;
        let consents = self.switches(&states, locale);
        let mut history = self.store.consents().events(subject).await?;
        history.reverse();
        for e in &mut history {
            // The person sees when, what and from where; the proof's details (the
            // staff member, the IP) are in their bundle.
            e.evidence = Evidence::default();
        }
        let mut requests: Vec<_> = self
            .store
            .requests()
            .list(&RequestFilter {
                subject_id: Some(subject),
                limit: 100,
                ..Default::default()
            })
            .await?
            .iter()
            .map(|r| crate::requests::view(r, self.now().date()))
            .collect();
        requests.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        let has_account = self.store.portal().account(subject).await?.is_some();
        let correctable = self.correctable(&values, fr);
        let read: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
        self.audit
            .record(vec![self.access(
                &person(subject),
                subject,
                AuditAction::Read,
                read,
                endpoint,
            )])
            .await?;
        let name = [
            c.data.first_name.as_ref().map(|n| n.as_str()),
            Some(c.data.last_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        Ok(Overview {
            subject,
            name,
            locale: c.data.locale,
            groups,
            records,
            consents,
            history,
            requests,
            has_account,
            correctable,
        })
    }

    /// A switch per consent purpose and channel: on when the consent is in force and
    /// no later "nothing more from us" covers it.
    fn switches(&self, states: &[consent::ConsentState], locale: Locale) -> Vec<ConsentRow> {
        let fr = locale == Locale::Fr;
        let cat = self.catalogue();
        let opted_out = |ch: Channel| {
            states
                .iter()
                .find(|s| s.purpose == ALL_PURPOSES && s.channel == ch)
                .filter(|s| matches!(s.status, Status::Withdrawn | Status::Refused))
                .map(|s| s.since)
        };
        cat.purposes()
            .iter()
            .filter(|p| p.consent)
            .map(|p| ConsentRow {
                purpose: p.id.clone(),
                label: if fr {
                    p.label.fr.clone()
                } else {
                    p.label.en.clone()
                },
                description: if fr {
                    p.description.fr.clone()
                } else {
                    p.description.en.clone()
                },
                switches: Channel::ALL
                    .iter()
                    .map(|&ch| {
                        let s = states.iter().find(|s| s.purpose == p.id && s.channel == ch);
                        let after_opt_out = |since| opted_out(ch).is_none_or(|o| since > o);
                        Switch {
                            channel: ch,
                            on: s.is_some_and(|s| {
                                s.status == Status::Effective && after_opt_out(s.since)
                            }),
                            pending: s.is_some_and(|s| {
                                s.status == Status::Pending && after_opt_out(s.since)
                            }),
                        }
                    })
                    .collect(),
            })
            .collect()
    }
}
