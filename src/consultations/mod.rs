//! Consultations (諮詢, mostly the 1950 hotline): logged by staff, counted apart from
//! complaints, convertible into a first complaint without re-typing.

pub mod service;
