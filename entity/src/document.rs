use sea_orm::entity::prelude::*;

/// A document the office issued on a case (a forwarding letter, a meeting notice, a mediation
/// record, a certificate, a case summary), numbered in the office's series and stored exactly
/// as issued. Issuing the same kind again adds a version; none is ever rewritten.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: String,
    /// 1 for the first issue of this kind on the case, then 2, 3…
    pub version: i32,
    /// The series' prefix (字), e.g. `高市消保`; with the ROC year and serial, the number.
    pub series: String,
    pub year: i32,
    pub serial: i64,
    /// As printed: `高市消保字第1150000123號`.
    pub number: String,
    pub locale: String,
    pub stage_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub issued_at: DateTimeUtc,
    pub issued_by: Uuid,
    pub size: i32,
    pub sha256: String,
    pub pdf: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
