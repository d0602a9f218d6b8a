//! Language of the pages: Traditional Chinese by default, English by a switch (a cookie), or
//! the signed-in account's own choice.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::labels::MESSAGES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh-TW" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-TW",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-Hant-TW",
            Lang::En => "en",
        }
    }
}

static TABLE: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| MESSAGES.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());

/// Looks words up in the page's language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn s(&self, key: &str) -> String {
        match TABLE.get(key) {
            Some((zh, en)) => if self.lang == Lang::En { en } else { zh }.to_string(),
            None => key.to_string(),
        }
    }

    /// `prefix.name`, e.g. `t.k("status", "forwarded")`.
    pub fn k(&self, prefix: &str, name: &str) -> String {
        self.s(&format!("{prefix}.{name}"))
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workflow_word_is_translated() {
        use crate::domain::workflow::{Action, Stage, Status};
        for lang in [Lang::Zh, Lang::En] {
            let t = Tr { lang };
            for s in Status::ALL {
                assert_ne!(t.k("status", s.as_str()), format!("status.{s}"), "{s}");
            }
            for a in Action::ALL {
                assert_ne!(t.k("action", a.as_str()), format!("action.{a}"), "{a}");
            }
            for s in Stage::ALL {
                assert_ne!(t.k("stage", s.as_str()), format!("stage.{s}"), "{s}");
            }
            for rule in crate::domain::workflow::RULES {
                for field in rule.required.iter().chain(rule.optional) {
                    assert_ne!(t.k("field", field), format!("field.{field}"), "{field}");
                }
            }
        }
        for role in crate::auth::Role::ALL {
            assert_ne!(Tr { lang: Lang::En }.k("role", role.as_str()), format!("role.{}", role.as_str()));
        }
        assert_eq!(Tr { lang: Lang::En }.s("nav.home"), "Home");
        assert_eq!(Tr { lang: Lang::Zh }.s("nav.home"), "首頁");
    }

    /// Every literal key the templates and page handlers ask for (`s("…")`) has words.
    #[test]
    fn every_literal_key_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut files = Vec::new();
        for dir in ["templates", "pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(entry.unwrap().path());
            }
        }
        let known: std::collections::HashSet<&str> = crate::labels::MESSAGES.iter().map(|m| m.0).collect();
        let mut checked = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for piece in text.split("s(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                if key.contains('.') && !key.contains(' ') && !key.ends_with('.') {
                    assert!(known.contains(key), "{}: no words for {key}", file.display());
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} keys found");
    }
}
