use std::fmt;

/// A refused value: which field, which rule, and a sentence for the person who sent it.
///
/// The message never repeats the refused value, so it is safe to log (SPEC X2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }

    /// The same error reported under another field name (a nested or custom field).
    pub fn under(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.rule)
    }
}

impl std::error::Error for FieldError {}

/// Every refused field of one input, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Records the error of `r`, if any, and returns its value.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The values read one by one with [`FieldErrors::check`], once every one of them
    /// was read; otherwise every error found. A missing value that no error explains (a
    /// parser that returned nothing without saying why) is refused too, never unwrapped.
    pub fn finish<P: Parsed>(self, parsed: P) -> Result<P::Values, FieldErrors> {
        match (self.0.is_empty(), parsed.all()) {
            (true, Some(values)) => Ok(values),
            (true, None) => {
                Err(
                    FieldError::new("input", "incomplete", "a required value could not be read")
                        .into(),
                )
            }
            (false, _) => Err(self),
        }
    }
}

/// Optional values taken together: all of them, or none (see [`FieldErrors::finish`]).
pub trait Parsed {
    type Values;
    fn all(self) -> Option<Self::Values>;
}

impl<A> Parsed for Option<A> {
    type Values = A;
    fn all(self) -> Option<A> {
        self
    }
}

macro_rules! parsed_tuple {
    ($($t:ident),+) => {
        impl<$($t),+> Parsed for ($(Option<$t>,)+) {
            type Values = ($($t,)+);
            #[allow(non_snake_case)]
            fn all(self) -> Option<Self::Values> {
                let ($($t,)+) = self;
                Some(($($t?,)+))
            }
        }
    };
}
parsed_tuple!(A, B);
parsed_tuple!(A, B, C);
parsed_tuple!(A, B, C, D);
parsed_tuple!(A, B, C, D, E, F, G, H);

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_gives_every_value_or_every_error() {
        let mut e = FieldErrors::default();
        let a = e.check::<u8>(Ok(1));
        let b = e.check::<&str>(Ok("x"));
        assert_eq!(e.finish((a, b)), Ok((1, "x")));

        let mut e = FieldErrors::default();
        let a = e.check::<u8>(Err(FieldError::new("a", "rule_a", "bad")));
        let b = e.check::<u8>(Err(FieldError::new("b", "rule_b", "bad")));
        let errs = e.finish((a, b)).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["a", "b"]);

        // A value missing with no error to say why is refused, not unwrapped.
        let errs = FieldErrors::default().finish(None::<u8>).unwrap_err();
        assert_eq!(errs.0[0].rule, "incomplete");
    }
}
