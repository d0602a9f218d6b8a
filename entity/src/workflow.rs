//! The stage and status of a case, as typed columns (stored as their snake_case names). The
//! rules over them — what may follow what, who may act — live in the server's domain layer.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! column_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[sea_orm(string_value = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

column_enum! {
    /// A stage of a dispute; each is a row of its own, counted and timed on its own.
    Stage {
        FirstComplaint => "first_complaint",
        SecondComplaint => "second_complaint",
        Mediation => "mediation",
    }
}

column_enum! {
    /// Where a stage stands.
    Status {
        Submitted => "submitted",
        NeedsInfo => "needs_info",
        Forwarded => "forwarded",
        Responded => "responded",
        Overdue => "overdue",
        Settled => "settled",
        Unresolved => "unresolved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Assigned => "assigned",
        Applied => "applied",
        NeedsCorrection => "needs_correction",
        Accepted => "accepted",
        Scheduled => "scheduled",
        ProposalServed => "proposal_served",
        Established => "established",
        NotEstablished => "not_established",
        // The court refused to approve an established mediation's record (CPA 46, MR 28).
        CourtRefused => "court_refused",
        // Passed on to an outside agency (移送), e.g. financial disputes to the FOI.
        Transferred => "transferred",
    }
}
