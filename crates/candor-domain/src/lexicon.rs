//! The special-category vocabulary (SPEC S2, Art. 9): free text that reveals health,
//! religion, ethnic origin, political opinions, trade-union membership, sexual
//! orientation, genetic or biometric data, or criminal records is refused.
//!
//! The vocabulary is data (`data/special-categories.toml`): a term is a word, a phrase,
//! or a prefix ending in `*`. Matching ignores case and accents.

use crate::error::FieldError;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

pub const DEFAULT_LEXICON: &str = include_str!("../data/special-categories.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    category: Vec<CategoryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    id: String,
    terms: Vec<String>,
}

#[derive(Debug, Clone)]
struct Term {
    category: String,
    /// Folded words of the term; the last may be a prefix.
    words: Vec<String>,
    prefix: bool,
}

#[derive(Debug, Clone)]
pub struct Lexicon {
    terms: Vec<Term>,
}

/// A match: the words as written in the text, and the category they reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub category: String,
    pub words: String,
}

/// Lower case, accents removed: "Diabétique" and "diabetique" fold alike.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words with their byte spans in the original text.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

impl Lexicon {
    pub fn parse(toml_text: &str) -> Result<Self, String> {
        let file: LexiconFile = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        let mut terms = Vec::new();
        for cat in file.category {
            for t in cat.terms {
                let prefix = t.ends_with('*');
                let folded = fold(t.trim_end_matches('*'));
                let ws: Vec<String> = folded.split_whitespace().map(str::to_owned).collect();
                if ws.is_empty() {
                    return Err(format!("category {}: empty term", cat.id));
                }
                terms.push(Term {
                    category: cat.id.clone(),
                    words: ws,
                    prefix,
                });
            }
        }
        Ok(Self { terms })
    }

    pub fn default_french_english() -> Self {
        Self::parse(DEFAULT_LEXICON).expect("the built-in lexicon parses")
    }

    /// Every term found in `text`, reported with the text's own spelling.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        let spans = words(text);
        let folded: Vec<String> = spans.iter().map(|&(a, b)| fold(&text[a..b])).collect();
        let mut hits: Vec<Hit> = Vec::new();
        for i in 0..folded.len() {
            for t in &self.terms {
                let n = t.words.len();
                if i + n > folded.len() {
                    continue;
                }
                let matched = t.words.iter().enumerate().all(|(k, w)| {
                    let last = k + 1 == n;
                    if last && t.prefix {
                        folded[i + k].starts_with(w.as_str())
                    } else {
                        folded[i + k] == *w
                    }
                });
                if matched {
                    let words = text[spans[i].0..spans[i + n - 1].1].to_owned();
                    if !hits.iter().any(|h| h.words == words) {
                        hits.push(Hit {
                            category: t.category.clone(),
                            words,
                        });
                    }
                }
            }
        }
        hits
    }

    /// Refuses text that reveals special-category data, naming the words that did.
    pub fn refuse_special_categories(&self, field: &str, text: &str) -> Result<(), FieldError> {
        let hits = self.scan(text);
        if hits.is_empty() {
            return Ok(());
        }
        let mut cats: Vec<&str> = hits.iter().map(|h| h.category.as_str()).collect();
        cats.dedup();
        let words: Vec<String> = hits.iter().map(|h| format!("\"{}\"", h.words)).collect();
        Err(FieldError::new(
            field,
            "special_category_data",
            format!(
                "reveals special-category data ({}), which Candor does not keep (GDPR Art. 9); words that triggered it: {}",
                cats.join(", "),
                words.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Lexicon {
        Lexicon::default_french_english()
    }

    #[test]
    fn the_briefs_examples_are_caught_in_any_case_or_accent() {
        for (text, word) in [
            ("client diabétique, appeler le matin", "diabétique"),
            ("Cliente ENCEINTE", "ENCEINTE"),
            ("il est musulman", "musulman"),
            ("syndiqué à la CGT", "syndiqué"),
            ("Diabetique", "Diabetique"),
            ("she is pregnant", "pregnant"),
        ] {
            let hits = lex().scan(text);
            assert!(hits.iter().any(|h| h.words == word), "{text}: {hits:?}");
        }
    }

    #[test]
    fn phrases_match_across_words_only_in_order() {
        assert!(!lex().scan("son orientation sexuelle").is_empty());
        assert!(lex().scan("sexuelle orientation").is_empty());
    }

    #[test]
    fn ordinary_business_notes_pass() {
        for text in [
            "Rappeler mardi pour le devis, intéressée par l'offre Pro",
            "Met at the Lyon trade show; wants a demo in March",
            "Préfère être contacté par e-mail",
        ] {
            assert_eq!(lex().scan(text), vec![], "{text}");
        }
    }

    #[test]
    fn the_error_names_the_field_the_rule_and_the_words() {
        let err = lex()
            .refuse_special_categories("notes", "client diabétique")
            .unwrap_err();
        assert_eq!(err.field, "notes");
        assert_eq!(err.rule, "special_category_data");
        assert!(err.message.contains("\"diabétique\""), "{}", err.message);
        assert!(err.message.contains("health"), "{}", err.message);
    }

    #[test]
    fn the_vocabulary_is_extensible_data() {
        let l = Lexicon::parse("[[category]]\nid = \"health\"\nterms = [\"migraine*\"]\n").unwrap();
        assert_eq!(l.scan("souffre de migraines")[0].words, "migraines");
    }
}
