//! Rust names from wire names: one rule, applied to every generated identifier.
//!
//! A name is a function of the wire name alone, never of document order or of what else the
//! document declares, so adding or removing other properties, types or members never renames an
//! existing Rust item, and two wire names never share a Rust name:
//!
//! - a **conventional** wire name (ASCII, starts with a lower-case letter, and is exactly the
//!   lowerCamel spelling of its own snake_case form: `displayName`, `ipv4Address`) gets the plain
//!   name (`display_name`, `DisplayName`);
//! - any **other spelling** (`DisplayName`, `display_name`, `@odata.etag`, `2fa`) gets the plain
//!   name of its sanitized form plus a suffix derived from its own spelling (`display_name_h6c1e2a`):
//!   a conventional name never ends in such a suffix, so the two cannot meet;
//! - a plain name that is a Rust keyword (any edition, `self`/`Self`/`crate`/`super` included), a
//!   std prelude type, or a name the generated code itself defines on that item (accessors,
//!   helpers, handle methods) gets a trailing `_` (`type_`, `Result_`), which no other rule
//!   produces.
//!
//! The generator then checks the result (valid identifier, no two wire names on one Rust name)
//! and reports a failure at the CSDL element, never as a compile error in `$OUT_DIR`.

use heck::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};

/// Every Rust keyword (strict, reserved and weak, all editions).
pub const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "Self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "gen",
    "macro",
    "override",
    "priv",
    "try",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "union",
    "raw",
    "safe",
    "macro_rules",
    "static",
    "_",
];

/// Type names that generated code uses unqualified or that the crate defines next to models.
pub const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Into",
    "Iterator",
    "ToString",
    "ToOwned",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Debug",
    "Hash",
    "AsRef",
    "Page",
    "FlagSet",
    "ODataError",
    "FieldList",
    "Client",
    "Error",
    "Unrecognized",
];

/// Whether `wire` is the conventional lowerCamel spelling (`displayName`).
pub fn is_conventional(wire: &str) -> bool {
    wire.starts_with(|c: char| c.is_ascii_lowercase())
        && wire.chars().all(|c| c.is_ascii_alphanumeric())
        && wire.to_snake_case().to_lower_camel_case() == wire
}

/// A short suffix derived from the spelling alone (FNV-1a, 24 bits, hex).
pub fn spelling_suffix(wire: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in wire.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("h{:06x}", (hash ^ (hash >> 24)) & 0x00ff_ffff)
}

fn sanitized(wire: &str) -> String {
    wire.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The snake_case name of a wire name (fields, accessors, methods), `reserved` being the names
/// the generated code defines on the same item.
pub fn snake_name(wire: &str, reserved: &[&str]) -> String {
    if is_conventional(wire) {
        let snake = wire.to_snake_case();
        if KEYWORDS.contains(&snake.as_str()) || reserved.contains(&snake.as_str()) {
            format!("{snake}_")
        } else {
            snake
        }
    } else {
        let mut base = sanitized(wire).to_snake_case();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
            base = format!("n_{base}");
        }
        format!("{}_{}", base.trim_end_matches('_'), spelling_suffix(wire))
    }
}

/// The UpperCamelCase name of a wire name (types, variants), `reserved` being the names the
/// generated code defines in the same scope.
pub fn camel_name(wire: &str, reserved: &[&str]) -> String {
    if is_conventional(wire) {
        let camel = wire.to_upper_camel_case();
        if KEYWORDS.contains(&camel.as_str()) || reserved.contains(&camel.as_str()) {
            format!("{camel}_")
        } else {
            camel
        }
    } else {
        let mut base = sanitized(wire).to_upper_camel_case();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
            base = format!("N{base}");
        }
        format!("{base}_{}", spelling_suffix(wire))
    }
}

/// The module path (below `models`) of a namespace other than the API's own:
/// `microsoft.graph` → `graph`, `microsoft.graph.security` → `graph::security`.
pub fn namespace_module(namespace: &str) -> Vec<String> {
    namespace
        .split('.')
        .skip(1)
        .map(|segment| snake_name(segment, &[]))
        .collect()
}

/// The name of a model type: [`camel_name`] with [`RESERVED_TYPES`] reserved.
pub fn type_name(wire: &str) -> String {
    camel_name(wire, RESERVED_TYPES)
}

/// The name of an enum variant: [`camel_name`] with the catch-all `Unrecognized` reserved.
pub fn variant_name(wire: &str) -> String {
    camel_name(wire, &["Unrecognized"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names_are_plain() {
        assert_eq!(snake_name("displayName", &[]), "display_name");
        assert_eq!(snake_name("ipv4Address", &[]), "ipv4_address");
        assert_eq!(camel_name("evaluationState", &[]), "EvaluationState");
    }

    #[test]
    fn other_spellings_get_a_suffix_of_their_own() {
        let a = snake_name("DisplayName", &[]);
        let b = snake_name("display_name", &[]);
        assert!(a.starts_with("display_name_h"), "{a}");
        assert!(b.starts_with("display_name_h"), "{b}");
        assert_ne!(a, b);
        assert_ne!(a, snake_name("displayName", &[]));
    }

    #[test]
    fn keywords_and_reserved_names_get_an_underscore() {
        for keyword in ["type", "self", "crate", "super", "async", "gen", "try"] {
            let name = snake_name(keyword, &[]);
            assert_eq!(name, format!("{keyword}_"));
        }
        assert_eq!(camel_name("self", &[]), "Self_");
        assert_eq!(type_name("result"), "Result_");
        assert_eq!(type_name("option"), "Option_");
        assert_eq!(variant_name("error"), "Error");
        assert_eq!(variant_name("unrecognized"), "Unrecognized_");
        assert_eq!(snake_name("new", &["new"]), "new_");
    }
}
