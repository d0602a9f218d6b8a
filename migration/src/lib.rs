//! The database schema, as an ordered list of migrations. Migrations never import the `entity`
//! crate: a later change to an entity must not change what an old migration does.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_accounts;
mod m20261126_000002_cases;
mod m20261126_000003_committee;
mod m20261126_000004_outbox;
mod m20261126_000005_statistics;
mod m20261129_000006_hardening;
mod m20261205_000007_self_service;
mod m20261205_000008_committee_roster;
mod m20261205_000009_mediation_paths;
mod m20261205_000010_complaint_paths;
mod m20261206_000011_documents;
mod m20261206_000012_import_refs;
mod m20261206_000013_counter_shards;
mod m20261206_000014_queue_index;
mod m20261207_000015_breakdown_rollups;
mod m20261207_000016_business_replies;
mod m20261207_000017_access_packs;
mod m20261207_000018_retention;
mod m20261207_000019_ratings;
mod m20261208_000020_settlements_kept;
mod m20261208_000021_duplicates;
mod m20261208_000022_inspection_signals;
pub mod rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261126_000002_cases::Migration),
            Box::new(m20261126_000003_committee::Migration),
            Box::new(m20261126_000004_outbox::Migration),
            Box::new(m20261126_000005_statistics::Migration),
            Box::new(m20261129_000006_hardening::Migration),
            Box::new(m20261205_000007_self_service::Migration),
            Box::new(m20261205_000008_committee_roster::Migration),
            Box::new(m20261205_000009_mediation_paths::Migration),
            Box::new(m20261205_000010_complaint_paths::Migration),
            Box::new(m20261206_000011_documents::Migration),
            Box::new(m20261206_000012_import_refs::Migration),
            Box::new(m20261206_000013_counter_shards::Migration),
            Box::new(m20261206_000014_queue_index::Migration),
            Box::new(m20261207_000015_breakdown_rollups::Migration),
            Box::new(m20261207_000016_business_replies::Migration),
            Box::new(m20261207_000017_access_packs::Migration),
            Box::new(m20261207_000018_retention::Migration),
            Box::new(m20261207_000019_ratings::Migration),
            Box::new(m20261208_000020_settlements_kept::Migration),
            Box::new(m20261208_000021_duplicates::Migration),
            Box::new(m20261208_000022_inspection_signals::Migration),
        ]
    }
}
