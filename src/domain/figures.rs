//! The seven figures of the office's report, each counted by the date of its event.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const CONSULTATIONS: &str = "consultations";
pub const FIRST_COMPLAINTS: &str = "first_complaints";
pub const SECOND_COMPLAINTS: &str = "second_complaints";
pub const MEDIATION_APPLICATIONS: &str = "mediation_applications";
pub const MEDIATION_MEETINGS: &str = "mediation_meetings";
pub const INSPECTIONS: &str = "inspections";
pub const EDUCATION_EVENTS: &str = "education_events";

/// Mediations established (at a meeting or deemed), by the day they were: kept with the
/// report's counters so that an establishment undone in a closed month is a correction; not one
/// of the report's seven figures.
pub const MEDIATIONS_ESTABLISHED: &str = "mediations_established";

/// The figure a stage counts in, on the day it was filed.
pub fn stage_metric(stage: super::workflow::Stage) -> &'static str {
    use super::workflow::Stage;
    match stage {
        Stage::FirstComplaint => FIRST_COMPLAINTS,
        Stage::SecondComplaint => SECOND_COMPLAINTS,
        Stage::Mediation => MEDIATION_APPLICATIONS,
    }
}

pub const METRICS: [&str; 7] = [
    CONSULTATIONS,
    FIRST_COMPLAINTS,
    SECOND_COMPLAINTS,
    MEDIATION_APPLICATIONS,
    MEDIATION_MEETINGS,
    INSPECTIONS,
    EDUCATION_EVENTS,
];

/// The report's figures, each counted by the date of its event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Consultations received.
    pub consultations: i64,
    /// First complaints filed.
    pub first_complaints: i64,
    /// Second complaints filed.
    pub second_complaints: i64,
    /// Mediation applications filed (受理).
    pub mediation_applications: i64,
    /// Mediation meetings held.
    pub mediation_meetings: i64,
    /// Inspections held.
    pub inspections: i64,
    /// Education events held.
    pub education_events: i64,
}

impl Figures {
    pub fn slot(&mut self, metric: &str) -> Option<&mut i64> {
        Some(match metric {
            CONSULTATIONS => &mut self.consultations,
            FIRST_COMPLAINTS => &mut self.first_complaints,
            SECOND_COMPLAINTS => &mut self.second_complaints,
            MEDIATION_APPLICATIONS => &mut self.mediation_applications,
            MEDIATION_MEETINGS => &mut self.mediation_meetings,
            INSPECTIONS => &mut self.inspections,
            EDUCATION_EVENTS => &mut self.education_events,
            _ => return None,
        })
    }

    pub fn get(&self, metric: &str) -> i64 {
        let mut copy = *self;
        copy.slot(metric).map(|v| *v).unwrap_or(0)
    }

    pub fn add(&mut self, metric: &str, n: i64) {
        if let Some(slot) = self.slot(metric) {
            *slot += n;
        }
    }

    pub fn minus(mut self, other: &Figures) -> Figures {
        for metric in METRICS {
            self.add(metric, -other.get(metric));
        }
        self
    }

    pub fn plus(mut self, other: &Figures) -> Figures {
        for metric in METRICS {
            self.add(metric, other.get(metric));
        }
        self
    }

    pub fn is_zero(&self) -> bool {
        *self == Figures::default()
    }
}
