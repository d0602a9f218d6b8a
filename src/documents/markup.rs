//! The line markup of document templates. After minijinja has filled in the values, each line
//! is a block: `@title …`, `@center …`, `@heading …`, `@field label | value`, `@right …`,
//! `@gap points`, `@signatures label | label…`, `@page`; any other line is a paragraph and a
//! blank line a small gap. Values are fenced while they are filled in (see `fence`), so a
//! value can never start a directive or split a field, and a value's own line breaks stay
//! inside its block.

use super::layout::Block;

/// Opens and closes a filled-in value (private-use characters no template holds).
pub const OPEN: char = '\u{E000}';
pub const CLOSE: char = '\u{E001}';
/// A line break inside a value.
const BREAK: char = '\u{2028}';

pub const DIRECTIVES: [&str; 8] = ["title", "center", "heading", "field", "right", "gap", "signatures", "page"];

/// A value as it is written into the template's output: fenced, its line breaks kept apart
/// from the template's, and stripped of the fence characters it may itself contain.
pub fn fence(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 6);
    out.push(OPEN);
    for c in value.chars() {
        match c {
            OPEN | CLOSE => {}
            '\r' => {}
            '\n' => out.push(BREAK),
            c => out.push(c),
        }
    }
    out.push(CLOSE);
    out
}

/// The text as printed: fences removed, a value's line breaks restored.
fn unfence(text: &str) -> String {
    text.chars()
        .filter(|c| *c != OPEN && *c != CLOSE)
        .map(|c| if c == BREAK { '\n' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Splits on `|` outside fenced values.
fn split_bars(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            OPEN => depth += 1,
            CLOSE => depth = depth.saturating_sub(1),
            '|' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts.iter().map(|p| unfence(p)).collect()
}

/// Checks a template's source: every line that starts a directive names a known one, with the
/// argument it needs. Errors say the line (1-based).
pub fn check_source(source: &str) -> Result<(), String> {
    for (i, line) in source.lines().enumerate() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix('@') else { continue };
        let (name, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if !DIRECTIVES.contains(&name) {
            return Err(format!(
                "line {}: unknown directive @{name} (known: {})",
                i + 1,
                DIRECTIVES.map(|d| format!("@{d}")).join(", ")
            ));
        }
        if name == "gap"
            && !arg.contains("{{")
            && arg.trim().parse::<f32>().map_or(true, |p| !(0.0..=400.0).contains(&p))
        {
            return Err(format!("line {}: @gap needs a number of points from 0 to 400", i + 1));
        }
        if name == "field" && !arg.contains('|') {
            return Err(format!("line {}: @field needs `label | value`", i + 1));
        }
    }
    Ok(())
}

/// The blocks of a filled-in template.
pub fn parse(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            blocks.push(Block::Gap(8.0));
            continue;
        }
        let Some(rest) = trimmed.strip_prefix('@') else {
            blocks.push(Block::Paragraph(unfence(trimmed)));
            continue;
        };
        let (name, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let block =
            match name {
                "title" => Block::Title(unfence(arg)),
                "center" => Block::Centred(unfence(arg)),
                "heading" => Block::Heading(unfence(arg)),
                "right" => Block::Right(unfence(arg)),
                "field" => {
                    let mut parts = split_bars(arg);
                    let label = parts.remove(0);
                    Block::Field(label, parts.join("|"))
                }
                "gap" => {
                    Block::Gap(unfence(arg).parse::<f32>().ok().filter(|p| (0.0..=400.0).contains(p)).ok_or_else(
                        || format!("@gap needs a number of points from 0 to 400, not {:?}", unfence(arg)),
                    )?)
                }
                "signatures" => Block::Signatures(split_bars(arg).into_iter().filter(|l| !l.is_empty()).collect()),
                "page" => Block::PageBreak,
                other => return Err(format!("unknown directive @{other}")),
            };
        blocks.push(block);
    }
    // Gaps at the end draw nothing; several blank lines are one gap.
    while matches!(blocks.last(), Some(Block::Gap(_))) {
        blocks.pop();
    }
    blocks.dedup_by(|a, b| matches!((a, b), (Block::Gap(x), Block::Gap(y)) if x == y && *x == 8.0));
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_become_blocks_and_values_stay_values() {
        let value = fence("@title 假標題 | 第二欄\n第二行");
        let text = format!(
            "@title 證明書\n@field 申請人 | {value}\n\n{value}\n@gap 12\n@signatures 申請人 | 相對人\n@gap 9\n"
        );
        let blocks = parse(&text).unwrap();
        assert_eq!(blocks.len(), 6, "{blocks:?}");
        assert!(matches!(&blocks[0], Block::Title(t) if t == "證明書"));
        assert!(
            matches!(&blocks[1], Block::Field(l, v) if l == "申請人" && v == "@title 假標題 | 第二欄\n第二行"),
            "a value with a bar and a line break stays one value: {:?}",
            blocks[1]
        );
        assert!(matches!(&blocks[3], Block::Paragraph(p) if p.starts_with("@title")), "never a directive");
        assert!(matches!(&blocks[4], Block::Gap(g) if *g == 12.0));
        assert!(
            matches!(&blocks[5], Block::Signatures(s) if s == &["申請人", "相對人"]),
            "a trailing gap draws nothing"
        );
    }

    #[test]
    fn a_wrong_directive_is_named_with_its_line() {
        assert_eq!(check_source("@title A\n\n@titel B\n").unwrap_err().split(':').next(), Some("line 3"));
        assert!(check_source("@gap lots\n").unwrap_err().starts_with("line 1"));
        assert!(check_source("@field no bar\n").is_err());
        assert!(check_source("@gap {{ n }}\n@field a | b\nemail@example.org\n").is_ok());
    }
}
