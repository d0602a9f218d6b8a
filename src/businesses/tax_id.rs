//! 統一編號 (Unified Business Number): 8 digits, weights 1,2,1,2,1,2,4,1; the digits of each
//! product are summed, and the total must be divisible by 5 — or, when the 7th digit is 7
//! (whose product 28 may count as 1 or 0), the total plus one may be instead.

/// Why a 統編 is not valid, or `None` when it is.
pub fn problem(tax_id: &str) -> Option<&'static str> {
    if tax_id.len() != 8 || !tax_id.bytes().all(|b| b.is_ascii_digit()) {
        return Some("must be exactly 8 digits");
    }
    const WEIGHTS: [u32; 8] = [1, 2, 1, 2, 1, 2, 4, 1];
    let digits: Vec<u32> = tax_id.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| {
            let product = d * w;
            product / 10 + product % 10
        })
        .sum();
    let valid = sum.is_multiple_of(5) || (digits[6] == 7 && (sum + 1).is_multiple_of(5));
    if valid { None } else { Some("fails the 統一編號 checksum") }
}

pub fn is_valid(tax_id: &str) -> bool {
    problem(tax_id).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers() {
        assert!(is_valid("04595257"));
        assert!(is_valid("10458575"));
        // Valid only by the 7th-digit rule: the plain sum is 39.
        assert!(is_valid("00238778"));
    }

    #[test]
    fn invalid_numbers() {
        assert!(!is_valid("12345678"));
        assert!(!is_valid("04595258"));
        assert!(!is_valid("00238788"), "the 7th-digit rule applies only to a 7 in the 7th place");
        assert_eq!(problem("1234567"), Some("must be exactly 8 digits"));
        assert_eq!(problem("1234567a"), Some("must be exactly 8 digits"));
        assert_eq!(problem("１２３４５６７８"), Some("must be exactly 8 digits"));
    }
}
