//! Tokeniser for `$filter` expressions.
//!
//! Positions are 0-based character (not byte) offsets into the decoded
//! `$filter` text.

use std::fmt;

use chrono::{DateTime, FixedOffset};

use super::error::ODataError;
use super::value::parse_datetime;

/// A `$filter` token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name: property, function, keyword (`and`, `eq`, `true`, ...).
    Ident(String),
    /// A single-quoted string, with `''` already unescaped.
    Str(String),
    Int(i64),
    Decimal(f64),
    /// An unquoted DateTimeOffset literal, with its source text.
    DateTime(DateTime<FixedOffset>, String),
    /// A typed enum literal `Namespace.Type'member'`.
    Enum {
        type_name: String,
        value: String,
    },
    LParen,
    RParen,
    Comma,
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(name) => write!(f, "'{name}'"),
            Tok::Str(s) => write!(f, "string literal '{}'", s.replace('\'', "''")),
            Tok::Int(i) => write!(f, "'{i}'"),
            Tok::Decimal(d) => write!(f, "'{d}'"),
            Tok::DateTime(_, raw) => write!(f, "'{raw}'"),
            Tok::Enum { type_name, value } => write!(f, "enum literal {type_name}'{value}'"),
            Tok::LParen => f.write_str("'('"),
            Tok::RParen => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
            Tok::End => f.write_str("end of input"),
        }
    }
}

/// A token with the position of its first character.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

fn syntax(position: usize, message: impl Into<String>) -> ODataError {
    ODataError::FilterSyntax {
        position,
        message: message.into(),
    }
}

/// Splits `$filter` text into tokens; the last token is always [`Tok::End`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Spanned>, ODataError> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { chars, i: 0 };
    let mut out = Vec::new();
    loop {
        let tok = lexer.next_token()?;
        let end = tok.tok == Tok::End;
        out.push(tok);
        if end {
            return Ok(out);
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
}

impl Lexer {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn digit_at(&self, i: usize) -> bool {
        self.at(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn next_token(&mut self) -> Result<Spanned, ODataError> {
        while self.at(self.i).is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        let pos = self.i;
        let Some(c) = self.at(pos) else {
            return Ok(Spanned { tok: Tok::End, pos });
        };
        let tok = match c {
            '(' => {
                self.i += 1;
                Tok::LParen
            }
            ')' => {
                self.i += 1;
                Tok::RParen
            }
            ',' => {
                self.i += 1;
                Tok::Comma
            }
            '\'' => Tok::Str(self.string(pos)?),
            c if c.is_ascii_digit() => {
                if self.looks_like_date(pos) {
                    self.datetime(pos)?
                } else {
                    self.number(pos)?
                }
            }
            '-' if self.digit_at(pos + 1) => self.number(pos)?,
            c if c.is_ascii_alphabetic() || c == '_' => self.ident_or_enum(pos)?,
            '/' => return Err(syntax(
                pos,
                "unexpected character '/': property paths and lambda operators are not supported",
            )),
            other => return Err(syntax(pos, format!("unexpected character '{other}'"))),
        };
        Ok(Spanned { tok, pos })
    }

    /// Reads a single-quoted string starting at `start` (the opening quote).
    fn string(&mut self, start: usize) -> Result<String, ODataError> {
        let mut out = String::new();
        let mut i = start + 1;
        loop {
            match self.at(i) {
                None => {
                    return Err(syntax(
                        start,
                        "unterminated string literal: expected a closing quote (')",
                    ))
                }
                Some('\'') if self.at(i + 1) == Some('\'') => {
                    out.push('\'');
                    i += 2;
                }
                Some('\'') => {
                    self.i = i + 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    /// `dddd-dd-dd` at `i`.
    fn looks_like_date(&self, i: usize) -> bool {
        (0..4).all(|k| self.digit_at(i + k))
            && self.at(i + 4) == Some('-')
            && self.digit_at(i + 5)
            && self.digit_at(i + 6)
            && self.at(i + 7) == Some('-')
            && self.digit_at(i + 8)
            && self.digit_at(i + 9)
    }

    fn datetime(&mut self, start: usize) -> Result<Tok, ODataError> {
        let mut i = start;
        let mut raw = String::new();
        while let Some(c) = self.at(i) {
            if c.is_ascii_digit() || matches!(c, ':' | '.' | '-' | '+' | 'T' | 't' | 'Z' | 'z') {
                raw.push(c);
                i += 1;
            } else {
                break;
            }
        }
        // A '+' of a numeric offset that arrived unencoded in the URL was decoded
        // to a space: accept "...T10:00:00 01:00" as "...T10:00:00+01:00".
        let has_offset = raw.ends_with(['Z', 'z'])
            || raw
                .get(19..)
                .is_some_and(|tail| tail.contains('+') || tail.contains('-'));
        if !has_offset
            && raw.contains(['T', 't'])
            && self.at(i) == Some(' ')
            && self.digit_at(i + 1)
            && self.digit_at(i + 2)
            && self.at(i + 3) == Some(':')
            && self.digit_at(i + 4)
            && self.digit_at(i + 5)
        {
            raw.push('+');
            raw.extend((i + 1..i + 6).filter_map(|k| self.at(k)));
            i += 6;
        }
        self.i = i;
        match parse_datetime(&raw) {
            Some(dt) => Ok(Tok::DateTime(dt, raw)),
            None => Err(syntax(
                start,
                format!(
                    "invalid DateTimeOffset literal '{raw}': expected a value like 2025-10-15T15:54:58Z"
                ),
            )),
        }
    }

    fn number(&mut self, start: usize) -> Result<Tok, ODataError> {
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        while self.digit_at(i) {
            i += 1;
        }
        let mut is_decimal = false;
        if self.at(i) == Some('.') && self.digit_at(i + 1) {
            is_decimal = true;
            i += 1;
            while self.digit_at(i) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            if self.digit_at(j) {
                is_decimal = true;
                i = j;
                while self.digit_at(i) {
                    i += 1;
                }
            }
        }
        if self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            // Something like a GUID or "12abc": report the whole run.
            while self
                .at(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                i += 1;
            }
            let raw: String = self
                .chars
                .get(start..i)
                .unwrap_or_default()
                .iter()
                .collect();
            return Err(syntax(
                start,
                format!("invalid literal '{raw}': strings must be enclosed in single quotes"),
            ));
        }
        let raw: String = self
            .chars
            .get(start..i)
            .unwrap_or_default()
            .iter()
            .collect();
        self.i = i;
        if !is_decimal {
            if let Ok(n) = raw.parse::<i64>() {
                return Ok(Tok::Int(n));
            }
        }
        match raw.parse::<f64>() {
            Ok(d) if d.is_finite() => Ok(Tok::Decimal(d)),
            _ => Err(syntax(
                start,
                format!("numeric literal '{raw}' is out of range"),
            )),
        }
    }

    fn ident_or_enum(&mut self, start: usize) -> Result<Tok, ODataError> {
        let mut i = start;
        loop {
            while self
                .at(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                i += 1;
            }
            // Qualified names (namespace.type) continue after a dot.
            if self.at(i) == Some('.')
                && self
                    .at(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            {
                i += 1;
            } else {
                break;
            }
        }
        let name: String = self
            .chars
            .get(start..i)
            .unwrap_or_default()
            .iter()
            .collect();
        if self.at(i) == Some('\'') {
            self.i = i;
            let value = self.string(i)?;
            return Ok(Tok::Enum {
                type_name: name,
                value,
            });
        }
        self.i = i;
        Ok(Tok::Ident(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text)
            .expect("tokenize")
            .into_iter()
            .map(|s| s.tok)
            .collect()
    }

    fn err(text: &str) -> String {
        tokenize(text).expect_err("should fail").to_string()
    }

    #[test]
    fn basic_tokens_and_positions() {
        let spanned = tokenize("name eq 'x'").expect("tokenize");
        let positions: Vec<usize> = spanned.iter().map(|s| s.pos).collect();
        assert_eq!(positions, vec![0, 5, 8, 11]);
        assert_eq!(
            toks("contains(a,'b')"),
            vec![
                Tok::Ident("contains".into()),
                Tok::LParen,
                Tok::Ident("a".into()),
                Tok::Comma,
                Tok::Str("b".into()),
                Tok::RParen,
                Tok::End
            ]
        );
    }

    #[test]
    fn strings_with_escaped_quotes() {
        assert_eq!(toks("'it''s'"), vec![Tok::Str("it's".into()), Tok::End]);
        assert_eq!(toks("''''"), vec![Tok::Str("'".into()), Tok::End]);
        assert_eq!(toks("''"), vec![Tok::Str(String::new()), Tok::End]);
        assert_eq!(
            err("a eq 'abc"),
            "Syntax error in $filter at position 5: unterminated string literal: expected a closing quote (')"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("1 -2 3.5 1e3 -0.25"),
            vec![
                Tok::Int(1),
                Tok::Int(-2),
                Tok::Decimal(3.5),
                Tok::Decimal(1000.0),
                Tok::Decimal(-0.25),
                Tok::End
            ]
        );
        assert_eq!(
            toks("99999999999999999999"),
            vec![Tok::Decimal(1e20), Tok::End]
        );
        assert_eq!(
            err("id eq 3fa85f64-5717"),
            "Syntax error in $filter at position 6: invalid literal '3fa85f64-5717': strings must be enclosed in single quotes"
        );
    }

    #[test]
    fn datetimes() {
        let t = toks("2025-10-15T15:54:58.4862768Z)");
        assert!(matches!(&t[0], Tok::DateTime(dt, raw)
            if raw == "2025-10-15T15:54:58.4862768Z" && dt.timestamp_subsec_nanos() == 486_276_800));
        assert_eq!(t[1], Tok::RParen);
        let t = toks("2025-10-15T15:54:58-05:00");
        assert!(matches!(&t[0], Tok::DateTime(_, raw) if raw == "2025-10-15T15:54:58-05:00"));
        // '+' decoded to a space.
        let t = toks("2025-10-15T15:54:58 01:00 and");
        assert!(matches!(&t[0], Tok::DateTime(_, raw) if raw == "2025-10-15T15:54:58+01:00"));
        assert_eq!(t[1], Tok::Ident("and".into()));
        let t = toks("0001-01-01T00:00:00Z");
        assert!(matches!(&t[0], Tok::DateTime(..)));
        assert_eq!(
            err("d gt 2025-10-15"),
            "Syntax error in $filter at position 5: invalid DateTimeOffset literal '2025-10-15': expected a value like 2025-10-15T15:54:58Z"
        );
        assert_eq!(
            err("d gt 2025-13-45T00:00:00Z"),
            "Syntax error in $filter at position 5: invalid DateTimeOffset literal '2025-13-45T00:00:00Z': expected a value like 2025-10-15T15:54:58Z"
        );
    }

    #[test]
    fn enum_literals() {
        assert_eq!(
            toks("microsoft.graph.security.securityCopilot.evaluationState'completed'"),
            vec![
                Tok::Enum {
                    type_name: "microsoft.graph.security.securityCopilot.evaluationState".into(),
                    value: "completed".into()
                },
                Tok::End
            ]
        );
    }

    #[test]
    fn bad_characters() {
        assert_eq!(
            err("a eq @p"),
            "Syntax error in $filter at position 5: unexpected character '@'"
        );
        assert_eq!(
            err("a/b eq 1"),
            "Syntax error in $filter at position 1: unexpected character '/': property paths and lambda operators are not supported"
        );
        // Positions count characters, not bytes.
        assert_eq!(
            err("'é' eq ~"),
            "Syntax error in $filter at position 7: unexpected character '~'"
        );
    }
}
