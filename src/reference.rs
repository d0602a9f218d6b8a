//! The configured reference lists (jurisdictions with their districts, complaint categories,
//! inspection themes, education-event kinds) and the fixed intake channels, served at
//! `GET /api/v1/reference`. Every other module asks this one whether a code is valid.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefItem {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CategoryGroup {
    /// 商品類
    Goods,
    /// 服務類
    Services,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub group: CategoryGroup,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionSettings {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Starts this jurisdiction's case numbers (`KH-115-000123`); default: the code in capitals.
    pub case_prefix: Option<String>,
    /// The series (字) of the office's documents: `高市消保` numbers them 高市消保字第1150000123號;
    /// default: the jurisdiction's Chinese name and 消保.
    #[serde(default)]
    pub document_prefix: Option<String>,
    pub districts: Vec<RefItem>,
}

impl JurisdictionSettings {
    pub fn case_prefix(&self) -> String {
        self.case_prefix.clone().unwrap_or_else(|| self.code.to_uppercase())
    }

    pub fn document_prefix(&self) -> String {
        self.document_prefix.clone().unwrap_or_else(|| format!("{}消保", self.name_zh))
    }
}

/// The `[reference]` configuration section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSettings {
    pub default_jurisdiction: String,
    pub jurisdictions: Vec<JurisdictionSettings>,
    pub categories: Vec<Category>,
    pub inspection_themes: Vec<RefItem>,
    pub education_kinds: Vec<RefItem>,
    /// 消費爭議調解辦法第 5 條, codes "1" to "10".
    pub mediation_rejection_reasons: Vec<RefItem>,
    /// Outside agencies a complaint may be transferred to (移送), e.g. banking and insurance
    /// disputes to the Financial Ombudsman Institution.
    #[serde(default)]
    pub agencies: Vec<Agency>,
}

/// An outside agency that handles some consumer disputes itself.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Where the consumer can reach it.
    pub url: Option<String>,
}

/// The intake channels are fixed by the API contract, not configurable.
pub const CHANNELS: [(&str, &str, &str); 7] = [
    ("online", "網路申訴", "Online"),
    ("walk_in", "臨櫃", "Walk-in"),
    ("mail", "郵寄", "Mail"),
    ("fax", "傳真", "Fax"),
    ("phone", "電話", "Telephone"),
    ("hotline_1950", "1950 專線", "1950 hotline"),
    ("referral", "移送", "Referral"),
];

fn check_codes<'a>(key: &str, codes: impl IntoIterator<Item = &'a str>) -> Result<(), (String, String)> {
    let mut seen = HashSet::new();
    for code in codes {
        let well_formed = !code.is_empty()
            && code.len() <= 64
            && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !well_formed {
            return Err((key.into(), format!("has a bad code {code:?} (lower-case letters, digits, `_`, `-`)")));
        }
        if !seen.insert(code) {
            return Err((key.into(), format!("lists the code {code:?} twice")));
        }
    }
    Ok(())
}

impl ReferenceSettings {
    /// On failure: (the configuration key, what is wrong with it).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.jurisdictions.is_empty() {
            return Err(("reference.jurisdictions".into(), "must list at least one jurisdiction".into()));
        }
        check_codes("reference.jurisdictions", self.jurisdictions.iter().map(|j| j.code.as_str()))?;
        for j in &self.jurisdictions {
            check_codes(
                &format!("reference.jurisdictions.{}.districts", j.code),
                j.districts.iter().map(|d| d.code.as_str()),
            )?;
        }
        let mut prefixes = HashSet::new();
        for j in &self.jurisdictions {
            let prefix = j.case_prefix();
            if prefix.is_empty() || prefix.len() > 16 || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err((
                    format!("reference.jurisdictions.{}.case_prefix", j.code),
                    "must be 1 to 16 letters or digits".into(),
                ));
            }
            if !prefixes.insert(prefix) {
                return Err((
                    format!("reference.jurisdictions.{}.case_prefix", j.code),
                    "is used by another jurisdiction".into(),
                ));
            }
        }
        let mut series = HashSet::new();
        for j in &self.jurisdictions {
            let prefix = j.document_prefix();
            let count = prefix.chars().count();
            if !(1..=16).contains(&count) || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err((
                    format!("reference.jurisdictions.{}.document_prefix", j.code),
                    "must be 1 to 16 characters without spaces".into(),
                ));
            }
            if !series.insert(prefix) {
                return Err((
                    format!("reference.jurisdictions.{}.document_prefix", j.code),
                    "is used by another jurisdiction".into(),
                ));
            }
        }
        if self.jurisdiction(&self.default_jurisdiction).is_none() {
            return Err((
                "reference.default_jurisdiction".into(),
                format!("names {:?}, which is not in reference.jurisdictions", self.default_jurisdiction),
            ));
        }
        if self.categories.is_empty() {
            return Err(("reference.categories".into(), "must list at least one category".into()));
        }
        check_codes("reference.categories", self.categories.iter().map(|c| c.code.as_str()))?;
        check_codes("reference.inspection_themes", self.inspection_themes.iter().map(|c| c.code.as_str()))?;
        check_codes("reference.education_kinds", self.education_kinds.iter().map(|c| c.code.as_str()))?;
        check_codes("reference.agencies", self.agencies.iter().map(|a| a.code.as_str()))?;
        let codes: Vec<&str> = self.mediation_rejection_reasons.iter().map(|c| c.code.as_str()).collect();
        let expected: Vec<String> = (1..=10).map(|n| n.to_string()).collect();
        if codes != expected.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err((
                "reference.mediation_rejection_reasons".into(),
                "must list the codes 1 to 10 in order".into(),
            ));
        }
        Ok(())
    }

    pub fn rejection_reason(&self, code: i32) -> Option<&RefItem> {
        self.mediation_rejection_reasons.iter().find(|r| r.code == code.to_string())
    }

    pub fn inspection_theme(&self, code: &str) -> Option<&RefItem> {
        self.inspection_themes.iter().find(|t| t.code == code)
    }

    pub fn jurisdiction(&self, code: &str) -> Option<&JurisdictionSettings> {
        self.jurisdictions.iter().find(|j| j.code == code)
    }

    pub fn is_district_of(&self, jurisdiction: &str, district: &str) -> bool {
        self.jurisdiction(jurisdiction).is_some_and(|j| j.districts.iter().any(|d| d.code == district))
    }

    pub fn is_any_district(&self, district: &str) -> bool {
        self.jurisdictions.iter().any(|j| j.districts.iter().any(|d| d.code == district))
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.code == code)
    }

    pub fn is_channel(code: &str) -> bool {
        CHANNELS.iter().any(|(c, _, _)| *c == code)
    }

    pub fn is_inspection_theme(&self, code: &str) -> bool {
        self.inspection_themes.iter().any(|t| t.code == code)
    }

    pub fn is_education_kind(&self, code: &str) -> bool {
        self.education_kinds.iter().any(|t| t.code == code)
    }

    /// True when more than one jurisdiction is configured (clients then show the field).
    pub fn is_multi_jurisdiction(&self) -> bool {
        self.jurisdictions.len() > 1
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct District {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub jurisdiction: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceLists {
    pub default_jurisdiction: String,
    pub jurisdictions: Vec<RefItem>,
    pub categories: Vec<Category>,
    pub channels: Vec<RefItem>,
    pub districts: Vec<District>,
    pub inspection_themes: Vec<RefItem>,
    pub education_kinds: Vec<RefItem>,
    pub mediation_rejection_reasons: Vec<RefItem>,
    /// Outside agencies a complaint may be transferred to.
    pub agencies: Vec<Agency>,
}

impl ReferenceLists {
    pub fn from_settings(s: &ReferenceSettings) -> Self {
        Self {
            default_jurisdiction: s.default_jurisdiction.clone(),
            jurisdictions: s
                .jurisdictions
                .iter()
                .map(|j| RefItem { code: j.code.clone(), name_zh: j.name_zh.clone(), name_en: j.name_en.clone() })
                .collect(),
            categories: s.categories.clone(),
            channels: CHANNELS
                .iter()
                .map(|(code, zh, en)| RefItem { code: (*code).into(), name_zh: (*zh).into(), name_en: (*en).into() })
                .collect(),
            districts: s
                .jurisdictions
                .iter()
                .flat_map(|j| {
                    j.districts.iter().map(|d| District {
                        code: d.code.clone(),
                        name_zh: d.name_zh.clone(),
                        name_en: d.name_en.clone(),
                        jurisdiction: j.code.clone(),
                    })
                })
                .collect(),
            inspection_themes: s.inspection_themes.clone(),
            education_kinds: s.education_kinds.clone(),
            mediation_rejection_reasons: s.mediation_rejection_reasons.clone(),
            agencies: s.agencies.clone(),
        }
    }
}
