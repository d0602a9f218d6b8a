//! The kinds of file the history import reads, told apart by their names, and the order they
//! are read in (a case names its business, a stage its case, an agenda row its meeting).

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Businesses,
    Cases,
    Stages,
    Consultations,
    Meetings,
    Agenda,
    Inspections,
    EducationEvents,
}

impl Kind {
    /// In the order they are read.
    pub const ALL: [Kind; 8] = [
        Kind::Businesses,
        Kind::Cases,
        Kind::Stages,
        Kind::Consultations,
        Kind::Meetings,
        Kind::Agenda,
        Kind::Inspections,
        Kind::EducationEvents,
    ];

    /// The file (or sheet) name, and the kind stored with each legacy reference.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Businesses => "businesses",
            Kind::Cases => "cases",
            Kind::Stages => "stages",
            Kind::Consultations => "consultations",
            Kind::Meetings => "meetings",
            Kind::Agenda => "agenda",
            Kind::Inspections => "inspections",
            Kind::EducationEvents => "education_events",
        }
    }

    /// The kind a file or sheet holds, from its name: `cases.csv`, `2012/cases.xlsx`, the export's
    /// `cases-2012-01-01-2012-12-31.csv`, a sheet named `stages`; `-` and `_` alike.
    pub fn of_name(name: &str) -> Option<Kind> {
        let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = stem.split('.').next().unwrap_or(stem).to_lowercase().replace('-', "_");
        Kind::ALL.into_iter().find(|k| {
            let n = k.name();
            stem == n
                || stem
                    .strip_prefix(n)
                    .is_some_and(|rest| rest.starts_with('_') && rest[1..].starts_with(|c: char| c.is_ascii_digit()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_name() {
        assert_eq!(Kind::of_name("docs/examples/import/cases.csv"), Some(Kind::Cases));
        assert_eq!(Kind::of_name("cases-2012-01-01-2012-12-31.csv"), Some(Kind::Cases));
        assert_eq!(Kind::of_name("Education-Events.xlsx"), Some(Kind::EducationEvents));
        assert_eq!(Kind::of_name("stages"), Some(Kind::Stages));
        assert_eq!(Kind::of_name("cases_backup.csv"), None);
        assert_eq!(Kind::of_name("notes.csv"), None);
    }
}
