//! Pages of every list: `page` (from 1) and `per_page` (default 20, capped at 100), and the
//! `{items, total, page, per_page}` answer.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::input::Check;
use crate::error::AppError;

/// `page` (from 1) and `per_page` (default 20, capped at 100) of every list. Extracted beside
/// each list's own filter (`Query<PageParams>`), so the rule and its documentation live here.
#[derive(Debug, Clone, Copy, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// From 1; a page past the last is an empty list.
    #[param(minimum = 1, maximum = 2147483647)]
    pub page: Option<u64>,
    /// Default 20; more than 100 is taken as 100.
    #[param(minimum = 1, maximum = 2147483647)]
    pub per_page: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
}

pub const PER_PAGE_DEFAULT: u64 = 20;
pub const PER_PAGE_MAX: u64 = 100;
/// The largest `page` or `per_page` accepted: any page up to it has an offset that fits
/// the databases' 64-bit integers.
pub const PAGE_PARAM_MAX: u64 = i32::MAX as u64;

impl PageParams {
    pub fn resolve(self) -> Result<Page, AppError> {
        let mut check = Check::new();
        let mut bounded = |field: &str, value: Option<u64>, default: u64| {
            let value = value.unwrap_or(default);
            if value == 0 {
                check.add(field, "must be 1 or more");
            } else if value > PAGE_PARAM_MAX {
                check.add(field, format!("must be at most {PAGE_PARAM_MAX}"));
            }
            value
        };
        let page = bounded("page", self.page, 1);
        let per_page = bounded("per_page", self.per_page, PER_PAGE_DEFAULT);
        check.finish()?;
        Ok(Page { page, per_page: per_page.min(PER_PAGE_MAX) })
    }
}

impl Page {
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// This page of an ordered query, and how many rows the whole query has (counted without
    /// its ordering, which a count does not need).
    pub async fn fetch<E>(
        self,
        db: &impl sea_orm::ConnectionTrait,
        query: sea_orm::Select<E>,
    ) -> Result<(Vec<E::Model>, u64), AppError>
    where
        E: sea_orm::EntityTrait,
        E::Model: Sync,
    {
        use sea_orm::{PaginatorTrait, QueryTrait};
        let mut counting = query.clone();
        QueryTrait::query(&mut counting).clear_order_by();
        let total = counting.count(db).await?;
        let rows = self.fetch_page(db, query).await?;
        Ok((rows, total))
    }

    /// The page's rows only, for a caller that knows the total otherwise.
    pub async fn fetch_page<E>(
        self,
        db: &impl sea_orm::ConnectionTrait,
        query: sea_orm::Select<E>,
    ) -> Result<Vec<E::Model>, AppError>
    where
        E: sea_orm::EntityTrait,
        E::Model: Sync,
    {
        use sea_orm::QuerySelect;
        Ok(query.offset(self.offset()).limit(self.per_page).all(db).await?)
    }
}

/// The shape of every list answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> ListResponse<T> {
    pub fn new(items: Vec<T>, total: u64, page: Page) -> Self {
        Self { items, total, page: page.page, per_page: page.per_page }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let p = PageParams { page: None, per_page: Some(500) }.resolve().unwrap();
        assert_eq!(p, Page { page: 1, per_page: 100 });
        assert_eq!(PageParams { page: Some(3), per_page: Some(10) }.resolve().unwrap().offset(), 20);
        assert!(PageParams { page: Some(0), per_page: None }.resolve().is_err());
        assert!(PageParams { page: Some(9_223_372_036_854_775_808), per_page: None }.resolve().is_err());
        let last = PageParams { page: Some(PAGE_PARAM_MAX), per_page: Some(PAGE_PARAM_MAX) }.resolve().unwrap();
        assert!(i64::try_from(last.offset()).is_ok());
    }
}
