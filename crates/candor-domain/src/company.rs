//! Companies (the accounts B2B contacts belong to).

use crate::contact::slot;
use crate::error::{FieldError, FieldErrors};
use crate::personal::{AddressLine, City, CountryCode, PostalCode};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A French establishment number: 14 digits whose Luhn checksum holds.
///
/// La Poste's establishments (SIREN 356 000 000) follow their own rule: the digit
/// sum is a multiple of 5, since there are more of them than Luhn leaves room for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Siret(String);

const LA_POSTE_SIREN: &str = "356000000";

impl Siret {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                "siret_format",
                "a SIRET has exactly 14 digits",
            ));
        }
        let valid = if digits.starts_with(LA_POSTE_SIREN) {
            digits
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn_valid(&digits)
        };
        if !valid {
            return Err(FieldError::new(
                field,
                "siret_checksum",
                "this SIRET's check digit is wrong (Luhn checksum); check for a typing error",
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from Candor's own store, parsed before they were written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The company's SIREN: the first nine digits.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

/// The Luhn checksum over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

/// The digit to append to `digits` so the whole passes Luhn (used by demo data).
pub fn luhn_check_digit(digits: &str) -> u8 {
    ((10 - luhn_sum(digits, true) % 10) % 10) as u8
}

fn luhn_sum(digits: &str, double_last: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if (i % 2 == 0) == double_last {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        if s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "max_length",
                "must be at most 200 characters on one line",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from Candor's own store, parsed before they were written.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: Uuid,
    pub name: CompanyName,
    pub siret: Option<Siret>,
    pub country: CountryCode,
    pub address_line: Option<AddressLine>,
    pub postal_code: Option<PostalCode>,
    pub city: Option<City>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A requested change to a company: `None` keeps, `Some(None)` clears, `Some(Some)` sets.
#[derive(Debug, Clone, Default)]
pub struct CompanyPatch {
    pub name: Option<Option<String>>,
    pub siret: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub address_line: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub city: Option<Option<String>>,
}

/// What staff set on a company.
#[derive(Debug, Clone)]
pub struct CompanyData {
    pub name: CompanyName,
    pub siret: Option<Siret>,
    pub country: CountryCode,
    pub address_line: Option<AddressLine>,
    pub postal_code: Option<PostalCode>,
    pub city: Option<City>,
}

impl CompanyPatch {
    pub fn fields(&self) -> Vec<String> {
        [
            ("name", &self.name),
            ("siret", &self.siret),
            ("country", &self.country),
            ("address_line", &self.address_line),
            ("postal_code", &self.postal_code),
            ("city", &self.city),
        ]
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| (*n).to_owned())
        .collect()
    }

    /// Parses and applies the patch over `base`; the country defaults to FR.
    pub fn apply(&self, base: Option<&Company>) -> Result<CompanyData, FieldErrors> {
        let mut e = FieldErrors::default();
        let b = base;
        let name = slot(&mut e, &self.name, b.map(|c| c.name.clone()), |s| {
            CompanyName::parse("name", s)
        });
        let siret = slot(&mut e, &self.siret, b.and_then(|c| c.siret.clone()), |s| {
            Siret::parse("siret", s)
        });
        let country = slot(&mut e, &self.country, b.map(|c| c.country.clone()), |s| {
            CountryCode::parse("country", s)
        })
        .unwrap_or_else(|| CountryCode::from_stored("FR".into()));
        let address_line = slot(
            &mut e,
            &self.address_line,
            b.and_then(|c| c.address_line.clone()),
            |s| AddressLine::parse("address_line", s),
        );
        let city = slot(&mut e, &self.city, b.and_then(|c| c.city.clone()), |s| {
            City::parse("city", s)
        });
        let old_postal = b
            .and_then(|c| c.postal_code.as_ref())
            .map(|p| Some(p.as_str().to_owned()));
        let postal_raw = self.postal_code.clone().or(old_postal);
        let postal_code = slot(&mut e, &postal_raw, None, |s| {
            PostalCode::parse("postal_code", s, Some(&country))
        });
        if name.is_none() && !e.0.iter().any(|x| x.field == "name") {
            e.push(FieldError::new("name", "required", "is required"));
        }
        let name = e.finish(name)?;
        Ok(CompanyData {
            name,
            siret,
            country,
            address_line,
            postal_code,
            city,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_siret_passes_and_keeps_its_siren() {
        // INSEE's own establishment in Montrouge, a public, valid SIRET.
        let s = Siret::parse("siret", "120 027 016 00043").unwrap();
        assert_eq!(s.as_str(), "12002701600043");
        assert_eq!(s.siren(), "120027016");
    }

    #[test]
    fn one_wrong_digit_breaks_the_checksum() {
        let err = Siret::parse("siret", "12002701600044").unwrap_err();
        assert_eq!((err.field.as_str(), err.rule), ("siret", "siret_checksum"));
    }

    #[test]
    fn wrong_length_or_letters_are_a_format_error() {
        for bad in ["1200270160004", "1200270160004X", ""] {
            assert_eq!(Siret::parse("siret", bad).unwrap_err().rule, "siret_format");
        }
    }

    #[test]
    fn la_poste_establishments_use_the_sum_rule() {
        // 3+5+6 + 0…0 + 0+0+0+1+0 = 15: a multiple of 5 but not Luhn-valid.
        assert!(Siret::parse("siret", "35600000000010").is_ok());
        assert!(!luhn_valid("35600000000010"));
        assert!(Siret::parse("siret", "35600000000011").is_err());
    }

    #[test]
    fn the_check_digit_completes_any_prefix() {
        for prefix in ["1200270160004", "4420000000001", "7"] {
            let full = format!("{prefix}{}", luhn_check_digit(prefix));
            assert!(luhn_valid(&full), "{full}");
        }
    }
}
