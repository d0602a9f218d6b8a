//! 企業經營者: the businesses complaints are filed against, with 統一編號 validation.

pub mod service;
