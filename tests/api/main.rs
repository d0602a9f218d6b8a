//! The integration suite: one binary, every test against the real server over HTTP with its
//! own database. Set `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432` to run it on
//! PostgreSQL, and `TEST_LOG=1` to see the server's log.

mod helpers;

mod accounts;
mod architecture;
mod auth;
mod browser;
mod cli;
mod errors;
mod operations;
mod pages;

mod accountability;
mod attachments;
mod backups;
mod businesses;
mod calendar;
mod committee;
mod complaints_law;
mod consultations;
mod demo;
mod disputes;
mod documents;
mod fieldwork;
mod history_import;
mod hostile;
mod mail;
mod mediation;
mod mediation_law;
mod refusals;
mod retention;
mod self_service;
mod smtp;
mod statistics;
mod visibility;
