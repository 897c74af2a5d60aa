//! The one rule that turns wire names into Rust names ([`graph_odata_csdl::rust_names`], shared
//! with the operations walk), plus the identifier check that needs `syn`.

pub use graph_odata_csdl::rust_names::*;

/// Whether `text` is a valid Rust identifier that `quote`/`syn` accept.
pub fn is_valid_identifier(text: &str) -> bool {
    syn::parse_str::<syn::Ident>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_gives_a_valid_identifier() {
        assert!(is_valid_identifier(&snake_name("@odata.etag", &[])));
        assert!(is_valid_identifier(&snake_name("2fa", &[])));
        assert!(is_valid_identifier(&camel_name("2fa", &[])));
        assert!(is_valid_identifier(&camel_name("", &[])));
        for keyword in ["type", "self", "crate", "super", "async", "gen", "try"] {
            let name = snake_name(keyword, &[]);
            assert!(is_valid_identifier(&name), "{name}");
        }
    }
}
