//! sea-orm entities: table shapes only. Behaviour lives in the server crate's services,
//! and the schema itself in the `migration` crate (which never imports this one).

pub mod access_log;
pub mod account_token;
pub mod agenda_item;
pub mod attachment;
pub mod business;
pub mod calendar_closure;
pub mod case;
pub mod case_counter;
pub mod case_event;
pub mod case_stage;
pub mod case_transfer;
pub mod certificate;
pub mod committee_member;
pub mod consultation;
pub mod data_export;
pub mod data_request;
pub mod education_event;
pub mod idempotency_key;
pub mod inspection;
pub mod inspection_business;
pub mod login_throttle;
pub mod login_trust;
pub mod meeting;
pub mod meeting_attendance;
pub mod meeting_member;
pub mod notification;
pub mod recovery_code;
pub mod refresh_token;
pub mod session;
pub mod stat_correction;
pub mod stat_daily;
pub mod stat_period;
pub mod user;
pub mod workflow;
