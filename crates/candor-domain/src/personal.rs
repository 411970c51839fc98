//! Newtypes for personal data, parsed at the edge (SPEC X1).
//!
//! Fields are private: the only way to get one is `parse`, so a value in hand is
//! valid. `Debug` prints the type name and never the value (SPEC X2).

use crate::error::FieldError;
use serde::{Serialize, Serializer};

macro_rules! personal_text {
    ($($name:ident),*) => {$(
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// For values read back from Candor's own store, parsed before they were written.
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    )*};
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);
#[derive(Clone, PartialEq, Eq)]
pub struct AddressLine(String);
#[derive(Clone, PartialEq, Eq)]
pub struct City(String);
#[derive(Clone, PartialEq, Eq)]
pub struct PostalCode(String);
#[derive(Clone, PartialEq, Eq)]
pub struct Notes(String);

personal_text!(
    Email,
    Phone,
    PersonName,
    AddressLine,
    City,
    PostalCode,
    Notes
);

/// A control character other than a line break or a tab (NUL among them).
pub fn has_stray_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

/// An RFC 5322 dot-atom of ASCII `atext`: what the local part of an address may be.
fn dot_atom(s: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext))
}

/// Whether a domain label mixes letters of the Latin, Greek and Cyrillic scripts, the
/// three whose look-alike letters make a deceiving address.
fn mixes_scripts(label: &str) -> bool {
    let script = |c: char| match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Some(0),
        0x370..=0x3FF | 0x1F00..=0x1FFF => Some(1),
        0x400..=0x52F => Some(2),
        _ => None,
    };
    let mut seen = label.chars().filter_map(script);
    seen.next()
        .is_some_and(|first| seen.any(|other| other != first))
}

/// Characters that change how text reads without showing: bidirectional controls
/// (which can make `Martin` display as a different name), zero-width spaces, word
/// joiners and byte-order marks. Zero-width (non-)joiners are kept only between two
/// letters of a script that uses them (not Latin), where they shape the word.
fn hidden_character(s: &str) -> Option<char> {
    let chars: Vec<char> = s.chars().collect();
    let latin_or_none =
        |c: Option<&char>| c.is_none_or(|c| !c.is_alphabetic() || (*c as u32) < 0x250);
    chars.iter().enumerate().find_map(|(i, &c)| {
        let hidden = match c as u32 {
            0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => true,
            0x200B | 0x2060..=0x2064 | 0xFEFF | 0x180E | 0x00AD => true,
            0x200C | 0x200D => {
                latin_or_none(i.checked_sub(1).and_then(|j| chars.get(j)))
                    || latin_or_none(chars.get(i + 1))
            }
            _ => false,
        };
        hidden.then_some(c)
    })
}

/// A search term: trimmed, `None` when empty, at most `max` characters and free of
/// control characters (the same rule on both backends: PostgreSQL refuses U+0000).
pub fn search_term(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    bounded(field, s, max, "must not contain control characters")?;
    Ok(Some(s.to_owned()))
}

/// At most `max` characters and no control character (`control` says which rule).
fn bounded(field: &str, s: &str, max: usize, control: &str) -> Result<(), FieldError> {
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            "max_length",
            format!("must be at most {max} characters"),
        ));
    }
    if has_control(s) {
        return Err(FieldError::new(field, "no_control_characters", control));
    }
    Ok(())
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control())
}

/// Trims, puts in Unicode NFC, and checks length, control and hidden characters: the
/// rules every short text (names, address lines, cities) shares.
fn short_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    use unicode_normalization::UnicodeNormalization;
    let s: String = raw.trim().nfc().collect();
    let s = s.as_str();
    if s.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    bounded(
        field,
        s,
        max,
        "must not contain control characters or line breaks",
    )?;
    if let Some(c) = hidden_character(s) {
        return Err(FieldError::new(
            field,
            "no_hidden_characters",
            format!(
                "must not contain invisible or direction-changing characters (U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(s.to_owned())
}

impl Email {
    /// The one address grammar of the API, the imports and the mailer (issue 13): the
    /// address is trimmed, put in Unicode NFC and lower-cased; the local part is an
    /// RFC 5322 dot-atom of ASCII letters, digits and ``!#$%&'*+/=?^_`{|}~-`` (no quoted
    /// strings, no comments: what every SMTP server takes); the domain has a dot, is
    /// valid under IDNA (UTS 46) and is kept in its Unicode form, so `café.fr`,
    /// `CAFÉ.fr`, its NFD spelling and `xn--caf-dma.fr` are one address (one blind
    /// index). A domain label mixing Latin, Greek or Cyrillic letters (`pаypal.com`
    /// with a Cyrillic `а`) is refused: such spellings exist to deceive.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        use unicode_normalization::UnicodeNormalization;
        let s: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let invalid = || {
            FieldError::new(
                field,
                "email_format",
                "must be an email address such as name@example.com",
            )
        };
        if s.len() > 254 {
            return Err(FieldError::new(
                field,
                "max_length",
                "must be at most 254 characters",
            ));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        if !dot_atom(local) || local.len() > 64 {
            return Err(invalid());
        }
        if domain.split('.').any(mixes_scripts) {
            return Err(FieldError::new(
                field,
                "mixed_script",
                "the domain must not mix Latin, Greek or Cyrillic letters in one label",
            ));
        }
        let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| invalid())?;
        let (unicode, checked) = idna::domain_to_unicode(&ascii);
        if checked.is_err() || !ascii.contains('.') || ascii.starts_with('.') {
            return Err(invalid());
        }
        let s = format!("{local}@{unicode}");
        if !email_address::EmailAddress::is_valid(&format!("{local}@{ascii}")) {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    /// The address with its domain in ASCII (IDNA A-labels), as SMTP carries it.
    pub fn ascii(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_owned());
        format!("{local}@{domain}")
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// Regions whose national numbers are read without a country: France, then its
/// overseas departments, which share France's national prefix 0 but have country
/// codes of their own (0590/0690 Guadeloupe, 0596/0696 Martinique, 0594/0694 Guyane,
/// 0262/0692/0693 Réunion, 0269/0639 Mayotte).
const FRENCH_REGIONS: [phonenumber::country::Id; 6] = {
    use phonenumber::country::Id::*;
    [FR, GP, MQ, GF, RE, YT]
};

/// The overseas department a French national number belongs to, by its first four
/// digits (ARCEP's plan; some of these prefixes parse as metropolitan numbers too).
fn overseas_region(raw: &str) -> Option<phonenumber::country::Id> {
    use phonenumber::country::Id::*;
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 10 || !raw.trim_start().starts_with('0') {
        return None;
    }
    Some(match &digits[..4] {
        "0590" | "0690" | "0691" => GP,
        "0596" | "0696" | "0697" => MQ,
        "0594" | "0694" => GF,
        "0262" | "0263" | "0692" | "0693" => RE,
        "0269" | "0639" => YT,
        _ => return None,
    })
}

impl Phone {
    /// Accepts international numbers and French national ones (06 12 34 56 78),
    /// and keeps the E.164 form (+33612345678).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::parse_in(field, raw, None)
    }

    /// Like [`Phone::parse`], reading a national number as one of `country` first when
    /// the record says which country it is in (then France and its overseas
    /// departments).
    pub fn parse_in(
        field: &str,
        raw: &str,
        country: Option<&CountryCode>,
    ) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                "phone_format",
                "must be a valid phone number, in international form (+33 6 12 34 56 78) or French national form (06 12 34 56 78)",
            )
        };
        let s = raw.trim();
        if s.is_empty() || s.len() > 32 || has_control(s) {
            return Err(invalid());
        }
        let first = country.and_then(|c| c.as_str().parse::<phonenumber::country::Id>().ok());
        for region in first
            .into_iter()
            .chain(overseas_region(s))
            .chain(FRENCH_REGIONS)
        {
            if let Ok(n) = phonenumber::parse(Some(region), s) {
                if phonenumber::is_valid(&n) {
                    return Ok(Self(n.format().mode(phonenumber::Mode::E164).to_string()));
                }
            }
        }
        Err(invalid())
    }
}

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = short_text(field, raw, 100)?;
        if !s.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(
                field,
                "name_letters",
                "must contain at least one letter",
            ));
        }
        Ok(Self(s))
    }
}

impl AddressLine {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        short_text(field, raw, 200).map(Self)
    }
}

impl City {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        short_text(field, raw, 100).map(Self)
    }
}

impl PostalCode {
    /// French postal codes are five digits; elsewhere 2 to 10 letters, digits, spaces or dashes.
    pub fn parse(
        field: &str,
        raw: &str,
        country: Option<&CountryCode>,
    ) -> Result<Self, FieldError> {
        let s = raw.trim().to_uppercase();
        let french = country.is_none_or(|c| c.as_str() == "FR");
        if french {
            if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Self(s));
            }
            return Err(FieldError::new(
                field,
                "postal_code_format",
                "a French postal code has five digits",
            ));
        }
        let ok = (2..=10).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(FieldError::new(
                field,
                "postal_code_format",
                "must be 2 to 10 letters, digits, spaces or dashes",
            ))
        }
    }
}

impl Notes {
    /// Free text up to 5,000 characters; line breaks allowed. The special-category
    /// scan (SPEC S2) is separate: see [`crate::lexicon`].
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.chars().count() > 5000 {
            return Err(FieldError::new(
                field,
                "max_length",
                "must be at most 5000 characters",
            ));
        }
        if has_stray_control(s) {
            return Err(FieldError::new(
                field,
                "no_control_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// ISO 3166-1 alpha-2 country code, upper case. Not personal data on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_uppercase();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s))
        } else {
            Err(FieldError::new(
                field,
                "country_code",
                "must be a two-letter ISO 3166-1 country code such as FR",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from Candor's own store, parsed before they were written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// The language Candor writes to a contact in (SPEC P3): French by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub const ALL: &'static [Locale] = &[Locale::Fr, Locale::En];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_lowercase().as_str() {
            "fr" | "fr-fr" => Ok(Locale::Fr),
            "en" | "en-gb" | "en-us" => Ok(Locale::En),
            _ => Err(FieldError::new(field, "locale", "must be `fr` or `en`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let e = Email::parse("email", "  Alice.Martin@Example.FR ").unwrap();
        assert_eq!(e.as_str(), "alice.martin@example.fr");
        assert_eq!(e.domain(), "example.fr");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_rule() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@localhost",
            "a b@example.com",
        ] {
            let err = Email::parse("email", bad).unwrap_err();
            assert_eq!(err.field, "email");
            assert!(
                ["email_format", "max_length"].contains(&err.rule),
                "{bad}: {err}"
            );
        }
    }

    /// One address, one spelling (issue 13): NFC and NFD, upper and lower case, the
    /// Unicode and the IDNA form of a domain are the same address.
    #[test]
    fn one_address_has_one_spelling() {
        let nfc = "h\u{e9}l\u{e8}ne@caf\u{e9}.fr";
        for raw in [
            nfc,
            "he\u{301}le\u{300}ne@cafe\u{301}.fr",
            "HÉLÈNE@CAFÉ.FR",
            "hélène@xn--caf-dma.fr",
        ] {
            let r = Email::parse("email", raw);
            // A non-ASCII local part is refused (SMTP servers need SMTPUTF8 for it).
            assert_eq!(r.unwrap_err().rule, "email_format", "{raw}");
        }
        for raw in [
            "helene@caf\u{e9}.fr",
            "helene@cafe\u{301}.fr",
            "HELENE@CAFÉ.FR",
            "helene@xn--caf-dma.fr",
        ] {
            let e = Email::parse("email", raw).unwrap();
            assert_eq!(e.as_str(), "helene@caf\u{e9}.fr", "{raw}");
            assert_eq!(e.ascii(), "helene@xn--caf-dma.fr");
        }
        let _ = nfc;
    }

    /// Addresses the mailer could never send to, and look-alike domains, are refused.
    #[test]
    fn quoted_local_parts_and_mixed_scripts_are_refused() {
        for (raw, rule) in [
            ("\"a,b>c\"@example.org", "email_format"),
            ("\"jean dupont\"@example.org", "email_format"),
            ("jean(comment)@example.org", "email_format"),
            ("jean..dupont@example.org", "email_format"),
            (".jean@example.org", "email_format"),
            ("jean@[192.0.2.1]", "email_format"),
            ("jean@-example.org", "email_format"),
            ("jean@p\u{430}ypal.com", "mixed_script"),
            ("jean@\u{3b1}pple.com", "mixed_script"),
        ] {
            let r = Email::parse("email", raw);
            assert_eq!(
                r.as_ref().map_err(|e| e.rule),
                Err(rule),
                "{raw}: {:?}",
                r.as_ref().map(|e| e.as_str().to_owned())
            );
        }
        // IDNA drops a zero-width space in a domain: the address is the visible one.
        assert_eq!(
            Email::parse("email", "jean@exa\u{200b}mple.org")
                .unwrap()
                .as_str(),
            "jean@example.org"
        );
        // Whole-script labels of one script are addresses like any other.
        assert!(Email::parse(
            "email",
            "ivan@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}"
        )
        .is_ok());
        assert!(Email::parse("email", "o'brien+news@example.ie").is_ok());
    }

    /// Names are NFC; bidi overrides, zero-width spaces and BOMs are refused; the
    /// joiners that shape Persian or Indic words are kept there.
    #[test]
    fn names_refuse_hidden_characters_and_are_nfc() {
        let n = PersonName::parse("last_name", "Lefe\u{300}vre").unwrap();
        assert_eq!(n.as_str(), "Lef\u{e8}vre");
        for raw in [
            "Martin\u{202e}nitraM",
            "Mar\u{200b}tin",
            "\u{feff}Martin",
            "Mar\u{2066}tin",
            "Mar\u{200d}tin",
        ] {
            assert_eq!(
                PersonName::parse("last_name", raw).unwrap_err().rule,
                "no_hidden_characters",
                "{raw:?}"
            );
        }
        // Persian "mi-khaham" is written with a zero-width non-joiner.
        assert!(PersonName::parse(
            "last_name",
            "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}"
        )
        .is_ok());
    }

    #[test]
    fn french_national_numbers_become_e164() {
        for raw in [
            "06 12 34 56 78",
            "0612345678",
            "+33 6 12 34 56 78",
            "06.12.34.56.78",
        ] {
            assert_eq!(Phone::parse("phone", raw).unwrap().as_str(), "+33612345678");
        }
        assert_eq!(
            Phone::parse("phone", "+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    /// The overseas departments' national numbers, and other countries' when the
    /// record's country says which (issue: 0590… was refused as a French number).
    #[test]
    fn overseas_and_foreign_national_numbers_become_e164() {
        // The numbering plan's own example numbers, written the national way.
        for (raw, e164) in [
            ("0590 20 12 34", "+590590201234"),
            ("0690 00 12 34", "+590690001234"),
            ("0596 30 12 34", "+596596301234"),
            ("0696 20 12 34", "+596696201234"),
            ("0594 10 12 34", "+594594101234"),
            ("0694 20 12 34", "+594694201234"),
            ("0262 16 12 34", "+262262161234"),
            ("0692 12 34 56", "+262692123456"),
            ("0269 60 12 34", "+262269601234"),
            ("0639 01 23 45", "+262639012345"),
        ] {
            assert_eq!(Phone::parse("phone", raw).unwrap().as_str(), e164, "{raw}");
        }
        let be = CountryCode::parse("country", "BE").unwrap();
        assert_eq!(
            Phone::parse_in("phone", "0470 12 34 56", Some(&be))
                .unwrap()
                .as_str(),
            "+32470123456"
        );
        // Without the country, the same digits are a French number: the country matters.
        assert_eq!(
            Phone::parse("phone", "0470 12 34 56").unwrap().as_str(),
            "+33470123456"
        );
    }

    #[test]
    fn impossible_phone_numbers_are_refused() {
        for bad in ["12", "06 12", "not a phone", "+33 6 12 34 56 78 90 12"] {
            assert_eq!(Phone::parse("phone", bad).unwrap_err().rule, "phone_format");
        }
    }

    #[test]
    fn debug_never_shows_personal_data() {
        let e = Email::parse("email", "secret.person@example.com").unwrap();
        let p = Phone::parse("phone", "0612345678").unwrap();
        let n = PersonName::parse("last_name", "Dupont").unwrap();
        let shown = format!("{e:?} {p:?} {n:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("612345678"), "{shown}");
        assert!(!shown.contains("Dupont"), "{shown}");
    }

    #[test]
    fn names_need_a_letter_and_no_line_breaks() {
        assert_eq!(
            PersonName::parse("first_name", "  ").unwrap_err().rule,
            "required"
        );
        assert_eq!(
            PersonName::parse("first_name", "123").unwrap_err().rule,
            "name_letters"
        );
        assert_eq!(
            PersonName::parse("first_name", "Jean\nPaul")
                .unwrap_err()
                .rule,
            "no_control_characters"
        );
        assert_eq!(
            PersonName::parse("first_name", " Zoé ").unwrap().as_str(),
            "Zoé"
        );
    }

    #[test]
    fn postal_codes_follow_the_country() {
        let fr = CountryCode::parse("country", "fr").unwrap();
        let gb = CountryCode::parse("country", "GB").unwrap();
        assert!(PostalCode::parse("postal_code", "75011", Some(&fr)).is_ok());
        assert!(PostalCode::parse("postal_code", "7501", Some(&fr)).is_err());
        assert_eq!(
            PostalCode::parse("postal_code", "sw1a 1aa", Some(&gb))
                .unwrap()
                .as_str(),
            "SW1A 1AA"
        );
        assert!(CountryCode::parse("country", "France").is_err());
    }
}
