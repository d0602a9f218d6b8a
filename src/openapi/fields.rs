//! Schemas of the request fields whose rules the server enforces, for `#[schema(schema_with
//! = ...)]` and `#[param(schema_with = ...)]`: the OpenAPI document states exactly what
//! `validate::Check` accepts, so a client (or Schemathesis) can rely on it both ways.
//!
//! Text is measured as sent (`maxLength` counts characters before trimming, as `Check` does),
//! a required text must hold a character that is not white space, and a blank optional text
//! counts as absent.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

use crate::domain::input::{
    EMAIL_DOMAIN_FORBIDDEN, EMAIL_LOCAL_FORBIDDEN, EMAIL_LOCAL_MAX, EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, PHONE_MAX,
    TextKind,
};

/// What a one-line field refuses: C0 controls, DEL, U+2028 and U+2029 (`validate::is_forbidden_in_line`).
const LINE_FORBIDDEN: &str = r"\u0000-\u001f\u007f\u2028\u2029";
/// What a multi-line field refuses: the same, less CR, LF and the Unicode separators.
const BLOCK_FORBIDDEN: &str = r"\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f";

/// White space as the server trims it (`char::is_whitespace`), spelled out: regex engines
/// disagree on what `\s` holds (U+0085, U+FEFF…), and the pattern must mean one thing.
const WHITE_SPACE: &str = r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn forbidden(kind: TextKind) -> &'static str {
    match kind {
        TextKind::Line => LINE_FORBIDDEN,
        TextKind::Block => BLOCK_FORBIDDEN,
    }
}

/// The pattern of a text field: required ones need a character that is not white space.
pub fn text_pattern(kind: TextKind, required: bool) -> String {
    let f = forbidden(kind);
    if required { format!(r"^[^{f}]*[^{WHITE_SPACE}{f}][^{f}]*$") } else { format!("^[^{f}]*$") }
}

fn text(kind: TextKind, max: usize, required: bool) -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(required, Type::String))
        .max_length(Some(max))
        .pattern(Some(text_pattern(kind, required)))
        .build()
}

/// A required one-line text of at most `MAX` characters.
pub fn line<const MAX: usize>() -> Object {
    text(TextKind::Line, MAX, true)
}

/// An optional one-line text of at most `MAX` characters.
pub fn line_opt<const MAX: usize>() -> Object {
    text(TextKind::Line, MAX, false)
}

/// A one-line text in a list: never `null`; a blank one is dropped.
pub fn line_item<const MAX: usize>() -> Object {
    let mut schema = text(TextKind::Line, MAX, false);
    schema.schema_type = SchemaType::Type(Type::String);
    schema
}

/// A one-line text that may be `null` but not blank: a PATCH field (`null` leaves it as it is).
pub fn line_or_null<const MAX: usize>() -> Object {
    let mut schema = text(TextKind::Line, MAX, true);
    schema.schema_type = nullable(false, Type::String);
    schema
}

/// A required multi-line text of at most `MAX` characters.
pub fn block<const MAX: usize>() -> Object {
    text(TextKind::Block, MAX, true)
}

/// An optional multi-line text of at most `MAX` characters.
pub fn block_opt<const MAX: usize>() -> Object {
    text(TextKind::Block, MAX, false)
}

fn nullable(required: bool, t: Type) -> SchemaType {
    if required { SchemaType::Type(t) } else { SchemaType::from_iter([t, Type::Null]) }
}

/// `chars` for a character class, escaping what some engine reads as an operator there.
fn escaped(chars: &str) -> String {
    chars.chars().map(|c| if "[]\\^-&~|".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// `validate::email_problem` as a pattern.
pub fn email_pattern() -> String {
    let local = format!(r"[^{WHITE_SPACE}{LINE_FORBIDDEN}{}]{{1,{EMAIL_LOCAL_MAX}}}", escaped(EMAIL_LOCAL_FORBIDDEN));
    let label = format!(r"[^{WHITE_SPACE}{LINE_FORBIDDEN}{}]+", escaped(EMAIL_DOMAIN_FORBIDDEN));
    format!(r"^{local}@{label}(?:\.{label})+$")
}

fn email_schema(required: bool) -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(required, Type::String))
        .max_length(Some(EMAIL_MAX))
        .pattern(Some(if required { email_pattern() } else { format!("^$|{}", email_pattern()) }))
        .build()
}

/// A required e-mail address.
pub fn email() -> Object {
    email_schema(true)
}

/// An optional e-mail address (an empty string counts as absent).
pub fn email_opt() -> Object {
    email_schema(false)
}

/// A new password: 10 to 128 characters.
pub fn new_password() -> Object {
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(PASSWORD_MIN)).max_length(Some(PASSWORD_MAX)).build()
}

/// `validate::phone_problem` as a pattern: only spaces counts as absent.
pub fn phone_pattern() -> String {
    r"^(?: *|[ +\-()#]*(?:[0-9][ +\-()#]*){6,20})$".into()
}

/// An optional telephone number.
pub fn phone_opt() -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(false, Type::String))
        .max_length(Some(PHONE_MAX))
        .pattern(Some(phone_pattern()))
        .build()
}

/// A 統一編號: 8 digits (its checksum cannot be said in a pattern; a failing one answers 422
/// `invalid_tax_id`). An empty string counts as absent.
pub fn tax_id_opt() -> Object {
    ObjectBuilder::new().schema_type(nullable(false, Type::String)).pattern(Some("^(?:[0-9]{8})?$")).build()
}

/// One of fixed `values` (stages, statuses, roles…), compared exactly.
pub fn one_of(values: &[&str], required: bool) -> Object {
    let mut values: Vec<serde_json::Value> = values.iter().map(|v| serde_json::Value::from(*v)).collect();
    if !required {
        values.push(serde_json::Value::Null);
    }
    ObjectBuilder::new().schema_type(nullable(required, Type::String)).enum_values(Some(values)).build()
}

/// The free-text search of a list.
pub fn q() -> Object {
    text(TextKind::Line, crate::domain::input::Q_MAX, false)
}

pub fn role() -> Object {
    one_of(&crate::auth::Role::names(), true)
}
pub fn role_opt() -> Object {
    one_of(&crate::auth::Role::names(), false)
}
pub fn locale_opt() -> Object {
    one_of(&crate::auth::LOCALES, false)
}

pub fn action() -> Object {
    one_of(crate::domain::workflow::Action::NAMES, true)
}
pub fn stage_opt() -> Object {
    one_of(crate::domain::workflow::Stage::NAMES, false)
}
pub fn status_opt() -> Object {
    one_of(crate::domain::workflow::Status::NAMES, false)
}
pub fn party_opt() -> Object {
    one_of(&["consumer", "business"], false)
}

pub fn party_required() -> Object {
    one_of(&["consumer", "business"], true)
}

/// An id, written as 8-4-4-4-12 hexadecimal digits.
pub const UUID_PATTERN: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// `me` or a user id (hyphenated), as a filter.
pub fn me_or_id_opt() -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(false, Type::String))
        .pattern(Some(format!("^(?:me|{UUID_PATTERN})$")))
        .build()
}

/// An id written the one way the document promises (8-4-4-4-12 hexadecimal digits).
pub fn hyphenated_uuid(value: &str) -> Option<uuid::Uuid> {
    if value.len() == 36 { uuid::Uuid::try_parse(value).ok() } else { None }
}

/// The reference lists a code field may name. The format names the list; the served document
/// lists its configured codes as the enum (`openapi::with_reference`).
pub const REFERENCE_FORMAT_PREFIX: &str = "reference:";

fn code(list: &str, required: bool) -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(required, Type::String))
        .format(Some(SchemaFormat::Custom(format!("{REFERENCE_FORMAT_PREFIX}{list}"))))
        .build()
}

pub fn category() -> Object {
    code("categories", true)
}
pub fn category_opt() -> Object {
    code("categories", false)
}
pub fn district_opt() -> Object {
    code("districts", false)
}
pub fn jurisdiction_opt() -> Object {
    code("jurisdictions", false)
}
/// A jurisdiction code or `all`.
pub fn jurisdiction_or_all_opt() -> Object {
    code("jurisdictions_or_all", false)
}
pub fn channel() -> Object {
    code("channels", true)
}
pub fn channel_opt() -> Object {
    code("channels", false)
}
pub fn theme() -> Object {
    code("inspection_themes", true)
}
pub fn theme_opt() -> Object {
    code("inspection_themes", false)
}
pub fn education_kind() -> Object {
    code("education_kinds", true)
}
pub fn education_kind_opt() -> Object {
    code("education_kinds", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::input::{is_forbidden_in_block, is_forbidden_in_line};

    /// The documented character classes are exactly the server's, over the whole of Unicode.
    #[test]
    fn patterns_refuse_exactly_what_the_server_refuses() {
        for (kind, refused) in [
            (TextKind::Line, is_forbidden_in_line as fn(char) -> bool),
            (TextKind::Block, is_forbidden_in_block as fn(char) -> bool),
        ] {
            let class = regex::Regex::new(&format!("^[{}]$", forbidden(kind))).unwrap();
            for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
                assert_eq!(class.is_match(c.encode_utf8(&mut [0; 4])), refused(c), "{kind:?} {:?}", c);
            }
        }
    }

    #[test]
    fn white_space_is_what_the_server_trims() {
        let class = regex::Regex::new(&format!("^[{WHITE_SPACE}]$")).unwrap();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(class.is_match(c.encode_utf8(&mut [0; 4])), c.is_whitespace(), "{:?}", c);
        }
    }

    #[test]
    fn required_text_needs_more_than_white_space() {
        let required = regex::Regex::new(&text_pattern(TextKind::Line, true)).unwrap();
        assert!(required.is_match(" 王小明 "));
        assert!(!required.is_match("   "));
        assert!(!required.is_match("Eve\nNewline"));
        let block = regex::Regex::new(&text_pattern(TextKind::Block, true)).unwrap();
        assert!(block.is_match("第一行\r\n第二行"));
        assert!(!block.is_match("tab\there"));
        let optional = regex::Regex::new(&text_pattern(TextKind::Line, false)).unwrap();
        assert!(optional.is_match(""));
    }

    #[test]
    fn email_and_phone_patterns_agree_with_the_server() {
        use crate::domain::input::{email_problem, phone_problem};
        let email = regex::Regex::new(&email_pattern()).unwrap();
        for sample in [
            "a@b.tw",
            "Chen.Mei-Ling+case@mail.kcg.gov.tw",
            "x@例子.台灣",
            "",
            "plain",
            "a@b",
            "@b.tw",
            "a@.tw",
            "a b@c.tw",
            "a@b..tw",
            "a@b.tw.",
            "<a>@b.tw",
            " a@b.tw",
            "a@b.tw\n",
            "a@b_c.tw",
            "a@b@c.tw",
        ] {
            let by_pattern = email.is_match(sample) && sample.chars().count() <= EMAIL_MAX;
            assert_eq!(by_pattern, email_problem(sample).is_none(), "{sample:?}");
        }
        let phone = regex::Regex::new(&phone_pattern()).unwrap();
        for sample in
            ["07-799-5678", "+886 912 345 678", "12345", "call me", "(07) 1234567 #12", "1234567890123456789012"]
        {
            assert_eq!(phone.is_match(sample), phone_problem(sample).is_none(), "{sample:?}");
        }
    }

    mod properties {
        use super::super::*;
        use crate::domain::input::{email_problem, phone_problem};
        use proptest::prelude::*;

        proptest! {
            /// The documented e-mail pattern and the server's rule accept the same addresses,
            /// built from the characters where they could part ways.
            #[test]
            fn the_email_pattern_is_the_servers_rule(s in "[a-z0-9.@_+\\- <>,\u{85}\u{a0}\u{3000}\u{feff}例\t\n\"]{0,24}") {
                let pattern = regex::Regex::new(&email_pattern()).unwrap();
                prop_assert_eq!(pattern.is_match(&s) && s.chars().count() <= EMAIL_MAX, email_problem(&s).is_none(), "{:?}", s);
            }

            #[test]
            fn the_phone_pattern_is_the_servers_rule(s in "[0-9 +\\-()#x]{0,36}") {
                let pattern = regex::Regex::new(&phone_pattern()).unwrap();
                let blank = s.chars().all(|c| c == ' ') && s.chars().count() <= PHONE_MAX;
                let by_pattern = pattern.is_match(&s) && s.chars().count() <= PHONE_MAX;
                prop_assert_eq!(by_pattern, blank || phone_problem(&s).is_none(), "{:?}", s);
            }

            #[test]
            fn the_text_patterns_are_the_servers_rule(s in "[a-z \\t\\n\\r\u{0}\u{7f}\u{85}\u{2028}\u{3000}字]{0,12}") {
                for kind in [TextKind::Line, TextKind::Block] {
                    let required = regex::Regex::new(&text_pattern(kind, true)).unwrap();
                    let optional = regex::Regex::new(&text_pattern(kind, false)).unwrap();
                    let shape_ok = crate::domain::input::text_problem(&s, 100, kind).is_none();
                    prop_assert_eq!(optional.is_match(&s), shape_ok);
                    prop_assert_eq!(required.is_match(&s), shape_ok && !s.trim().is_empty());
                }
            }
        }
    }
}
