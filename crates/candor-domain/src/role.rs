use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A staff role. Every field of the catalogue says, per role, who may read and write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Dpo,
    Sales,
    Marketing,
    Support,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Dpo,
        Role::Sales,
        Role::Marketing,
        Role::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dpo => "dpo",
            Role::Sales => "sales",
            Role::Marketing => "marketing",
            Role::Support => "support",
        }
    }

    /// The role as people read it: in a person's bundle and the processing register.
    pub fn label(self, fr: bool) -> &'static str {
        match (self, fr) {
            (Role::Admin, _) => "administration",
            (Role::Dpo, true) => "délégué à la protection des données",
            (Role::Dpo, false) => "data protection officer",
            (Role::Sales, true) => "équipe commerciale",
            (Role::Sales, false) => "sales team",
            (Role::Marketing, true) => "équipe marketing",
            (Role::Marketing, false) => "marketing team",
            (Role::Support, true) => "service client",
            (Role::Support, false) => "customer support",
        }
    }

    /// Roles that manage the catalogue itself (custom fields) and read the audit.
    pub fn governs_data(self) -> bool {
        matches!(self, Role::Admin | Role::Dpo)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}`: expected one of admin, dpo, sales, marketing, support")
            })
    }
}
