//! What the office's case work needs beside the database: its calendar and the day counts of
//! its deadlines, its mail, and its reference lists. Services take this (and a connection),
//! not the whole application state.

use crate::calendar::OfficeCalendar;
use crate::config::DeadlineSettings;
use crate::notify::Notifier;
use crate::reference::ReferenceSettings;

#[derive(Clone, Copy)]
pub struct Office<'a> {
    pub calendar: &'a OfficeCalendar,
    pub deadlines: &'a DeadlineSettings,
    pub notifier: &'a Notifier,
    pub reference: &'a ReferenceSettings,
    /// The font and templates of the documents it issues.
    pub documents: &'a crate::documents::Documents,
    /// Where filings take their case numbers.
    pub numbers: &'a crate::case_numbers::Numbers,
}

impl<'a> Office<'a> {
    /// What issuing a document needs.
    pub fn kit(self) -> crate::documents::issue::Kit<'a> {
        crate::documents::issue::Kit { documents: self.documents, reference: self.reference, notifier: self.notifier }
    }
}
