//! Document templates (minijinja, then the line markup of `markup`): `{locale}/{kind}.txt`.
//! The shipped files are compiled in; files under `documents.templates_dir` replace them at
//! start-up, so an office edits its letterhead, wording and signature block without a rebuild.
//! A template that does not parse, names a directive or a variable that does not exist, or
//! does not render with every variable set, stops the start with its file and line.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use minijinja::{Environment, UndefinedBehavior};

use super::context::Context;
use super::kinds::Kind;
use super::layout::Block;
use super::markup;

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        const SHIPPED: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../config/documents/", $name))),)*
        ];
    };
}

shipped![
    "zh-TW/forward_letter.txt",
    "zh-TW/meeting_notice.txt",
    "zh-TW/mediation_record.txt",
    "zh-TW/certificate.txt",
    "zh-TW/case_summary.txt",
    "en/meeting_notice.txt",
    "en/certificate.txt",
    "en/case_summary.txt",
];

pub struct Templates {
    env: Environment<'static>,
}

fn name(locale: &str, kind: Kind) -> String {
    format!("{locale}/{}.txt", kind.as_str())
}

impl Templates {
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // A misspelt variable is an error, not an empty space on an official letter.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_formatter(|out, _state, value| {
            let text = if value.is_none() { String::new() } else { value.to_string() };
            out.write_str(&markup::fence(&text)).map_err(minijinja::Error::from)
        });
        let mut add = |file: String, label: String, source: String| -> anyhow::Result<()> {
            markup::check_source(&source).map_err(|e| anyhow!("document template {label}, {e}"))?;
            env.add_template_owned(file, source).with_context(|| format!("document template {label}"))
        };
        for (file, source) in SHIPPED {
            add(file.to_string(), format!("(shipped) {file}"), source.to_string())?;
        }
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            for kind in Kind::ALL {
                for locale in kind.locales() {
                    let path = dir.join(locale).join(format!("{}.txt", kind.as_str()));
                    if !path.is_file() {
                        continue;
                    }
                    let source =
                        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    add(name(locale, kind), path.display().to_string(), source)?;
                }
            }
        }
        let templates = Self { env };
        templates.check()?;
        Ok(templates)
    }

    /// Every kind renders in each of its languages with every variable set.
    fn check(&self) -> anyhow::Result<()> {
        for kind in Kind::ALL {
            for locale in kind.locales() {
                let sample = Context::sample(kind, locale);
                self.render(kind, locale, &sample)
                    .with_context(|| format!("document template {}", name(locale, kind)))?;
            }
        }
        Ok(())
    }

    pub fn render(&self, kind: Kind, locale: &str, context: &Context) -> anyhow::Result<Vec<Block>> {
        let template = self.env.get_template(&name(locale, kind))?;
        let text = template.render(context)?;
        markup::parse(&text).map_err(|e| anyhow!(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_template_renders() {
        let t = Templates::load(None).unwrap();
        let sample = Context::sample(Kind::Certificate, "zh-TW");
        let blocks = t.render(Kind::Certificate, "zh-TW", &sample).unwrap();
        assert!(blocks.iter().any(|b| matches!(b, Block::Title(t) if t == "調解不成立證明書")), "{blocks:?}");
    }

    #[test]
    fn an_office_template_replaces_the_shipped_one_and_a_wrong_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("zh-TW")).unwrap();
        let file = dir.path().join("zh-TW/case_summary.txt");
        std::fs::write(&file, "@title 本市消保官室案件摘要\n@field 案號 | {{ case.number }}\n").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let blocks = t.render(Kind::CaseSummary, "zh-TW", &Context::sample(Kind::CaseSummary, "zh-TW")).unwrap();
        assert!(matches!(&blocks[0], Block::Title(t) if t == "本市消保官室案件摘要"));

        std::fs::write(&file, "@title 摘要\n\n{{ case.numbr }}\n").unwrap();
        let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
        assert!(err.contains("case_summary.txt") && err.contains(":3"), "the file and line 3: {err}");

        std::fs::write(&file, "@title 摘要\n{% if %}\n").unwrap();
        let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
        assert!(err.contains("case_summary.txt") && err.contains(":2"), "{err}");

        std::fs::write(&file, "@title 摘要\n@signature 申請人\n").unwrap();
        let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
        assert!(err.contains("case_summary.txt") && err.contains("line 2"), "{err}");
    }
}
