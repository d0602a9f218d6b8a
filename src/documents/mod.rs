//! The documents the office issues as PDF. One font, loaded at start-up: the bundled Noto Sans
//! CJK TC (subset to the characters of names) or the one `documents.font_path` names; krilla embeds only the glyphs a
//! document uses, so a certificate stays small and renders in any reader.

pub mod certificate;
mod layout;

use std::sync::Arc;

use anyhow::{Context, anyhow};
use krilla::text::Font;

use crate::config::DocumentSettings;

static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKtc-Names.otf");

/// What documents are drawn with.
#[derive(Clone)]
pub struct Documents {
    font: Font,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents")
    }
}

impl Documents {
    pub fn load(settings: &DocumentSettings) -> anyhow::Result<Arc<Self>> {
        let font = match &settings.font_path {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| format!("reading documents.font_path {path}"))?;
                Font::new(bytes.into(), settings.font_index)
                    .ok_or_else(|| anyhow!("documents.font_path {path} (face {}) is not a font", settings.font_index))?
            }
            None => Font::new(BUNDLED_FONT.into(), 0).ok_or_else(|| anyhow!("the bundled font does not load"))?,
        };
        Ok(Arc::new(Self { font }))
    }
}
