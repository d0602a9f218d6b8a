//! The annual report's wording, exactly as the office writes it, and ROC (民國) years.

use super::figures::Figures;

/// ROC year of an AD year (民國 = AD − 1911). Saturating: a year from a query may be any i32.
pub fn roc_from_ad(year: i32) -> i32 {
    year.saturating_sub(1911)
}

pub fn ad_from_roc(roc: i32) -> i32 {
    roc.saturating_add(1911)
}

/// 8399 → "8,399".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The report's sentences for a year.
pub fn text(roc_year: i32, f: &Figures) -> String {
    format!(
        "{roc_year}年受理消費爭議事件諮詢計{}件，受理消費爭議事件申訴第一次申訴{}件、第二次申訴{}件，辦理消費爭議調解會議計{}次、受理{}件。另辦理消費者保護查核工作計{}次、消費者保護宣導計{}次。",
        thousands(f.consultations),
        thousands(f.first_complaints),
        thousands(f.second_complaints),
        thousands(f.mediation_meetings),
        thousands(f.mediation_applications),
        thousands(f.inspections),
        thousands(f.education_events),
    )
}

/// The sentence added when closed months were corrected after publication.
pub fn corrections_text(c: &Figures) -> Option<String> {
    let parts: Vec<String> = [
        ("諮詢", c.consultations, "件"),
        ("第一次申訴", c.first_complaints, "件"),
        ("第二次申訴", c.second_complaints, "件"),
        ("調解會議", c.mediation_meetings, "次"),
        ("調解受理", c.mediation_applications, "件"),
        ("查核", c.inspections, "次"),
        ("宣導", c.education_events, "次"),
    ]
    .into_iter()
    .filter(|(_, n, _)| *n != 0)
    .map(|(name, n, unit)| format!("{name}{}{}{unit}", if n > 0 { "+" } else { "" }, thousands(n)))
    .collect();
    (!parts.is_empty()).then(|| format!("（已公布月份之期後更正：{}。）", parts.join("、")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_sentence_character_for_character() {
        let f = Figures {
            consultations: 8399,
            first_complaints: 2739,
            second_complaints: 955,
            mediation_applications: 114,
            mediation_meetings: 12,
            inspections: 74,
            education_events: 37,
        };
        let text = text(101, &f);
        assert!(text.contains("101年受理消費爭議事件諮詢計8,399件，受理消費爭議事件申訴第一次申訴2,739件、第二次申訴955件，辦理消費爭議調解會議計12次、受理114件。"));
        assert!(text.contains("查核工作計74次"));
        assert!(text.contains("宣導計37次"));
    }

    #[test]
    fn separators_and_years() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1200), "-1,200");
        assert_eq!((roc_from_ad(2012), ad_from_roc(115)), (101, 2026));
    }

    #[test]
    fn corrections_are_said_apart() {
        assert_eq!(corrections_text(&Figures::default()), None);
        let c = Figures { first_complaints: 1, inspections: -1, ..Default::default() };
        assert_eq!(corrections_text(&c).unwrap(), "（已公布月份之期後更正：第一次申訴+1件、查核-1次。）");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn roc_and_ad_years_convert_both_ways(year in -2_000_000_000i32..2_000_000_000) {
                prop_assert_eq!(ad_from_roc(roc_from_ad(year)), year);
                prop_assert_eq!(roc_from_ad(year) + 1911, year);
            }

            #[test]
            fn any_year_from_a_query_converts_without_panicking(year in any::<i32>()) {
                let _ = (ad_from_roc(year), roc_from_ad(year));
            }

            #[test]
            fn thousands_separators_read_back(n in any::<i64>()) {
                let text = thousands(n);
                prop_assert_eq!(text.replace(',', "").parse::<i64>().unwrap(), n);
                let digits = text.trim_start_matches('-');
                prop_assert!(digits.split(',').skip(1).all(|group| group.len() == 3));
                prop_assert!(digits.split(',').next().is_some_and(|g| (1..=3).contains(&g.len())));
            }
        }
    }
}
