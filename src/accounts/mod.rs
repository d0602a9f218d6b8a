//! What an account holder does for herself beyond signing in — confirm her address, reset or
//! change her password, correct her profile — and the business invitations staff send. These
//! send mail, so they live here, above `auth` (which sends none) and `notify`.

pub mod credentials;
pub mod invitations;
pub mod profile;
pub mod requests;
pub mod verification;

use sea_orm::DatabaseConnection;

use crate::auth::service::Sessions;
use crate::config::AuthSettings;
use crate::notify::Notifier;

/// What the account's own services need: signing in's parts and the notifier for their mail.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub sessions: Sessions<'a>,
    pub notifier: &'a Notifier,
}

impl<'a> Accounts<'a> {
    pub fn db(&self) -> &'a DatabaseConnection {
        self.sessions.db
    }

    pub fn settings(&self) -> &'a AuthSettings {
        self.sessions.settings
    }
}
