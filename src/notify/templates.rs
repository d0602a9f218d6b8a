//! Message templates (minijinja): `{locale}/{kind}.txt` — a `Subject:` line, a blank line,
//! the plain-text body — and `{locale}/layout.html`, which wraps the same paragraphs as HTML
//! (escaped). The shipped files are compiled in; files under `mail.templates_dir` replace them
//! at start-up, so an office edits its wording without a rebuild.

use std::path::Path;

use anyhow::Context;
use minijinja::{AutoEscape, Environment};
use serde_json::Value;

pub use crate::domain::input::LOCALES;

/// Every message the system sends, and its templates compiled in for each language.
macro_rules! kinds {
    ($($kind:literal),* $(,)?) => {
        pub const KINDS: [&str; [$($kind),*].len()] = [$($kind),*];
        const EMBEDDED: &[(&str, &str)] = &[
            $((concat!("zh-TW/", $kind, ".txt"), include_str!(concat!("../../config/templates/zh-TW/", $kind, ".txt"))),)*
            ("zh-TW/layout.html", include_str!("../../config/templates/zh-TW/layout.html")),
            $((concat!("en/", $kind, ".txt"), include_str!(concat!("../../config/templates/en/", $kind, ".txt"))),)*
            ("en/layout.html", include_str!("../../config/templates/en/layout.html")),
        ];
    };
}

kinds![
    "case_filed",
    "case_forwarded",
    "reply_reminder",
    "business_responded",
    "complaint_overdue",
    "overdue_alert",
    "complaint_rejected",
    "second_complaint_received",
    "mediation_applied",
    "application_accepted",
    "correction_requested",
    "application_rejected",
    "meeting_notice",
    "meeting_outcome",
    "meeting_cancelled",
    "proposal_served",
    "deemed_established",
    "establishment_reversed",
    "certificate_issued",
    "document_issued",
    "case_transferred",
    "court_dispatch_overdue",
    "inspection_follow_up_overdue",
    "verify_email",
    "password_reset",
    "password_changed",
    "business_invitation",
    "rating_invited",
    "settlement_follow_up",
];

/// Messages that carry a single-use link: once delivered, the stored copy loses the token.
pub const LINK_KINDS: [&str; 3] = ["verify_email", "password_reset", "business_invitation"];

pub struct Templates {
    env: Environment<'static>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Templates {
    /// The shipped templates, replaced by any found under `dir`. A template that does not
    /// parse is an error naming its file.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // Values are escaped in HTML templates, never in plain text.
        env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
        for (name, source) in EMBEDDED {
            env.add_template_owned(name.to_string(), source.to_string())
                .with_context(|| format!("shipped mail template {name}"))?;
        }
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            for locale in LOCALES {
                let Ok(entries) = std::fs::read_dir(dir.join(locale)) else { continue };
                for entry in entries.filter_map(Result::ok) {
                    let path = entry.path();
                    let Some(file) = path.file_name().and_then(|f| f.to_str()) else { continue };
                    if !(file.ends_with(".txt") || file.ends_with(".html")) {
                        continue;
                    }
                    let source =
                        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    env.add_template_owned(format!("{locale}/{file}"), source)
                        .with_context(|| format!("mail template {}", path.display()))?;
                }
            }
        }
        let templates = Self { env };
        templates.check()?;
        Ok(templates)
    }

    /// Every message renders in every language, with a subject line.
    fn check(&self) -> anyhow::Result<()> {
        for locale in LOCALES {
            for kind in KINDS {
                self.render(locale, kind, &serde_json::json!({}))
                    .with_context(|| format!("mail template {locale}/{kind}"))?;
            }
        }
        Ok(())
    }

    pub fn render(&self, locale: &str, kind: &str, vars: &Value) -> anyhow::Result<Rendered> {
        let locale = if LOCALES.contains(&locale) { locale } else { LOCALES[0] };
        let full = self.env.get_template(&format!("{locale}/{kind}.txt"))?.render(vars)?;
        let (first, rest) = full.split_once('\n').unwrap_or((&full, ""));
        let subject = first
            .strip_prefix("Subject:")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the first line must be `Subject: …`"))?
            // A value put in the subject by an edited template must not become a header of its own.
            .chars()
            .map(|c| if crate::domain::input::is_forbidden_in_line(c) { ' ' } else { c })
            .collect::<String>();
        let text = rest.trim_matches('\n').to_string() + "\n";
        let paragraphs: Vec<Vec<&str>> = text
            .split("\n\n")
            .map(|p| p.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        let mut context = vars.clone();
        if let Some(map) = context.as_object_mut() {
            map.insert("subject".into(), Value::String(subject.clone()));
            map.insert("paragraphs".into(), serde_json::json!(paragraphs));
            map.insert("body".into(), Value::String(text.clone()));
        }
        let own = format!("{locale}/{kind}.html");
        let html_name = if self.env.get_template(&own).is_ok() { own } else { format!("{locale}/layout.html") };
        let html = self.env.get_template(&html_name)?.render(&context)?;
        Ok(Rendered { subject, text, html })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_renders_in_both_languages_and_escapes_html() {
        let t = Templates::load(None).unwrap();
        let vars = serde_json::json!({"case_no": "KH-115-000007", "business_name": "<b>大發</b>", "due_date": "2026年12月11日",
            "recipient_name": "陳美玲", "office_name": "高雄市政府消費者保護官室"});
        let r = t.render("zh-TW", "case_forwarded", &vars).unwrap();
        assert!(r.subject.contains("KH-115-000007") && r.subject.contains("2026年12月11日"));
        assert!(r.text.contains("<b>大發</b>"), "plain text is not escaped");
        assert!(r.html.contains("&lt;b&gt;大發") && !r.html.contains("<b>大發"), "HTML is escaped: {}", r.html);
        assert!(r.html.contains("lang=\"zh-Hant-TW\""));
        let en = t.render("en", "case_forwarded", &vars).unwrap();
        assert!(en.subject.starts_with("Consumer complaint KH-115-000007"));
        assert_eq!(
            t.render("fr", "case_filed", &vars).unwrap().subject,
            t.render("zh-TW", "case_filed", &vars).unwrap().subject
        );
    }

    #[test]
    fn an_office_can_replace_a_template_and_a_broken_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("en")).unwrap();
        std::fs::write(dir.path().join("en/case_filed.txt"), "Subject: Got it: {{ case_no }}\n\nThanks.\n").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(
            t.render("en", "case_filed", &serde_json::json!({"case_no": "X-1"})).unwrap().subject,
            "Got it: X-1"
        );
        std::fs::write(dir.path().join("en/case_filed.txt"), "Subject: {% if %}\n").unwrap();
        let err = format!("{:#}", Templates::load(Some(dir.path())).err().unwrap());
        assert!(err.contains("case_filed.txt"), "{err}");
        std::fs::write(dir.path().join("en/case_filed.txt"), "no subject line\n").unwrap();
        assert!(Templates::load(Some(dir.path())).is_err());
    }
}
