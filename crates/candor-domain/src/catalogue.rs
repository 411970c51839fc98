//! The field catalogue (SPEC S1–S3): every field Candor stores, why, on what basis,
//! for how long, and which role may read or write it and why.
//!
//! The catalogue is data: a built-in TOML file that an organisation may replace. It is
//! checked when it loads; a field without purpose, basis or justification cannot exist.

use crate::error::FieldError;
use crate::lexicon::Lexicon;
use crate::retention::{Period, Retention};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_CATALOGUE: &str = include_str!("../data/catalogue.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Contact,
    Company,
    Contract,
    Order,
    /// The evidence a consent event keeps (its proof, C2).
    Consent,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Company => "company",
            Entity::Contract => "contract",
            Entity::Order => "order",
            Entity::Consent => "consent",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    Identifying,
    Transactional,
    Technical,
    SpecialCategory,
}

/// The lawful bases of GDPR Art. 6(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LawfulBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

/// A text in both of Candor's languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub fr: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    fn is_blank(&self) -> bool {
        self.fr.trim().is_empty() || self.en.trim().is_empty()
    }
}

/// What one role may do with one field, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// `r`, `w` or `rw`.
    pub can: String,
    #[serde(flatten)]
    pub why: Text,
}

impl Access {
    pub fn read(&self) -> bool {
        self.can.contains('r')
    }
    pub fn write(&self) -> bool {
        self.can.contains('w')
    }
}

/// The type of a custom field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ValueType {
    Text { max_length: usize },
    Number,
    Boolean,
    Date,
    Choice { options: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub entity: Entity,
    pub name: String,
    pub label: Text,
    pub category: DataCategory,
    pub purposes: Vec<String>,
    pub basis: LawfulBasis,
    /// How long, in plain words, and from when. A field kept by retention policies
    /// (`retained_by`) writes `{period}` where their period goes, in both languages.
    pub retention: Text,
    /// The retention policies (or `hold:orders`, `hold:contracts`) that end this
    /// field's data: its `{period}` is theirs, and they must agree (E4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retained_by: Vec<String>,
    /// Why Candor keeps this field, shown next to it ("why we keep this").
    pub why: Text,
    /// Whether the field is personal data, whose reads and writes are audited (S4).
    #[serde(default = "yes")]
    pub personal: bool,
    /// Set by Candor itself (dates, computed rates): no role writes it.
    #[serde(default)]
    pub system: bool,
    #[serde(default)]
    pub access: BTreeMap<Role, Access>,
    /// Present for the organisation's own fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<ValueType>,
}

fn yes() -> bool {
    true
}

impl FieldDef {
    pub fn can_read(&self, role: Role) -> bool {
        self.access.get(&role).is_some_and(Access::read)
    }

    pub fn can_write(&self, role: Role) -> bool {
        !self.system && self.access.get(&role).is_some_and(Access::write)
    }

    /// The name the API uses: custom fields live under `custom.`.
    pub fn key(&self) -> String {
        if self.custom.is_some() {
            format!("custom.{}", self.name)
        } else {
            self.name.clone()
        }
    }

    /// The rules every field must meet, built-in or custom (S1, S2).
    pub fn check(&self, purposes: &[Purpose], medical: bool) -> Result<(), FieldError> {
        let f = format!("{}.{}", self.entity.as_str(), self.key());
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 40
            && self.name.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            return Err(FieldError::new(f, "field_name", "a field name is 1 to 40 lower-case letters, digits or underscores, starting with a letter"));
        }
        if self.label.is_blank() {
            return Err(FieldError::new(
                f,
                "label_required",
                "needs a label in French and English",
            ));
        }
        if self.category == DataCategory::SpecialCategory && !medical {
            return Err(FieldError::new(f, "special_category_refused", "special-category data (GDPR Art. 9: health, religion, ethnic origin, …) is refused unless the organisation is configured as medical"));
        }
        if self.purposes.is_empty() {
            return Err(FieldError::new(
                f,
                "purpose_required",
                "needs at least one purpose",
            ));
        }
        if let Some(p) = self
            .purposes
            .iter()
            .find(|p| !purposes.iter().any(|q| &q.id == *p))
        {
            return Err(FieldError::new(
                f,
                "unknown_purpose",
                format!("names purpose `{p}`, which the catalogue does not declare"),
            ));
        }
        if self.why.is_blank() {
            return Err(FieldError::new(
                f,
                "justification_required",
                "needs a reason to keep it (`why`), in French and English",
            ));
        }
        if self.retention.is_blank() {
            return Err(FieldError::new(
                f,
                "retention_required",
                "needs a retention period, in French and English",
            ));
        }
        for (role, a) in &self.access {
            if a.can.is_empty() || !a.can.chars().all(|c| c == 'r' || c == 'w') {
                return Err(FieldError::new(
                    f,
                    "access_mode",
                    format!("access for {role} must be `r`, `w` or `rw`"),
                ));
            }
            if a.why.is_blank() {
                return Err(FieldError::new(
                    f,
                    "justification_required",
                    format!("gives {role} access without saying why, in French and English"),
                ));
            }
        }
        if let Some(ValueType::Choice { options }) = &self.custom {
            if options.is_empty() {
                return Err(FieldError::new(
                    f,
                    "choice_options",
                    "a choice field needs at least one option",
                ));
            }
        }
        Ok(())
    }

    /// Checks a value for a custom field and returns it in stored form.
    pub fn check_value(
        &self,
        field: &str,
        v: &Value,
        lexicon: &Lexicon,
    ) -> Result<Value, FieldError> {
        let wrong = |what: &str| FieldError::new(field, "value_type", format!("must be {what}"));
        match self.custom.as_ref() {
            None => Err(wrong("set through its own key")),
            Some(ValueType::Text { max_length }) => {
                let s = v.as_str().ok_or_else(|| wrong("text"))?.trim();
                if s.chars().count() > *max_length {
                    return Err(FieldError::new(
                        field,
                        "max_length",
                        format!("must be at most {max_length} characters"),
                    ));
                }
                if crate::personal::has_stray_control(s) {
                    return Err(FieldError::new(
                        field,
                        "no_control_characters",
                        "must not contain control characters",
                    ));
                }
                // The scan protects fields not declared for such data. A field declared
                // special-category (only possible in medical mode) exists to hold it, and
                // is audited and filtered by role like every field.
                if self.category != DataCategory::SpecialCategory {
                    lexicon.refuse_special_categories(field, s)?;
                }
                Ok(Value::String(s.to_owned()))
            }
            Some(ValueType::Number) => v.as_f64().map(Value::from).ok_or_else(|| wrong("a number")),
            Some(ValueType::Boolean) => v
                .as_bool()
                .map(Value::Bool)
                .ok_or_else(|| wrong("true or false")),
            Some(ValueType::Date) => {
                let s = v.as_str().ok_or_else(|| wrong("a date (YYYY-MM-DD)"))?;
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(s, &fmt).map_err(|_| wrong("a date (YYYY-MM-DD)"))?;
                Ok(Value::String(s.to_owned()))
            }
            Some(ValueType::Choice { options }) => {
                let s = v
                    .as_str()
                    .ok_or_else(|| wrong("one of the field's options"))?;
                if options.iter().any(|o| o == s) {
                    Ok(Value::String(s.to_owned()))
                } else {
                    Err(FieldError::new(
                        field,
                        "choice",
                        format!("must be one of: {}", options.join(", ")),
                    ))
                }
            }
        }
    }
}

/// A purpose of processing, which fields name and consents (later) refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    pub id: String,
    pub label: Text,
    pub description: Text,
    /// Whether the purpose rests on consent, recorded per channel in the ledger (C5).
    #[serde(default)]
    pub consent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    purpose: Vec<Purpose>,
    field: Vec<FieldDef>,
}

/// Fields Candor's own code stores: a catalogue that leaves one out does not load.
pub const BUILT_IN_FIELDS: &[(Entity, &str)] = &[
    (Entity::Contact, "kind"),
    (Entity::Contact, "company_id"),
    (Entity::Contact, "first_name"),
    (Entity::Contact, "last_name"),
    (Entity::Contact, "email"),
    (Entity::Contact, "phone"),
    (Entity::Contact, "locale"),
    (Entity::Contact, "address_line"),
    (Entity::Contact, "postal_code"),
    (Entity::Contact, "city"),
    (Entity::Contact, "country"),
    (Entity::Contact, "notes"),
    (Entity::Contact, "created_at"),
    (Entity::Contact, "updated_at"),
    (Entity::Contact, "newsletter_subscribed_at"),
    (Entity::Contact, "newsletter_open_rate"),
    (Entity::Company, "name"),
    (Entity::Company, "siret"),
    (Entity::Company, "country"),
    (Entity::Company, "address_line"),
    (Entity::Company, "postal_code"),
    (Entity::Company, "city"),
    (Entity::Company, "created_at"),
    (Entity::Company, "updated_at"),
    (Entity::Contract, "reference"),
    (Entity::Contract, "status"),
    (Entity::Contract, "starts_on"),
    (Entity::Contract, "ends_on"),
    (Entity::Order, "ordered_at"),
    (Entity::Order, "currency"),
    (Entity::Order, "total_cents"),
    (Entity::Order, "lines"),
    (Entity::Consent, "wording"),
    (Entity::Consent, "form_id"),
    (Entity::Consent, "document_ref"),
    (Entity::Consent, "ip"),
    (Entity::Consent, "user_agent"),
    (Entity::Consent, "recorded_by"),
    (Entity::Consent, "note"),
];

#[derive(Debug, Clone)]
pub struct Catalogue {
    purposes: Vec<Purpose>,
    fields: Vec<FieldDef>,
    index: HashMap<(Entity, String), usize>,
    medical: bool,
    retention: Retention,
}

impl Catalogue {
    /// Loads and checks a catalogue file under the default retention policies;
    /// `medical` allows special-category fields.
    pub fn load(toml_text: &str, medical: bool) -> Result<Self, FieldError> {
        Self::load_with(toml_text, medical, Retention::default())
    }

    /// Loads and checks a catalogue file whose retention texts take their periods from
    /// `retention`'s policies (E4).
    pub fn load_with(
        toml_text: &str,
        medical: bool,
        retention: Retention,
    ) -> Result<Self, FieldError> {
        let file: CatalogueFile = toml::from_str(toml_text)
            .map_err(|e| FieldError::new("catalogue", "catalogue_syntax", e.to_string()))?;
        let mut cat = Catalogue {
            purposes: file.purpose,
            fields: Vec::new(),
            index: HashMap::new(),
            medical,
            retention,
        };
        for f in file.field {
            if f.custom.is_some() {
                return Err(FieldError::new(
                    format!("{}.{}", f.entity.as_str(), f.name),
                    "custom_in_file",
                    "custom fields are added through the API, not the catalogue file",
                ));
            }
            cat.add(f)?;
        }
        for (entity, name) in BUILT_IN_FIELDS {
            if cat.field(*entity, name).is_none() {
                return Err(FieldError::new(
                    format!("{}.{name}", entity.as_str()),
                    "field_undeclared",
                    "is stored by Candor but the catalogue does not declare it",
                ));
            }
        }
        Ok(cat)
    }

    pub fn default_catalogue() -> Self {
        Self::load(DEFAULT_CATALOGUE, false).expect("the built-in catalogue is valid")
    }

    /// Adds a field after checking it; refuses a second field of the same key. Its
    /// retention text is given its policies' period.
    pub fn add(&mut self, mut f: FieldDef) -> Result<(), FieldError> {
        f.check(&self.purposes, self.medical)?;
        f.retention = self.retention_text(&f)?;
        let key = (f.entity, f.key());
        if self.index.contains_key(&key) {
            return Err(FieldError::new(
                format!("{}.{}", f.entity.as_str(), f.key()),
                "duplicate_field",
                "is already in the catalogue",
            ));
        }
        if f.custom.is_some() && self.field(f.entity, &f.name).is_some() {
            return Err(FieldError::new(
                format!("{}.{}", f.entity.as_str(), f.name),
                "duplicate_field",
                "has the name of a built-in field",
            ));
        }
        self.index.insert(key, self.fields.len());
        self.fields.push(f);
        Ok(())
    }

    /// A field's retention text with `{period}` replaced by the period of the
    /// policies that keep it; refuses a policy that does not exist, policies that
    /// disagree, and a text that does not say where the period goes.
    fn retention_text(&self, f: &FieldDef) -> Result<Text, FieldError> {
        let field = format!("{}.{}", f.entity.as_str(), f.key());
        let marked = f.retention.fr.contains("{period}") || f.retention.en.contains("{period}");
        let Some(first) = f.retained_by.first() else {
            if marked {
                return Err(FieldError::new(
                    format!("{field}.retention"),
                    "retention_policy_required",
                    "writes `{period}` but names no policy in `retained_by`",
                ));
            }
            return Ok(f.retention.clone());
        };
        let mut period = None;
        for name in &f.retained_by {
            let p = self.retention.period_of(name).ok_or_else(|| {
                FieldError::new(
                    format!("{field}.retained_by"),
                    "unknown_policy",
                    format!("names `{name}`, which is not a retention policy in force"),
                )
            })?;
            match period {
                Some((q, ref other)) if q != p => {
                    return Err(FieldError::new(
                        format!("{field}.retained_by"),
                        "retention_disagrees",
                        format!(
                            "policies `{other}` ({}) and `{name}` ({}) keep this field for different periods",
                            Period::words(q).1,
                            Period::words(p).1
                        ),
                    ))
                }
                Some(_) => {}
                None => period = Some((p, first.clone())),
            }
        }
        if !(f.retention.fr.contains("{period}") && f.retention.en.contains("{period}")) {
            return Err(FieldError::new(
                format!("{field}.retention"),
                "retention_period_marker",
                "names its policies, so its text must write `{period}` where their period goes, in French and English",
            ));
        }
        let (fr, en) = period.map(|p| p.0.words()).unwrap_or_default();
        Ok(Text {
            fr: f.retention.fr.replace("{period}", &fr),
            en: f.retention.en.replace("{period}", &en),
        })
    }

    /// The retention policies and holds the catalogue was checked against.
    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    pub fn is_medical(&self) -> bool {
        self.medical
    }

    pub fn purposes(&self) -> &[Purpose] {
        &self.purposes
    }

    /// A purpose that takes consent, by id.
    pub fn consent_purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id == id && p.consent)
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    pub fn entity_fields(&self, entity: Entity) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(move |f| f.entity == entity)
    }

    /// A field by its API key (`email`, `custom.industry`).
    pub fn field(&self, entity: Entity, key: &str) -> Option<&FieldDef> {
        self.index
            .get(&(entity, key.to_owned()))
            .map(|&i| &self.fields[i])
    }

    pub fn custom_field(&self, entity: Entity, name: &str) -> Option<&FieldDef> {
        self.field(entity, &format!("custom.{name}"))
    }

    pub fn can_read(&self, role: Role, entity: Entity, key: &str) -> bool {
        self.field(entity, key).is_some_and(|f| f.can_read(role))
    }

    /// The first of `keys` that `role` may not write, if any: the field a 403 names.
    pub fn first_unwritable<'a>(
        &self,
        role: Role,
        entity: Entity,
        keys: &'a [String],
    ) -> Option<&'a str> {
        keys.iter()
            .find(|k| !self.field(entity, k).is_some_and(|f| f.can_write(role)))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
