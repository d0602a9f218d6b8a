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

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn number(digits: &[u32]) -> String {
            digits.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect()
        }

        proptest! {
            #[test]
            fn any_text_is_judged_without_panicking(s in "\\PC{0,12}") {
                let _ = problem(&s);
            }

            #[test]
            fn anything_but_eight_ascii_digits_is_refused(s in "[0-9]{0,7}|[0-9]{9,12}|[0-9]{0,7}[^0-9][0-9]{0,7}") {
                prop_assert_eq!(problem(&s), Some("must be exactly 8 digits"));
            }

            /// The last weight is 1: some last digit completes every 7-digit prefix, and a last
            /// digit 5 higher is valid exactly when the lower one is.
            #[test]
            fn the_last_digit_completes_the_checksum(prefix in proptest::collection::vec(0u32..10, 7)) {
                let valid: Vec<u32> = (0..10).filter(|d| {
                    let mut digits = prefix.clone();
                    digits.push(*d);
                    is_valid(&number(&digits))
                }).collect();
                prop_assert!(valid.len() >= 2, "{:?} has no completion", prefix);
                for d in 0..5 {
                    prop_assert_eq!(valid.contains(&d), valid.contains(&(d + 5)));
                }
                // Only the 7th-digit-7 rule lets two residues mod 5 through.
                let residues: std::collections::BTreeSet<u32> = valid.iter().map(|d| d % 5).collect();
                prop_assert_eq!(residues.len(), if prefix[6] == 7 { 2 } else { 1 });
            }
        }
    }
}
