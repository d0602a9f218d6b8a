//! Public-education events (宣導): lectures, media interviews, booths, online campaigns.

pub mod service;
