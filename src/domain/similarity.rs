//! How alike two complaints' texts are, for finding repeat and duplicate filings (issue 19).
//!
//! Chinese has no spaces between words and word segmentation needs a dictionary that is never
//! complete for shop names and product models; overlapping character pairs (bigrams) need
//! none and still tell "冷氣安裝後三天故障" from "手機螢幕破裂". Letters and digits are folded
//! (full-width to half-width, lower case); spaces and punctuation are dropped, so a text
//! retyped with other punctuation or a few characters changed stays close.

use std::collections::HashSet;

/// Complaints at least this alike are shown to staff as possible duplicates (Dice coefficient
/// of their character bigrams: 1 the same text, 0 nothing in common).
pub const DUPLICATE_AT: f64 = 0.5;

/// The text's characters as compared: letters and digits folded, the rest of the punctuation
/// and all white space dropped.
fn folded(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            // Full-width ASCII forms (Ａ, １, ．) are the ASCII ones.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars = folded(text);
    match chars.len() {
        0 => HashSet::new(),
        // A one-character text is its own pair.
        1 => HashSet::from([(chars[0], chars[0])]),
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

/// 2·|A∩B| / (|A|+|B|) over the two texts' distinct bigrams; 0 when either has none.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(&b).count() as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILED: &str = "我於十月五日在大發電器行購買冷氣一台，安裝後三天即故障，店家拒絕退貨。";

    #[test]
    fn the_same_complaint_retyped_with_a_few_characters_changed_is_a_duplicate() {
        let retyped = "我在10月5日於大發電器行買了冷氣一台，安裝後三天就故障，店家拒絕退貨！";
        let s = similarity(FILED, retyped);
        assert!(s >= DUPLICATE_AT, "{s}");
        assert!(similarity(FILED, FILED) > 0.999);
    }

    #[test]
    fn another_complaint_against_the_same_business_is_not() {
        let other = "網購手機螢幕破裂，業者不願更換，要求退款。";
        let s = similarity(FILED, other);
        assert!(s < DUPLICATE_AT, "{s}");
        assert_eq!(similarity("", FILED), 0.0);
        assert_eq!(similarity("，。！", FILED), 0.0);
    }

    #[test]
    fn full_width_letters_and_digits_and_spaces_are_folded() {
        assert!(similarity("ＡＢＣ１２３ 型號", "abc123型號") > 0.999);
    }
}
