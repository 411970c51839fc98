//! Contact search (SPEC O1): case- and accent-blind, over full names, part of an email,
//! and a phone number in any format.
//!
//! A contact is indexed as terms: each word of their names, their email whole and each
//! of its parts, their phone's digits (international, and national for French
//! numbers), all folded (lower case, no accents). A query is cut into words the same
//! way; a contact matches when every word of the query starts one of their terms, in a
//! field the reader's role may read. Prefixes of whole terms are what a B-tree answers
//! fast on both backends, and what people type into a search box.

use crate::contact::ContactData;
use crate::lexicon::fold;
use std::collections::BTreeSet;

/// Which field a term comes from: a role searches only the fields it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermField {
    /// First and last name.
    Name,
    Email,
    Phone,
}

impl TermField {
    pub const ALL: [TermField; 3] = [TermField::Name, TermField::Email, TermField::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            TermField::Name => "name",
            TermField::Email => "email",
            TermField::Phone => "phone",
        }
    }

    /// The catalogue fields a role must be able to read to search this one.
    pub fn catalogue_fields(self) -> &'static [&'static str] {
        match self {
            TermField::Name => &["first_name", "last_name"],
            TermField::Email => &["email"],
            TermField::Phone => &["phone"],
        }
    }
}

/// The longest a term is kept (longer words are cut: nobody types more to find one).
pub const MAX_TERM: usize = 64;

/// The most words of a query that are searched.
pub const MAX_QUERY_WORDS: usize = 6;

fn cut(s: &str) -> String {
    s.chars().take(MAX_TERM).collect()
}

/// The alphanumeric words of a folded text.
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The digits of a phone number as people write it: the international digits, and
/// for a French number the national form (0 and the nine digits).
fn phone_terms(e164: &str) -> Vec<String> {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![digits.clone()];
    if let Some(national) = digits.strip_prefix("33") {
        out.push(format!("0{national}"));
    }
    out
}

/// The terms a contact is found by, without repeats.
pub fn terms(c: &ContactData) -> Vec<(TermField, String)> {
    let mut out = BTreeSet::new();
    let names = [
        c.first_name.as_ref().map(|n| n.as_str()),
        Some(c.last_name.as_str()),
    ];
    for name in names.into_iter().flatten() {
        for w in words(&fold(name)) {
            out.insert((TermField::Name, cut(w)));
        }
    }
    if let Some(e) = &c.email {
        let folded = fold(e.as_str());
        out.insert((TermField::Email, cut(&folded)));
        for w in words(&folded) {
            out.insert((TermField::Email, cut(w)));
        }
    }
    if let Some(p) = &c.phone {
        for t in phone_terms(p.as_str()) {
            out.insert((TermField::Phone, t));
        }
    }
    out.into_iter().collect()
}

/// A query cut into the prefixes it searches: an email-like word (with `@`) whole, a
/// phone-like query (digits with spaces, dots, dashes, a `+` or brackets) as its
/// digits, and other words one by one. Empty when nothing searchable is left.
pub fn query(q: &str) -> Vec<String> {
    let folded = fold(q.trim());
    let phone_like = folded.chars().any(|c| c.is_ascii_digit())
        && folded
            .chars()
            .all(|c| c.is_ascii_digit() || " .-+()/".contains(c));
    if phone_like {
        let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
        return vec![cut(&digits)];
    }
    let mut out: Vec<String> = Vec::new();
    for piece in folded.split_whitespace() {
        if piece.contains('@') {
            out.push(cut(piece));
        } else {
            out.extend(words(piece).map(cut));
        }
    }
    out.sort();
    out.dedup();
    // A word that starts another one adds nothing ("lef lefevre").
    let all = out.clone();
    out.retain(|w| !all.iter().any(|o| o != w && o.starts_with(w.as_str())));
    // The longest words first: the most selective drives the search.
    out.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    out.truncate(MAX_QUERY_WORDS);
    out
}

/// The first string after every string that starts with `prefix` (for a range scan:
/// `term >= prefix AND term < upper`), in byte order.
pub fn upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::ContactKind;
    use crate::personal::{Email, Locale, PersonName, Phone};

    fn helene() -> ContactData {
        ContactData {
            kind: ContactKind::B2c,
            company_id: None,
            first_name: Some(PersonName::parse("first_name", "Hélène").unwrap()),
            last_name: PersonName::parse("last_name", "Lefèvre-Dupré").unwrap(),
            email: Some(Email::parse("email", "H.Lefevre@Exemple.fr").unwrap()),
            phone: Some(Phone::parse("phone", "06 12 34 56 78").unwrap()),
            locale: Locale::Fr,
            address_line: None,
            postal_code: None,
            city: None,
            country: None,
            notes: None,
            custom: Default::default(),
        }
    }

    fn matches(c: &ContactData, q: &str) -> bool {
        let t = terms(c);
        let words = query(q);
        !words.is_empty()
            && words
                .iter()
                .all(|w| t.iter().any(|(_, term)| term.starts_with(w.as_str())))
    }

    #[test]
    fn names_are_found_without_case_or_accents_and_whole() {
        let h = helene();
        for q in [
            "helene lef",
            "Hélène Lefèvre",
            "LEFEVRE",
            "dupre helene",
            "lefèvre-dupré",
        ] {
            assert!(matches(&h, q), "{q}");
        }
        for q in ["helena", "lefevre martin", "ene"] {
            assert!(!matches(&h, q), "{q}");
        }
    }

    #[test]
    fn emails_are_found_whole_or_by_part() {
        let h = helene();
        for q in ["h.lefevre@exemple.fr", "h.lefevre@ex", "exemple", "h.lef"] {
            assert!(matches(&h, q), "{q}");
        }
        assert!(!matches(&h, "h.lefevre@other.fr"));
    }

    #[test]
    fn phones_are_found_in_any_format() {
        let h = helene();
        for q in [
            "06 12 34",
            "0612345678",
            "+33 6 12 34 56 78",
            "33612",
            "06.12.34",
        ] {
            assert!(matches(&h, q), "{q}");
        }
        assert!(!matches(&h, "06 99"));
        assert!(!matches(&h, "12 34"), "digits must start the number");
    }

    #[test]
    fn queries_keep_their_most_selective_words_first() {
        assert_eq!(query("  lef   Hélène "), vec!["helene", "lef"]);
        assert_eq!(query("lef lefevre"), vec!["lefevre"]);
        assert!(query(" - ").is_empty());
        assert_eq!(query("a b c d e f g h").len(), MAX_QUERY_WORDS);
        let bound = upper_bound("lef");
        assert!("lefevre" < bound.as_str() && "leg" > bound.as_str());
    }

    #[test]
    fn terms_say_their_field_and_repeat_nothing() {
        let t = terms(&helene());
        assert!(t.contains(&(TermField::Name, "helene".into())));
        assert!(t.contains(&(TermField::Email, "h.lefevre@exemple.fr".into())));
        assert!(t.contains(&(TermField::Phone, "0612345678".into())));
        assert!(t.contains(&(TermField::Phone, "33612345678".into())));
        let mut unique = t.clone();
        unique.dedup();
        assert_eq!(unique.len(), t.len());
    }
}
