//! Country names for people, in French and English, by ISO 3166-1 code: the countries
//! a French organisation's contacts most often live in. A code not listed is shown as
//! it is.

use super::i18n::Texts;

/// (code, French, English), in the order of the French names.
pub const COUNTRIES: &[(&str, &str, &str)] = &[
    ("ZA", "Afrique du Sud", "South Africa"),
    ("DZ", "Algérie", "Algeria"),
    ("DE", "Allemagne", "Germany"),
    ("AD", "Andorre", "Andorra"),
    ("AT", "Autriche", "Austria"),
    ("BE", "Belgique", "Belgium"),
    ("BJ", "Bénin", "Benin"),
    ("BR", "Brésil", "Brazil"),
    ("BG", "Bulgarie", "Bulgaria"),
    ("BF", "Burkina Faso", "Burkina Faso"),
    ("CM", "Cameroun", "Cameroon"),
    ("CA", "Canada", "Canada"),
    ("CN", "Chine", "China"),
    ("CY", "Chypre", "Cyprus"),
    ("CI", "Côte d'Ivoire", "Côte d'Ivoire"),
    ("HR", "Croatie", "Croatia"),
    ("DK", "Danemark", "Denmark"),
    ("ES", "Espagne", "Spain"),
    ("EE", "Estonie", "Estonia"),
    ("US", "États-Unis", "United States"),
    ("FI", "Finlande", "Finland"),
    ("FR", "France", "France"),
    ("GA", "Gabon", "Gabon"),
    ("GR", "Grèce", "Greece"),
    ("GP", "Guadeloupe", "Guadeloupe"),
    ("GF", "Guyane", "French Guiana"),
    ("HU", "Hongrie", "Hungary"),
    ("IN", "Inde", "India"),
    ("IE", "Irlande", "Ireland"),
    ("IS", "Islande", "Iceland"),
    ("IT", "Italie", "Italy"),
    ("JP", "Japon", "Japan"),
    ("RE", "La Réunion", "Réunion"),
    ("LV", "Lettonie", "Latvia"),
    ("LB", "Liban", "Lebanon"),
    ("LI", "Liechtenstein", "Liechtenstein"),
    ("LT", "Lituanie", "Lithuania"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("MG", "Madagascar", "Madagascar"),
    ("ML", "Mali", "Mali"),
    ("MT", "Malte", "Malta"),
    ("MA", "Maroc", "Morocco"),
    ("MQ", "Martinique", "Martinique"),
    ("MU", "Maurice", "Mauritius"),
    ("YT", "Mayotte", "Mayotte"),
    ("MC", "Monaco", "Monaco"),
    ("NO", "Norvège", "Norway"),
    ("NC", "Nouvelle-Calédonie", "New Caledonia"),
    ("NL", "Pays-Bas", "Netherlands"),
    ("PL", "Pologne", "Poland"),
    ("PF", "Polynésie française", "French Polynesia"),
    ("PT", "Portugal", "Portugal"),
    ("CZ", "République tchèque", "Czechia"),
    ("RO", "Roumanie", "Romania"),
    ("GB", "Royaume-Uni", "United Kingdom"),
    ("BL", "Saint-Barthélemy", "Saint Barthélemy"),
    ("MF", "Saint-Martin", "Saint Martin"),
    (
        "PM",
        "Saint-Pierre-et-Miquelon",
        "Saint Pierre and Miquelon",
    ),
    ("SN", "Sénégal", "Senegal"),
    ("SK", "Slovaquie", "Slovakia"),
    ("SI", "Slovénie", "Slovenia"),
    ("SE", "Suède", "Sweden"),
    ("CH", "Suisse", "Switzerland"),
    ("TG", "Togo", "Togo"),
    ("TN", "Tunisie", "Tunisia"),
    ("TR", "Turquie", "Türkiye"),
    ("UA", "Ukraine", "Ukraine"),
    ("WF", "Wallis-et-Futuna", "Wallis and Futuna"),
];

/// A country's name in the reader's language, or its code when it is not listed.
pub fn country_name(t: &Texts, code: &str) -> String {
    COUNTRIES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, fr, en)| if t.lang == "en" { *en } else { *fr }.to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The listed countries as choices, sorted by their name in the reader's language.
pub fn country_choices(t: &Texts) -> Vec<super::Choice> {
    let mut out: Vec<super::Choice> = COUNTRIES
        .iter()
        .map(|(code, fr, en)| super::Choice {
            value: (*code).to_owned(),
            label: if t.lang == "en" { *en } else { *fr }.to_owned(),
        })
        .collect();
    out.sort_by_key(|c| candor_domain::lexicon::fold(&c.label));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_listed_once_and_named_in_both_languages() {
        let mut codes: Vec<&str> = COUNTRIES.iter().map(|c| c.0).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code is listed twice");
        assert_eq!(country_name(&super::super::i18n::FR, "us"), "États-Unis");
        assert_eq!(country_name(&super::super::i18n::EN, "FR"), "France");
        assert_eq!(country_name(&super::super::i18n::EN, "XK"), "XK");
        let en = country_choices(&super::super::i18n::EN);
        assert_eq!(en.first().map(|c| c.label.as_str()), Some("Algeria"));
        let fr = country_choices(&super::super::i18n::FR);
        // "États-Unis" sorts with the E's, not after Z.
        let pos = |l: &str| fr.iter().position(|c| c.label == l).unwrap();
        assert!(pos("Espagne") < pos("États-Unis") && pos("États-Unis") < pos("Finlande"));
    }
}
