//! Inspections (查核) of businesses and venues by consumer protection officers.

pub mod service;
