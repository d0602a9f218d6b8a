//! The papers the office issues as PDF (issue 15): the forwarding letter, the meeting notice,
//! the mediation record, the certificate of a failed mediation and the case summary. Each is
//! drawn from the records through a template the office can edit (`templates`), numbered in the
//! office's series, stored as issued and attached to the mail that announces it (`issue`).
//!
//! One font, loaded at start-up: the bundled Noto Sans CJK TC (subset to the characters of
//! names) or the one `documents.font_path` names; krilla embeds only the glyphs a document uses,
//! so a document stays small and renders in any reader.

pub mod context;
pub mod gather;
pub mod issue;
pub mod kinds;
mod layout;
pub mod markup;
pub mod store;
pub mod templates;

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use krilla::Data;
use krilla::text::Font;

use crate::config::DocumentSettings;

pub use kinds::Kind;

static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKtc-Names.otf");

/// What documents are drawn with: the font and the templates. Cheap to clone.
#[derive(Clone)]
pub struct Documents {
    font: Font,
    /// The font's bytes and face, to measure text and find what it cannot draw.
    data: Data,
    index: u32,
    templates: Arc<templates::Templates>,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents")
    }
}

impl Documents {
    pub fn load(settings: &DocumentSettings) -> anyhow::Result<Arc<Self>> {
        let (data, index): (Data, u32) = match &settings.font_path {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| format!("reading documents.font_path {path}"))?;
                (bytes.into(), settings.font_index)
            }
            None => (BUNDLED_FONT.into(), 0),
        };
        let font = Font::new(data.clone(), index).ok_or_else(|| match &settings.font_path {
            Some(path) => anyhow!("documents.font_path {path} (face {index}) is not a font"),
            None => anyhow!("the bundled font does not load"),
        })?;
        ttf_parser::Face::parse(data.as_ref(), index).map_err(|e| anyhow!("the documents' font: {e}"))?;
        let templates = templates::Templates::load(Some(&settings.templates_dir))?;
        Ok(Arc::new(Self { font, data, index, templates: Arc::new(templates) }))
    }

    /// The font's face, for measuring (it parsed at load, so it parses now).
    fn face(&self) -> Option<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse(self.data.as_ref(), self.index).ok()
    }

    /// The document as a PDF: its template filled in with `context`, laid out on A4 pages.
    pub fn pdf(&self, kind: Kind, locale: &str, context: &context::Context) -> anyhow::Result<Vec<u8>> {
        let blocks = self.templates.render(kind, locale, context)?;
        let title = format!("{} {} {}", context.document.title, context.case.number, context.document.number);
        layout::render(self, &title, locale, &blocks)
    }
}
