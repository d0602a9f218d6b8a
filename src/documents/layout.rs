//! A plain page layout for the office's documents: a title, labelled fields and paragraphs,
//! wrapped by the font's own advances onto as many A4 pages as they need.

use krilla::Document;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::TextDirection;

use super::Documents;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 64.0;
const BODY: f32 = 12.0;
const LABEL_EMS: f32 = 8.0;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Centred, large.
    Title(String),
    /// Centred, body size (a document number).
    Centred(String),
    /// A label and its value; the value wraps beside the label.
    Field(String, String),
    Paragraph(String),
    /// Right-aligned (a date, a signature).
    Right(String),
    /// A section heading, left, a little larger.
    Heading(String),
    /// A line to sign on for each label, with room above it.
    Signatures(Vec<String>),
    Gap(f32),
    PageBreak,
}

struct Line {
    page: usize,
    x: f32,
    y: f32,
    size: f32,
    text: String,
}

/// How wide text is drawn: the font's advances, in ems.
type Measure<'a> = &'a dyn Fn(char) -> f32;

/// Without a font at hand: each CJK character a full em, ASCII about half.
#[cfg(test)]
fn rough(c: char) -> f32 {
    if c.is_ascii() { 0.56 } else { 1.0 }
}

fn width_with(measure: Measure<'_>, text: &str, size: f32) -> f32 {
    text.chars().map(measure).sum::<f32>() * size
}

/// Breaks `text` into lines no wider than `max` (CJK text breaks anywhere; a Latin word whole
/// when it fits).
fn wrap(measure: Measure<'_>, text: &str, size: f32, max: f32) -> Vec<String> {
    let width = |t: &str, size: f32| width_with(measure, t, size);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for c in paragraph.chars() {
            let mut candidate = line.clone();
            candidate.push(c);
            if width(&candidate, size) > max && !line.is_empty() {
                // Carry a Latin word over whole when the line has room to break before it.
                let carry = if c.is_ascii_alphanumeric() {
                    line.char_indices()
                        .rev()
                        .find(|(_, ch)| !ch.is_ascii_alphanumeric())
                        .map(|(i, ch)| i + ch.len_utf8())
                } else {
                    None
                };
                match carry {
                    Some(i) => {
                        let rest = line.split_off(i);
                        lines.push(std::mem::take(&mut line));
                        line = rest;
                    }
                    None => lines.push(std::mem::take(&mut line)),
                }
            }
            line.push(c);
        }
        lines.push(line);
    }
    lines
}

struct Cursor {
    page: usize,
    y: f32,
    lines: Vec<Line>,
}

impl Cursor {
    fn advance(&mut self, by: f32) {
        self.y += by;
        if self.y > PAGE_H - MARGIN {
            self.page += 1;
            self.y = MARGIN + by;
        }
    }

    fn new_page(&mut self) {
        self.page += 1;
        self.y = MARGIN;
    }

    fn put(&mut self, x: f32, size: f32, text: String) {
        self.lines.push(Line { page: self.page, x, y: self.y, size, text });
    }
}

/// The blocks as a PDF, with `title` in its metadata.
pub fn render(documents: &Documents, title: &str, locale: &str, blocks: &[Block]) -> anyhow::Result<Vec<u8>> {
    let face = documents.face();
    let advance = |c: char| -> Option<f32> {
        let face = face.as_ref()?;
        let glyph = face.glyph_index(c)?;
        Some(f32::from(face.glyph_hor_advance(glyph)?) / f32::from(face.units_per_em()))
    };
    let measure = |c: char| advance(c).unwrap_or(1.0);
    let width = |t: &str, size: f32| width_with(&measure, t, size);
    let wrap = |t: &str, size: f32, max: f32| wrap(&measure, t, size, max);
    // A character the font lacks is drawn as an empty box: say so (never which — it may be a name).
    let missing = blocks
        .iter()
        .flat_map(|b| match b {
            Block::Title(t) | Block::Centred(t) | Block::Paragraph(t) | Block::Right(t) | Block::Heading(t) => {
                vec![t.as_str()]
            }
            Block::Field(l, v) => vec![l.as_str(), v.as_str()],
            Block::Signatures(labels) => labels.iter().map(String::as_str).collect(),
            Block::Gap(_) | Block::PageBreak => vec![],
        })
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace() && advance(*c).is_none())
        .count();
    if missing > 0 {
        tracing::warn!(missing, "a document has characters its font lacks; set documents.font_path to a fuller font");
    }
    let font = &documents.font;
    let inner = PAGE_W - 2.0 * MARGIN;
    let mut c = Cursor { page: 0, y: MARGIN, lines: Vec::new() };
    for block in blocks {
        match block {
            Block::Title(text) => {
                let size = 20.0;
                c.advance(size * 1.6);
                c.put((PAGE_W - width(text, size)) / 2.0, size, text.clone());
            }
            Block::Centred(text) => {
                c.advance(BODY * 1.8);
                c.put((PAGE_W - width(text, BODY)) / 2.0, BODY, text.clone());
            }
            Block::Field(label, value) => {
                let indent = LABEL_EMS * BODY;
                let mut first = true;
                for line in wrap(value, BODY, inner - indent) {
                    c.advance(BODY * 1.8);
                    if first {
                        c.put(MARGIN, BODY, label.clone());
                        first = false;
                    }
                    c.put(MARGIN + indent, BODY, line);
                }
            }
            Block::Paragraph(text) => {
                for line in wrap(text, BODY, inner) {
                    c.advance(BODY * 1.8);
                    c.put(MARGIN, BODY, line);
                }
            }
            Block::Right(text) => {
                c.advance(BODY * 1.8);
                c.put(PAGE_W - MARGIN - width(text, BODY), BODY, text.clone());
            }
            Block::Heading(text) => {
                let size = 14.0;
                c.advance(size * 2.0);
                for line in wrap(text, size, inner) {
                    c.put(MARGIN, size, line);
                    c.advance(size * 1.5);
                }
                c.y -= size * 1.5;
            }
            Block::Signatures(labels) => {
                let line = "_".repeat(36);
                for label in labels {
                    // Room to sign, then the label and the line.
                    c.advance(BODY * 4.0);
                    c.put(MARGIN, BODY, label.clone());
                    c.put(MARGIN + LABEL_EMS * BODY, BODY, line.clone());
                }
            }
            Block::Gap(points) => c.advance(*points),
            Block::PageBreak => c.new_page(),
        }
    }
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title.to_string()).language(locale.to_string()));
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| anyhow::anyhow!("A4 is a page size"))?;
    for page_no in 0..=c.page {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for line in c.lines.iter().filter(|l| l.page == page_no && !l.text.is_empty()) {
            surface.draw_text(
                Point::from_xy(line.x, line.y),
                font.clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| anyhow::anyhow!("the PDF could not be written: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_by_width() {
        let text = "上列當事人間消費爭議事件，經本會調解不成立，特此證明。";
        let lines = wrap(&rough, text, 12.0, 120.0);
        assert!(lines.iter().all(|l| width_with(&rough, l, 12.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.concat(), text);
        assert_eq!(wrap(&rough, "refund requested", 10.0, 70.0), vec!["refund ", "requested"]);
        assert_eq!(wrap(&rough, "甲\n乙", 12.0, 100.0), vec!["甲", "乙"]);
        // A Latin word or number after Chinese moves whole, cut at a character's boundary.
        let mixed = "退還新臺幣15000元與KH115";
        for max in [40.0, 60.0, 80.0, 100.0] {
            assert_eq!(wrap(&rough, mixed, 10.0, max).concat(), mixed);
        }
        assert_eq!(wrap(&rough, "退還新臺幣15000", 10.0, 70.0), vec!["退還新臺幣", "15000"]);
    }

    #[test]
    fn the_bundled_font_measures_and_draws_big5_names() {
        let docs = Documents::load(&crate::config::DocumentSettings {
            font_path: None,
            font_index: 0,
            templates_dir: "config/documents".into(),
        })
        .unwrap();
        let face = docs.face().unwrap();
        for c in "陳美玲堃喆犇".chars() {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
        let blocks = [Block::Title("調解不成立證明書".into()), Block::Paragraph("證".repeat(300))];
        let pdf = render(&docs, "t", "zh-TW", &blocks).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(docs.face().unwrap().glyph_index('\u{2A6D6}').is_none(), "beyond U+9FFF: a fuller font is needed");
    }
}
