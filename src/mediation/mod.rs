//! Mediation (調解): the committee's meetings and their agendas.

pub mod agenda;
