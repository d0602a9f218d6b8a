//! consumer-protection: case tracking for a municipal consumer protection office.
//! `main.rs` is a thin command line over this library, so tests build the same application.

pub mod access;
pub mod agenda;
pub mod api;
pub mod app;
pub mod auth;
pub mod businesses;
pub mod calendar;
pub mod cases;
pub mod cli;
pub mod config;
pub mod consultations;
pub mod db;
pub mod demo;
pub mod domain;
pub mod education;
pub mod error;
pub mod exports;
pub mod extract;
pub mod headers;
pub mod inspections;
pub mod jobs;
pub mod mediation;
pub mod notify;
pub mod office;
pub mod openapi;
pub mod paging;
pub mod reference;
pub mod router;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod time;
pub mod timeline;
pub mod web;
pub mod work;
