//! The record of processing activities (SPEC S5, GDPR Art. 30): generated from the
//! catalogue (purposes, fields, bases, access and its reasons, retention texts whose
//! periods come from the retention policies) and the organisation's settings, never
//! typed by hand. One activity per purpose, laid out like the CNIL's model register.

use crate::catalogue::{Catalogue, DataCategory, Entity, LawfulBasis, Text};
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// The register: who is responsible, and each processing activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Register {
    pub controller: String,
    pub dpo: String,
    pub activities: Vec<Activity>,
}

/// One processing activity: a purpose of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub purpose: String,
    pub name: Text,
    pub description: Text,
    /// Whether the purpose takes consent per person (the consent ledger).
    pub consent: bool,
    /// The lawful bases of its fields (Art. 6(1)), and consent when it takes it.
    pub bases: Vec<LawfulBasis>,
    /// Categories of people concerned.
    pub subjects: Vec<Text>,
    /// The data it uses, field by field, with its category.
    pub data: Vec<DataItem>,
    /// Who may read that data, and why.
    pub recipients: Vec<Recipient>,
    /// Recipients outside the organisation, as the organisation declares them.
    pub processors: Vec<Text>,
    /// How long, per field (distinct texts).
    pub retention: Vec<Text>,
    pub transfers: Text,
    pub security: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataItem {
    pub entity: Entity,
    pub field: String,
    pub label: Text,
    pub category: DataCategory,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recipient {
    pub role: Role,
    pub name: Text,
    /// The reasons the catalogue gives for this role's access (distinct).
    pub reasons: Vec<Text>,
}

/// What the organisation declares itself: transfers outside the EU and its security
/// measures (the catalogue cannot know them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    /// Transfers of personal data outside the European Union, and their safeguards.
    pub transfers: Text,
    pub security: Vec<Text>,
    /// Recipients outside the organisation (processors: hosting, email delivery…),
    /// Art. 30(1)(d); none declared by default.
    #[serde(default)]
    pub processors: Vec<Text>,
}

fn text(fr: &str, en: &str) -> Text {
    Text {
        fr: fr.to_owned(),
        en: en.to_owned(),
    }
}

impl Default for RegisterConfig {
    fn default() -> Self {
        Self {
            processors: Vec::new(),
            transfers: text(
                "Aucun transfert hors de l'Union européenne.",
                "No transfer outside the European Union.",
            ),
            security: vec![
                text(
                    "Contrôle d'accès par rôle et par champ : chaque rôle ne voit que les champs que le catalogue lui ouvre, avec la raison.",
                    "Access control per role and per field: each role sees only the fields the catalogue opens to it, with the reason.",
                ),
                text(
                    "Journal des accès : chaque lecture et modification de données personnelles est tracée, en chaînes de hachage scellées par des points de contrôle signés.",
                    "Access audit: every read and change of personal data is recorded, in hash chains sealed by signed checkpoints.",
                ),
                text(
                    "Mots de passe hachés (argon2id), jetons d'API stockés hachés, limitation des tentatives de connexion.",
                    "Passwords hashed (argon2id), API tokens stored hashed, login attempts limited.",
                ),
                text(
                    "Effacement vérifiable, liste d'opposition par empreintes, durées de conservation appliquées chaque jour.",
                    "Verifiable erasure, a suppression list of keyed hashes, retention periods applied every day.",
                ),
            ],
        }
    }
}

/// The people a kind of record is about.
fn subjects_of(e: Entity) -> Text {
    match e {
        Entity::Contact => text(
            "Clients et prospects : particuliers (B2C) et personnes au sein d'entreprises (B2B)",
            "Customers and prospects: private persons (B2C) and people at companies (B2B)",
        ),
        Entity::Company => text(
            "Entreprises clientes et prospectes, et leurs interlocuteurs",
            "Customer and prospect companies, and the people there",
        ),
        Entity::Contract => text("Clients sous contrat", "Customers under contract"),
        Entity::Order => text("Clients ayant commandé", "Customers who ordered"),
        Entity::Consent => text(
            "Personnes ayant donné, refusé ou retiré un consentement",
            "People who gave, refused or withdrew a consent",
        ),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Builds the register from the catalogue as it stands (custom fields included).
pub fn build(cat: &Catalogue, controller: &str, dpo: &str, cfg: &RegisterConfig) -> Register {
    let activities = cat
        .purposes()
        .iter()
        .map(|p| {
            let fields: Vec<_> = cat
                .fields()
                .iter()
                .filter(|f| f.purposes.iter().any(|q| q == &p.id))
                .collect();
            let mut bases = Vec::new();
            if p.consent {
                bases.push(LawfulBasis::Consent);
            }
            let mut subjects = Vec::new();
            let mut retention = Vec::new();
            let mut recipients: Vec<Recipient> = Vec::new();
            for f in &fields {
                push_unique(&mut bases, f.basis);
                push_unique(&mut subjects, subjects_of(f.entity));
                push_unique(&mut retention, f.retention.clone());
                for role in Role::ALL {
                    let Some(a) = f.access.get(&role).filter(|a| a.read()) else {
                        continue;
                    };
                    match recipients.iter_mut().find(|r| r.role == role) {
                        Some(r) => push_unique(&mut r.reasons, a.why.clone()),
                        None => recipients.push(Recipient {
                            role,
                            name: text(role.label(true), role.label(false)),
                            reasons: vec![a.why.clone()],
                        }),
                    }
                }
            }
            recipients.sort_by_key(|r| r.role);
            Activity {
                purpose: p.id.clone(),
                name: p.label.clone(),
                description: p.description.clone(),
                consent: p.consent,
                bases,
                subjects,
                data: fields
                    .iter()
                    .map(|f| DataItem {
                        entity: f.entity,
                        field: f.key(),
                        label: f.label.clone(),
                        category: f.category,
                    })
                    .collect(),
                recipients,
                processors: cfg.processors.clone(),
                retention,
                transfers: cfg.transfers.clone(),
                security: cfg.security.clone(),
            }
        })
        .collect();
    Register {
        controller: controller.to_owned(),
        dpo: dpo.to_owned(),
        activities,
    }
}

/// A lawful basis in words, with its article.
pub fn basis_words(b: LawfulBasis, fr: bool) -> &'static str {
    match (b, fr) {
        (LawfulBasis::Consent, true) => "Consentement (art. 6.1.a)",
        (LawfulBasis::Consent, false) => "Consent (Art. 6(1)(a))",
        (LawfulBasis::Contract, true) => "Exécution d'un contrat (art. 6.1.b)",
        (LawfulBasis::Contract, false) => "Performance of a contract (Art. 6(1)(b))",
        (LawfulBasis::LegalObligation, true) => "Obligation légale (art. 6.1.c)",
        (LawfulBasis::LegalObligation, false) => "Legal obligation (Art. 6(1)(c))",
        (LawfulBasis::VitalInterests, true) => "Intérêts vitaux (art. 6.1.d)",
        (LawfulBasis::VitalInterests, false) => "Vital interests (Art. 6(1)(d))",
        (LawfulBasis::PublicTask, true) => "Mission d'intérêt public (art. 6.1.e)",
        (LawfulBasis::PublicTask, false) => "Public task (Art. 6(1)(e))",
        (LawfulBasis::LegitimateInterests, true) => "Intérêt légitime (art. 6.1.f)",
        (LawfulBasis::LegitimateInterests, false) => "Legitimate interests (Art. 6(1)(f))",
    }
}

/// A data category in words.
pub fn category_words(c: DataCategory, fr: bool) -> &'static str {
    match (c, fr) {
        (DataCategory::Identifying, true) => "identification et coordonnées",
        (DataCategory::Identifying, false) => "identity and contact details",
        (DataCategory::Transactional, true) => "vie commerciale",
        (DataCategory::Transactional, false) => "commercial history",
        (DataCategory::Technical, true) => "données techniques",
        (DataCategory::Technical, false) => "technical data",
        (DataCategory::SpecialCategory, true) => "catégorie particulière (art. 9)",
        (DataCategory::SpecialCategory, false) => "special category (Art. 9)",
    }
}

/// The register as CSV rows, in one language: a header, then one row per activity,
/// several values in a cell joined by " ; ".
pub fn rows(r: &Register, fr: bool) -> Vec<Vec<String>> {
    let pick = |t: &Text| if fr { t.fr.clone() } else { t.en.clone() };
    let join = |v: Vec<String>| v.join(" ; ");
    let header: Vec<String> = if fr {
        vec![
            "Traitement",
            "Finalité",
            "Bases légales",
            "Personnes concernées",
            "Catégories de données",
            "Destinataires",
            "Sous-traitants et destinataires externes",
            "Transferts hors UE",
            "Durées de conservation",
            "Mesures de sécurité",
            "Responsable",
            "DPO",
        ]
    } else {
        vec![
            "Processing",
            "Purpose",
            "Lawful bases",
            "Data subjects",
            "Categories of data",
            "Recipients",
            "Processors and external recipients",
            "Transfers outside the EU",
            "Retention",
            "Security measures",
            "Controller",
            "DPO",
        ]
    }
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut out = vec![header];
    for a in &r.activities {
        out.push(vec![
            pick(&a.name),
            pick(&a.description),
            join(
                a.bases
                    .iter()
                    .map(|b| basis_words(*b, fr).to_owned())
                    .collect(),
            ),
            join(a.subjects.iter().map(pick).collect()),
            join(
                a.data
                    .iter()
                    .map(|d| format!("{} ({})", pick(&d.label), category_words(d.category, fr)))
                    .collect(),
            ),
            join(
                a.recipients
                    .iter()
                    .map(|x| {
                        let why: Vec<String> = x.reasons.iter().map(pick).collect();
                        format!("{} : {}", pick(&x.name), why.join(" "))
                    })
                    .collect(),
            ),
            join(a.processors.iter().map(pick).collect()),
            pick(&a.transfers),
            join(a.retention.iter().map(pick).collect()),
            join(a.security.iter().map(pick).collect()),
            r.controller.clone(),
            r.dpo.clone(),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_is_an_activity_and_nothing_else() {
        let cat = Catalogue::default_catalogue();
        let r = build(&cat, "Candor", "dpo@example.fr", &RegisterConfig::default());
        let ids: Vec<&str> = r.activities.iter().map(|a| a.purpose.as_str()).collect();
        let purposes: Vec<&str> = cat.purposes().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, purposes);
        let newsletter = r
            .activities
            .iter()
            .find(|a| a.purpose == "newsletter")
            .unwrap();
        assert_eq!(newsletter.bases[0], LawfulBasis::Consent);
        assert!(newsletter.data.iter().any(|d| d.field == "email"));
        // Marketing reads newsletter fields; each recipient says why.
        let marketing = newsletter
            .recipients
            .iter()
            .find(|x| x.role == Role::Marketing)
            .unwrap();
        assert!(!marketing.reasons.is_empty());
        // The retention texts carry the policies' periods.
        assert!(newsletter
            .retention
            .iter()
            .any(|t| t.fr == "3 ans après le dernier contact"));
        let rows = rows(&r, true);
        assert_eq!(rows.len(), 1 + purposes.len());
        assert!(rows.iter().all(|row| row.len() == rows[0].len()));
        assert_eq!(rows[0][0], "Traitement");
    }
}
