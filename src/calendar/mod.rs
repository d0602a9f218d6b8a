//! The office calendars with the closures officers enter (`service`): deadlines as the
//! office counts them. The arithmetic itself is pure, in `domain::calendar`.

pub mod service;

pub use crate::domain::calendar::*;
