//! sea-orm entities: table shapes only. Behaviour lives in the server crate's services,
//! and the schema itself in the `migration` crate (which never imports this one).

pub mod business;
pub mod login_throttle;
pub mod refresh_token;
pub mod session;
pub mod user;
