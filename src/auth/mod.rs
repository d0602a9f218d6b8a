//! Accounts, roles, sign-in and the extractors every other capability uses to know who calls.

pub mod extract;
pub mod links;
pub mod mfa;
pub mod password;
pub mod service;
pub mod staff;
pub mod throttle;
pub mod tokens;
pub mod totp;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{Auth, CurrentUser};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Business,
    Clerk,
    Officer,
    Mediator,
    Admin,
    /// A national body's reader (issue 19): every jurisdiction's figures and scorecards, and the
    /// anonymised national export; no case, no person.
    National,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Citizen, Role::Business, Role::Clerk, Role::Officer, Role::Mediator, Role::Admin, Role::National];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Business => "business",
            Role::Clerk => "clerk",
            Role::Officer => "officer",
            Role::Mediator => "mediator",
            Role::Admin => "admin",
            Role::National => "national",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn names() -> Vec<&'static str> {
        Role::ALL.iter().map(|r| r.as_str()).collect()
    }

    /// Office staff who handle case content (clerks and officers).
    pub fn is_case_staff(self) -> bool {
        matches!(self, Role::Clerk | Role::Officer)
    }

    /// Office staff, who read consumers' personal data: the second factor is for them.
    pub fn is_staff(self) -> bool {
        self.has_jurisdiction()
    }

    /// Accounts that belong to a jurisdiction: everyone who works for an office.
    pub fn has_jurisdiction(self) -> bool {
        matches!(self, Role::Clerk | Role::Officer | Role::Mediator | Role::Admin)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::domain::input::LOCALES;
pub const DEFAULT_LOCALE: &str = "zh-TW";
