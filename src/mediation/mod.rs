//! Mediation (調解): the committee's meetings, their agendas and outcomes, and what mediators
//! may read.

pub mod certificates;
pub mod committee;
pub mod designation;
pub mod meetings;
pub mod view;
