//! The documents the office issues as PDF. One font, loaded at start-up: the bundled Noto Sans
//! CJK TC (subset to the characters of names) or the one `documents.font_path` names; krilla embeds only the glyphs a
//! document uses, so a certificate stays small and renders in any reader.

pub mod certificate;
mod layout;

use std::sync::Arc;

use anyhow::{Context, anyhow};
use krilla::Data;
use krilla::text::Font;

use crate::config::DocumentSettings;

static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKtc-Names.otf");

/// What documents are drawn with.
#[derive(Clone)]
pub struct Documents {
    font: Font,
    /// The font's bytes and face, to measure text and find what it cannot draw.
    data: Data,
    index: u32,
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
        Ok(Arc::new(Self { font, data, index }))
    }

    /// The font's face, for measuring (it parsed at load, so it parses now).
    fn face(&self) -> Option<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse(self.data.as_ref(), self.index).ok()
    }
}
