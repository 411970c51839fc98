use super::*;

fn cat() -> Catalogue {
    Catalogue::default_catalogue()
}

fn custom(name: &str, category: &str, why_sales: &str) -> FieldDef {
    let toml_text = format!(
        r#"
entity = "contact"
name = "{name}"
label = {{ fr = "Secteur", en = "Industry" }}
category = "{category}"
purposes = ["commercial"]
basis = "legitimate_interests"
retention = {{ fr = "3 ans", en = "3 years" }}
why = {{ fr = "Adapter l'offre.", en = "Fit the offer." }}
custom = {{ type = "text", max_length = 80 }}
[access.sales]
can = "rw"
fr = "{why_sales}"
en = "{why_sales}"
"#
    );
    toml::from_str(&toml_text).unwrap()
}

#[test]
fn the_default_catalogue_follows_the_brief_for_each_role() {
    let c = cat();
    use Entity::Contact;
    // S3: sales reads the functional identifying fields.
    assert!(c.can_read(Role::Sales, Contact, "email"));
    assert!(c.can_read(Role::Sales, Contact, "phone"));
    // Marketing reads technical fields, never the phone or the postal address.
    for f in [
        "created_at",
        "newsletter_subscribed_at",
        "newsletter_open_rate",
    ] {
        assert!(c.can_read(Role::Marketing, Contact, f), "{f}");
    }
    for f in [
        "phone",
        "address_line",
        "postal_code",
        "city",
        "email",
        "notes",
    ] {
        assert!(!c.can_read(Role::Marketing, Contact, f), "{f}");
    }
    // The DPO reads every field.
    for f in c.fields() {
        assert!(f.can_read(Role::Dpo), "{}", f.name);
    }
}

#[test]
fn system_fields_are_written_by_no_role() {
    let c = cat();
    for role in Role::ALL {
        assert!(!c
            .field(Entity::Contact, "created_at")
            .unwrap()
            .can_write(role));
    }
}

#[test]
fn a_field_without_a_justification_is_refused_naming_it() {
    let mut c = cat();
    let err = c.add(custom("industry", "identifying", "")).unwrap_err();
    assert_eq!(err.field, "contact.custom.industry");
    assert_eq!(err.rule, "justification_required");
    assert!(c.custom_field(Entity::Contact, "industry").is_none());
}

#[test]
fn special_category_fields_are_refused_unless_medical() {
    let mut c = cat();
    let err = c
        .add(custom("blood_type", "special_category", "x"))
        .unwrap_err();
    assert_eq!(err.rule, "special_category_refused");
    let mut medical = Catalogue::load(DEFAULT_CATALOGUE, true).unwrap();
    medical
        .add(custom("blood_type", "special_category", "x"))
        .unwrap();
    // In medical mode a field declared for such data takes its values (issue 13): the
    // free-text scan guards the fields that are not declared for it, still.
    medical
        .add(custom("religion", "special_category", "x"))
        .unwrap();
    medical.add(custom("industry", "identifying", "x")).unwrap();
    let lex = Lexicon::default_french_english();
    let religion = medical.custom_field(Entity::Contact, "religion").unwrap();
    assert_eq!(
        religion
            .check_value("custom.religion", &Value::from("catholique"), &lex)
            .unwrap(),
        Value::from("catholique")
    );
    let industry = medical.custom_field(Entity::Contact, "industry").unwrap();
    assert_eq!(
        industry
            .check_value("custom.industry", &Value::from("catholique"), &lex)
            .unwrap_err()
            .rule,
        "special_category_data"
    );
}

#[test]
fn a_catalogue_file_missing_purpose_or_basis_does_not_load() {
    let no_purpose = DEFAULT_CATALOGUE.replacen(
        "purposes = [\"account\", \"compliance\"]",
        "purposes = []",
        1,
    );
    let err = Catalogue::load(&no_purpose, false).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.rule),
        ("contact.kind", "purpose_required")
    );

    let no_basis = DEFAULT_CATALOGUE.replacen("basis = \"legitimate_interests\"\n", "", 1);
    let err = Catalogue::load(&no_basis, false).unwrap_err();
    assert_eq!(err.rule, "catalogue_syntax");
    assert!(err.message.contains("basis"), "{}", err.message);
}

#[test]
fn a_catalogue_that_forgets_a_stored_field_does_not_load() {
    let start = DEFAULT_CATALOGUE.find("name = \"phone\"").unwrap();
    let block_start = DEFAULT_CATALOGUE[..start].rfind("[[field]]").unwrap();
    let block_end = block_start
        + 9
        + DEFAULT_CATALOGUE[block_start + 9..]
            .find("[[field]]")
            .unwrap();
    let without_phone = format!(
        "{}{}",
        &DEFAULT_CATALOGUE[..block_start],
        &DEFAULT_CATALOGUE[block_end..]
    );
    let err = Catalogue::load(&without_phone, false).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.rule),
        ("contact.phone", "field_undeclared")
    );
}

#[test]
fn custom_fields_join_the_catalogue_and_check_their_values() {
    let mut c = cat();
    c.add(custom("industry", "identifying", "Adapte l'offre"))
        .unwrap();
    let f = c.custom_field(Entity::Contact, "industry").unwrap();
    assert!(f.can_write(Role::Sales));
    assert!(!f.can_read(Role::Marketing));
    let lex = Lexicon::default_french_english();
    assert_eq!(
        f.check_value("custom.industry", &Value::from("Retail"), &lex)
            .unwrap(),
        Value::from("Retail")
    );
    assert_eq!(
        f.check_value("custom.industry", &Value::from(3), &lex)
            .unwrap_err()
            .rule,
        "value_type"
    );
    assert_eq!(
        f.check_value(
            "custom.industry",
            &Value::from("clinique pour diabétiques"),
            &lex
        )
        .unwrap_err()
        .rule,
        "special_category_data"
    );
    // NUL and other control characters are refused here (PostgreSQL cannot store NUL,
    // so the two backends would otherwise disagree); a line break is text.
    for bad in ["Ret\u{0}ail", "Retail\u{1b}[2J"] {
        assert_eq!(
            f.check_value("custom.industry", &Value::from(bad), &lex)
                .unwrap_err()
                .rule,
            "no_control_characters"
        );
    }
    assert!(f
        .check_value("custom.industry", &Value::from("Retail\nB2C"), &lex)
        .is_ok());
    let again = c.add(custom("industry", "identifying", "x")).unwrap_err();
    assert_eq!(again.rule, "duplicate_field");
    let shadow = c.add(custom("email", "identifying", "x")).unwrap_err();
    assert_eq!(shadow.rule, "duplicate_field");
}

#[test]
fn the_first_unwritable_field_is_the_one_named() {
    let c = cat();
    let keys = vec![
        "first_name".to_owned(),
        "phone".to_owned(),
        "email".to_owned(),
    ];
    assert_eq!(
        c.first_unwritable(Role::Support, Entity::Contact, &keys),
        Some("first_name")
    );
    assert_eq!(
        c.first_unwritable(Role::Sales, Entity::Contact, &keys),
        None
    );
    let unknown = vec!["shoe_size".to_owned()];
    assert_eq!(
        c.first_unwritable(Role::Admin, Entity::Contact, &unknown),
        Some("shoe_size")
    );
}

#[test]
fn retention_texts_take_their_policies_period_and_a_disagreement_is_named() {
    use crate::retention::RetentionConfig;
    let c = cat();
    let f = c.field(Entity::Contact, "first_name").unwrap();
    assert_eq!(f.retention.fr, "3 ans après le dernier contact");
    assert_eq!(f.retention.en, "3 years after the last contact");
    let rate = c.field(Entity::Contact, "newsletter_open_rate").unwrap();
    assert_eq!(rate.retention.en, "13 months");
    let order = c.field(Entity::Order, "total_cents").unwrap();
    assert!(
        order.retention.fr.starts_with("10 ans après la commande"),
        "{order:?}"
    );

    // One source: two years for prospects and customers change the texts.
    let mut cfg = RetentionConfig::default();
    for p in &mut cfg.policy {
        if p.target.ends_with("_prospects") || p.target == "former_customers" {
            p.months = Some(24);
        }
    }
    let c = Catalogue::load_with(DEFAULT_CATALOGUE, false, cfg.load().unwrap()).unwrap();
    let f = c.field(Entity::Contact, "email").unwrap();
    assert_eq!(f.retention.en, "2 years after the last contact");

    // Policies that disagree on a field are named, and so is the field.
    let mut cfg = RetentionConfig::default();
    cfg.policy[0].months = Some(24);
    let e = Catalogue::load_with(DEFAULT_CATALOGUE, false, cfg.load().unwrap()).unwrap_err();
    assert_eq!(e.rule, "retention_disagrees");
    assert!(e.field.ends_with(".retained_by"), "{e:?}");
    assert!(e.message.contains("inactive_prospects") && e.message.contains("former_customers"));

    // A policy no longer in force, a marker without a policy, a policy without a marker.
    let mut cfg = RetentionConfig::default();
    cfg.policy.retain(|p| p.name != "tracking_events");
    let e = Catalogue::load_with(DEFAULT_CATALOGUE, false, cfg.load().unwrap()).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.rule),
        ("contact.newsletter_open_rate.retained_by", "unknown_policy")
    );
    let mut c = cat();
    let mut f = custom("tier", "transactional", "Sells.");
    f.retention.fr = "{period}".into();
    assert_eq!(
        c.add(f.clone()).unwrap_err().rule,
        "retention_policy_required"
    );
    f.retention.fr = "3 ans".into();
    f.retained_by = vec!["tracking_events".into()];
    assert_eq!(
        c.add(f.clone()).unwrap_err().rule,
        "retention_period_marker"
    );
    f.retention = Text {
        fr: "{period} après la visite".into(),
        en: "{period} after the visit".into(),
    };
    c.add(f).unwrap();
    let added = c.custom_field(Entity::Contact, "tier").unwrap();
    assert_eq!(added.retention.fr, "13 mois après la visite");
}
