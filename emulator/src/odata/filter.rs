//! `$filter`: abstract syntax tree, recursive-descent parser with type
//! checking against an [`EntityShape`], and evaluation against JSON entities.
//!
//! Grammar (lowest to highest precedence):
//!
//! ```text
//! or_expr   := and_expr ( "or" and_expr )*
//! and_expr  := not_expr ( "and" not_expr )*
//! not_expr  := "not" not_expr | cmp_expr
//! cmp_expr  := primary ( ("eq"|"ne"|"gt"|"ge"|"lt"|"le") primary
//!                      | "in" "(" primary ( "," primary )* ")" )*
//! primary   := "(" or_expr ")" | literal | function "(" args ")" | property
//! ```
//!
//! Note that, unlike the OData ABNF (where `not` binds tighter than the
//! comparison operators), `not name eq 'x'` means `not (name eq 'x')`.
//! Keywords are case-sensitive (lowercase), as in the OData ABNF.
//!
//! Limits: the text may be at most [`MAX_QUERY_OPTION_LENGTH`] characters
//! and nest at most [`MAX_FILTER_DEPTH`] deep, counting both the parser's
//! descent (parentheses, function calls, `not`) and the height of the tree
//! (so a long `a and b and c ...` chain counts too). Parsing checks the depth
//! before it descends, and every later walk over the tree (evaluation,
//! `Display`, drop) is bounded by the same depth, so no input can exhaust the
//! stack; anything deeper is a 400 naming the limit.

use std::fmt;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Map, Value};

use super::error::ODataError;
use super::lexer::{tokenize, Spanned, Tok};
use super::query::MAX_QUERY_OPTION_LENGTH;
use super::shape::{EntityShape, PropertyKind};
use super::value::{compare, equals, parse_datetime, Val};

/// The deepest a `$filter` may nest: parentheses, function calls, `not`, and
/// the height of `and`/`or`/comparison trees all count. Graph itself rejects
/// far shallower filters; real ones nest a handful deep.
pub const MAX_FILTER_DEPTH: usize = 100;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    /// The OData keyword, e.g. `eq`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

/// A built-in function supported in `$filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `contains(string, substring)` → boolean
    Contains,
    /// `startswith(string, prefix)` → boolean
    StartsWith,
    /// `endswith(string, suffix)` → boolean
    EndsWith,
    /// `tolower(string)` → string
    ToLower,
    /// `toupper(string)` → string
    ToUpper,
}

impl Function {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "contains" => Self::Contains,
            "startswith" => Self::StartsWith,
            "endswith" => Self::EndsWith,
            "tolower" => Self::ToLower,
            "toupper" => Self::ToUpper,
            _ => return None,
        })
    }

    /// The OData function name, e.g. `contains`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contains => "contains",
            Self::StartsWith => "startswith",
            Self::EndsWith => "endswith",
            Self::ToLower => "tolower",
            Self::ToUpper => "toupper",
        }
    }

    fn arity(self) -> usize {
        match self {
            Self::Contains | Self::StartsWith | Self::EndsWith => 2,
            Self::ToLower | Self::ToUpper => 1,
        }
    }
}

/// A literal value in a `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Boolean(bool),
    /// An integer such as `42` or `-7`.
    Int(i64),
    /// A decimal such as `1.5` or `1e3`.
    Decimal(f64),
    /// A single-quoted string (unescaped).
    String(String),
    /// An unquoted DateTimeOffset, or a quoted string compared with a
    /// DateTimeOffset property.
    DateTimeOffset(DateTime<FixedOffset>),
    /// A typed enum literal such as
    /// `microsoft.graph.security.securityCopilot.evaluationState'completed'`.
    Enum {
        /// The qualified enum type name as written.
        type_name: String,
        /// The member name.
        value: String,
    },
}

/// A parsed, type-checked `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// A property of the entity, with its declared kind.
    Property {
        /// The property name.
        name: String,
        /// The kind from the [`EntityShape`].
        kind: PropertyKind,
    },
    /// `left op right`
    Compare {
        /// The operator.
        op: CompareOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `operand in (list...)`
    In {
        /// The tested value.
        operand: Box<Expr>,
        /// The candidate values.
        list: Vec<Expr>,
    },
    /// `left and right`
    And(Box<Expr>, Box<Expr>),
    /// `left or right`
    Or(Box<Expr>, Box<Expr>),
    /// `not operand`
    Not(Box<Expr>),
    /// A function call.
    Call {
        /// The function.
        function: Function,
        /// Its arguments (count already checked).
        args: Vec<Expr>,
    },
}

fn write_string_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write!(f, "'{}'", s.replace('\'', "''"))
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Decimal(d) => write!(f, "{d:?}"),
            Literal::String(s) => write_string_literal(f, s),
            Literal::DateTimeOffset(dt) => {
                f.write_str(&dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            Literal::Enum { type_name, value } => {
                f.write_str(type_name)?;
                write_string_literal(f, value)
            }
        }
    }
}

/// Canonical OData text: every binary operation is parenthesised, so the
/// text is unambiguous and independent of the whitespace of the input.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(lit) => write!(f, "{lit}"),
            Expr::Property { name, .. } => f.write_str(name),
            Expr::Compare { op, left, right } => {
                write!(f, "({left} {} {right})", op.keyword())
            }
            Expr::In { operand, list } => {
                write!(f, "({operand} in (")?;
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("))")
            }
            Expr::And(l, r) => write!(f, "({l} and {r})"),
            Expr::Or(l, r) => write!(f, "({l} or {r})"),
            Expr::Not(e) => write!(f, "(not {e})"),
            Expr::Call { function, args } => {
                write!(f, "{}(", function.name())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// A parsed `$filter`: the expression plus the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The decoded `$filter` text as received.
    pub text: String,
    /// The parsed expression.
    pub expr: Expr,
}

impl Filter {
    /// Parses and type-checks a decoded `$filter` value against `shape`.
    ///
    /// Errors: [`ODataError::FilterSyntax`] (with the character position and
    /// what was expected), [`ODataError::UnknownProperty`], and
    /// [`ODataError::FilterType`] for ill-typed expressions such as
    /// `createdDateTime eq 5` or `contains(isEnabled,'x')`.
    pub fn parse(text: &str, shape: &EntityShape) -> Result<Self, ODataError> {
        let end_pos = text.chars().count();
        if end_pos > MAX_QUERY_OPTION_LENGTH {
            return Err(ODataError::LimitExceeded {
                option: "$filter".to_owned(),
                limit: "length",
                max: MAX_QUERY_OPTION_LENGTH,
            });
        }
        let toks = tokenize(text)?;
        let mut parser = Parser {
            toks,
            idx: 0,
            nesting: 0,
            end: Spanned {
                tok: Tok::End,
                pos: end_pos,
            },
            shape,
        };
        let typed = parser.parse_or()?;
        let next = parser.peek();
        if next.tok != Tok::End {
            let message = if matches!(&next.tok, Tok::Ident(w) if is_unsupported_operator(w)) {
                format!("operator {} is not supported", next.tok)
            } else {
                format!(
                    "expected 'and', 'or', a comparison operator or end of input but found {}",
                    next.tok
                )
            };
            return Err(syntax(next.pos, message));
        }
        if !typed.ty.is_boolean_like() {
            return Err(type_error(
                typed.pos,
                format!(
                    "the $filter expression must be a boolean expression but is of type {}",
                    typed.ty
                ),
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            expr: typed.expr,
        })
    }

    /// Whether `entity` satisfies the filter (a null result counts as false).
    pub fn matches(&self, entity: &Map<String, Value>) -> bool {
        matches!(eval(&self.expr, entity), Val::Bool(true))
    }
}

fn syntax(position: usize, message: impl Into<String>) -> ODataError {
    ODataError::FilterSyntax {
        position,
        message: message.into(),
    }
}

fn type_error(position: usize, message: impl Into<String>) -> ODataError {
    ODataError::FilterType {
        position,
        message: message.into(),
    }
}

fn is_unsupported_operator(word: &str) -> bool {
    matches!(
        word,
        "has" | "add" | "sub" | "mul" | "div" | "divby" | "mod"
    )
}

fn is_reserved(word: &str) -> bool {
    matches!(word, "and" | "or" | "not" | "in")
        || CompareOp::from_keyword(word).is_some()
        || is_unsupported_operator(word)
}

/// Static type of a sub-expression, for type checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SType {
    Boolean,
    String,
    Number,
    DateTime,
    Enum,
    Null,
    /// A property of kind `Other`: anything goes, checked at runtime.
    Untyped,
    Complex,
    Collection,
}

impl SType {
    fn of_kind(kind: PropertyKind) -> Self {
        match kind {
            PropertyKind::String => Self::String,
            PropertyKind::Int32 | PropertyKind::Int64 | PropertyKind::Double => Self::Number,
            PropertyKind::Boolean => Self::Boolean,
            PropertyKind::DateTimeOffset => Self::DateTime,
            PropertyKind::Enum => Self::Enum,
            PropertyKind::Complex => Self::Complex,
            PropertyKind::Collection => Self::Collection,
            PropertyKind::Other => Self::Untyped,
        }
    }

    fn is_boolean_like(self) -> bool {
        matches!(self, Self::Boolean | Self::Null | Self::Untyped)
    }

    fn is_string_like(self) -> bool {
        matches!(self, Self::String | Self::Null | Self::Untyped)
    }
}

impl fmt::Display for SType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Boolean => "Edm.Boolean",
            Self::String => "Edm.String",
            Self::Number => "number",
            Self::DateTime => "Edm.DateTimeOffset",
            Self::Enum => "enum",
            Self::Null => "null",
            Self::Untyped => "untyped",
            Self::Complex => "complex",
            Self::Collection => "collection",
        })
    }
}

/// Whether values of the two static types may be compared.
fn comparable(a: SType, b: SType) -> bool {
    use SType::*;
    match (a, b) {
        (Null, _) | (_, Null) => true,
        (Complex | Collection, _) | (_, Complex | Collection) => false,
        (Untyped, _) | (_, Untyped) => true,
        (Enum, String) | (String, Enum) => true,
        _ => a == b,
    }
}

struct Typed {
    expr: Expr,
    ty: SType,
    pos: usize,
    /// The height of `expr` (a leaf is 1).
    height: usize,
}

fn too_deep() -> ODataError {
    ODataError::LimitExceeded {
        option: "$filter".to_owned(),
        limit: "nesting depth",
        max: MAX_FILTER_DEPTH,
    }
}

/// The height of a node over children of these heights, or the depth error.
fn node_height(children: impl IntoIterator<Item = usize>) -> Result<usize, ODataError> {
    let height = children.into_iter().max().unwrap_or(0) + 1;
    if height > MAX_FILTER_DEPTH {
        return Err(too_deep());
    }
    Ok(height)
}

struct Parser<'s> {
    toks: Vec<Spanned>,
    idx: usize,
    /// How deep the recursive descent is now (parentheses, calls, `not`).
    nesting: usize,
    end: Spanned,
    shape: &'s EntityShape,
}

impl Parser<'_> {
    fn peek(&self) -> &Spanned {
        self.toks.get(self.idx).unwrap_or(&self.end)
    }

    fn bump(&mut self) -> Spanned {
        let tok = self.peek().clone();
        if tok.tok != Tok::End {
            self.idx += 1;
        }
        tok
    }

    fn at_keyword(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w == word)
    }

    /// Runs `f` one level deeper, failing before descending past [`MAX_FILTER_DEPTH`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ODataError>,
    ) -> Result<T, ODataError> {
        if self.nesting >= MAX_FILTER_DEPTH {
            return Err(too_deep());
        }
        self.nesting += 1;
        let result = f(self);
        self.nesting -= 1;
        result
    }

    fn parse_or(&mut self) -> Result<Typed, ODataError> {
        let mut left = self.parse_and()?;
        while self.at_keyword("or") {
            self.bump();
            let right = self.parse_and()?;
            check_logical("or", &left, &right)?;
            left = Typed {
                height: node_height([left.height, right.height])?,
                pos: left.pos,
                expr: Expr::Or(Box::new(left.expr), Box::new(right.expr)),
                ty: SType::Boolean,
            };
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Typed, ODataError> {
        let mut left = self.parse_not()?;
        while self.at_keyword("and") {
            self.bump();
            let right = self.parse_not()?;
            check_logical("and", &left, &right)?;
            left = Typed {
                height: node_height([left.height, right.height])?,
                pos: left.pos,
                expr: Expr::And(Box::new(left.expr), Box::new(right.expr)),
                ty: SType::Boolean,
            };
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<Typed, ODataError> {
        if self.at_keyword("not") {
            let pos = self.bump().pos;
            let operand = self.nested(Self::parse_not)?;
            if !operand.ty.is_boolean_like() {
                return Err(type_error(
                    operand.pos,
                    format!(
                        "the 'not' operator requires a boolean operand but found {}",
                        operand.ty
                    ),
                ));
            }
            return Ok(Typed {
                height: node_height([operand.height])?,
                expr: Expr::Not(Box::new(operand.expr)),
                ty: SType::Boolean,
                pos,
            });
        }
        self.parse_cmp()
    }

    fn parse_cmp(&mut self) -> Result<Typed, ODataError> {
        let mut left = self.parse_primary()?;
        while let Tok::Ident(word) = &self.peek().tok {
            if let Some(op) = CompareOp::from_keyword(word) {
                let op_pos = self.bump().pos;
                let right = self.parse_primary()?;
                left = compare_expr(op, op_pos, left, right)?;
            } else if word == "in" {
                let op_pos = self.bump().pos;
                left = self.parse_in(op_pos, left)?;
            } else if is_unsupported_operator(word) {
                let next = self.peek();
                return Err(syntax(
                    next.pos,
                    format!("operator {} is not supported", next.tok),
                ));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn parse_in(&mut self, op_pos: usize, operand: Typed) -> Result<Typed, ODataError> {
        let open = self.bump();
        if open.tok != Tok::LParen {
            return Err(syntax(
                open.pos,
                format!("expected '(' after 'in' but found {}", open.tok),
            ));
        }
        let mut list = Vec::new();
        let mut height = operand.height;
        loop {
            let item = self.parse_primary()?;
            if !comparable(operand.ty, item.ty) {
                return Err(type_error(
                    item.pos,
                    format!(
                        "operator 'in' cannot compare {} with {}",
                        operand.ty, item.ty
                    ),
                ));
            }
            height = height.max(item.height);
            list.push(coerce_date_literal(operand.ty, item)?.expr);
            let sep = self.bump();
            match sep.tok {
                Tok::Comma => continue,
                Tok::RParen => break,
                other => {
                    return Err(syntax(
                        sep.pos,
                        format!("expected ',' or ')' in the 'in' list but found {other}"),
                    ))
                }
            }
        }
        if matches!(operand.ty, SType::Complex | SType::Collection) {
            return Err(type_error(
                op_pos,
                format!("operator 'in' cannot be applied to a {} value", operand.ty),
            ));
        }
        Ok(Typed {
            height: node_height([height])?,
            pos: operand.pos,
            expr: Expr::In {
                operand: Box::new(operand.expr),
                list,
            },
            ty: SType::Boolean,
        })
    }

    fn parse_primary(&mut self) -> Result<Typed, ODataError> {
        let Spanned { tok, pos } = self.bump();
        let (expr, ty) = match tok {
            Tok::LParen => {
                let inner = self.nested(Self::parse_or)?;
                let close = self.bump();
                if close.tok != Tok::RParen {
                    return Err(syntax(
                        close.pos,
                        format!(
                            "expected ')' to close the '(' at position {pos} but found {}",
                            close.tok
                        ),
                    ));
                }
                return Ok(Typed {
                    expr: inner.expr,
                    ty: inner.ty,
                    pos,
                    height: inner.height,
                });
            }
            Tok::Str(s) => (Expr::Literal(Literal::String(s)), SType::String),
            Tok::Int(i) => (Expr::Literal(Literal::Int(i)), SType::Number),
            Tok::Decimal(d) => (Expr::Literal(Literal::Decimal(d)), SType::Number),
            Tok::DateTime(dt, _) => (Expr::Literal(Literal::DateTimeOffset(dt)), SType::DateTime),
            Tok::Enum { type_name, value } => (
                Expr::Literal(Literal::Enum { type_name, value }),
                SType::Enum,
            ),
            Tok::Ident(word) => match word.as_str() {
                "true" => (Expr::Literal(Literal::Boolean(true)), SType::Boolean),
                "false" => (Expr::Literal(Literal::Boolean(false)), SType::Boolean),
                "null" => (Expr::Literal(Literal::Null), SType::Null),
                w if is_reserved(w) => {
                    return Err(syntax(
                        pos,
                        format!("expected an expression but found '{w}'"),
                    ))
                }
                _ if self.peek().tok == Tok::LParen => {
                    return self.nested(|parser| parser.parse_call(word, pos))
                }
                _ => {
                    let Some(kind) = self.shape.property_kind(&word) else {
                        return Err(ODataError::UnknownProperty {
                            property: word,
                            type_name: self.shape.type_name.clone(),
                        });
                    };
                    (Expr::Property { name: word, kind }, SType::of_kind(kind))
                }
            },
            other @ (Tok::RParen | Tok::Comma | Tok::End) => {
                return Err(syntax(
                    pos,
                    format!("expected an expression but found {other}"),
                ))
            }
        };
        Ok(Typed {
            expr,
            ty,
            pos,
            height: 1,
        })
    }

    fn parse_call(&mut self, name: String, pos: usize) -> Result<Typed, ODataError> {
        let Some(function) = Function::from_name(&name) else {
            return Err(syntax(
                pos,
                format!(
                    "unknown function '{name}'; supported functions are contains, startswith, endswith, tolower and toupper"
                ),
            ));
        };
        self.bump(); // '('
        let mut args: Vec<Typed> = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.parse_or()?);
                let sep = self.bump();
                match sep.tok {
                    Tok::Comma => continue,
                    Tok::RParen => break,
                    other => {
                        return Err(syntax(
                            sep.pos,
                            format!(
                                "expected ',' or ')' in the arguments of '{name}' but found {other}"
                            ),
                        ))
                    }
                }
            }
        }
        if args.len() != function.arity() {
            return Err(type_error(
                pos,
                format!(
                    "function '{name}' expects {} argument{} but got {}",
                    function.arity(),
                    if function.arity() == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        for (i, arg) in args.iter().enumerate() {
            if !arg.ty.is_string_like() {
                return Err(type_error(
                    arg.pos,
                    format!(
                        "function '{name}' requires string arguments but argument {} is of type {}",
                        i + 1,
                        arg.ty
                    ),
                ));
            }
        }
        let ty = match function {
            Function::Contains | Function::StartsWith | Function::EndsWith => SType::Boolean,
            Function::ToLower | Function::ToUpper => SType::String,
        };
        let height = node_height(args.iter().map(|a| a.height))?;
        Ok(Typed {
            height,
            expr: Expr::Call {
                function,
                args: args.into_iter().map(|a| a.expr).collect(),
            },
            ty,
            pos,
        })
    }
}

fn check_logical(op: &str, left: &Typed, right: &Typed) -> Result<(), ODataError> {
    for (side, operand) in [("left", left), ("right", right)] {
        if !operand.ty.is_boolean_like() {
            return Err(type_error(
                operand.pos,
                format!(
                    "the '{op}' operator requires boolean operands but the {side} operand is of type {}",
                    operand.ty
                ),
            ));
        }
    }
    Ok(())
}

/// Turns a quoted string literal compared with a DateTimeOffset into a date literal.
fn coerce_date_literal(other: SType, typed: Typed) -> Result<Typed, ODataError> {
    if other != SType::DateTime {
        return Ok(typed);
    }
    match typed.expr {
        Expr::Literal(Literal::String(s)) => match parse_datetime(&s) {
            Some(dt) => Ok(Typed {
                expr: Expr::Literal(Literal::DateTimeOffset(dt)),
                ty: SType::DateTime,
                pos: typed.pos,
                height: typed.height,
            }),
            None => Err(type_error(
                typed.pos,
                format!("'{s}' is not a valid Edm.DateTimeOffset value"),
            )),
        },
        expr => Ok(Typed { expr, ..typed }),
    }
}

fn compare_expr(
    op: CompareOp,
    op_pos: usize,
    left: Typed,
    right: Typed,
) -> Result<Typed, ODataError> {
    let (lt, rt) = (left.ty, right.ty);
    let date_string = |a: SType, b: &Typed| {
        a == SType::DateTime && matches!(b.expr, Expr::Literal(Literal::String(_)))
    };
    if !(comparable(lt, rt) || date_string(lt, &right) || date_string(rt, &left)) {
        return Err(type_error(
            op_pos,
            format!("operator '{}' cannot compare {lt} with {rt}", op.keyword()),
        ));
    }
    let right = coerce_date_literal(lt, right)?;
    let left = coerce_date_literal(rt, left)?;
    Ok(Typed {
        height: node_height([left.height, right.height])?,
        pos: left.pos,
        expr: Expr::Compare {
            op,
            left: Box::new(left.expr),
            right: Box::new(right.expr),
        },
        ty: SType::Boolean,
    })
}

fn literal_val(lit: &Literal) -> Val<'_> {
    match lit {
        Literal::Null => Val::Null,
        Literal::Boolean(b) => Val::Bool(*b),
        Literal::Int(i) => Val::Int(*i),
        Literal::Decimal(d) => Val::Float(*d),
        Literal::String(s) => Val::Str(s.as_str().into()),
        Literal::DateTimeOffset(dt) => Val::Date(*dt),
        Literal::Enum { value, .. } => Val::Str(value.as_str().into()),
    }
}

/// Evaluates an expression with OData's three-valued logic (null = unknown).
pub(crate) fn eval<'a>(expr: &'a Expr, entity: &'a Map<String, Value>) -> Val<'a> {
    match expr {
        Expr::Literal(lit) => literal_val(lit),
        Expr::Property { name, kind } => Val::from_property(entity.get(name), *kind),
        Expr::Compare { op, left, right } => {
            let l = eval(left, entity);
            let r = eval(right, entity);
            let result = match op {
                CompareOp::Eq => equals(&l, &r),
                CompareOp::Ne => !equals(&l, &r),
                CompareOp::Gt => compare(&l, &r).is_some_and(|o| o.is_gt()),
                CompareOp::Ge => compare(&l, &r).is_some_and(|o| o.is_ge()),
                CompareOp::Lt => compare(&l, &r).is_some_and(|o| o.is_lt()),
                CompareOp::Le => compare(&l, &r).is_some_and(|o| o.is_le()),
            };
            Val::Bool(result)
        }
        Expr::In { operand, list } => {
            let value = eval(operand, entity);
            Val::Bool(list.iter().any(|item| equals(&value, &eval(item, entity))))
        }
        Expr::And(l, r) => match eval(l, entity) {
            Val::Bool(false) => Val::Bool(false),
            lv => match (lv, eval(r, entity)) {
                (_, Val::Bool(false)) => Val::Bool(false),
                (Val::Bool(true), Val::Bool(true)) => Val::Bool(true),
                _ => Val::Null,
            },
        },
        Expr::Or(l, r) => match eval(l, entity) {
            Val::Bool(true) => Val::Bool(true),
            lv => match (lv, eval(r, entity)) {
                (_, Val::Bool(true)) => Val::Bool(true),
                (Val::Bool(false), Val::Bool(false)) => Val::Bool(false),
                _ => Val::Null,
            },
        },
        Expr::Not(e) => match eval(e, entity) {
            Val::Bool(b) => Val::Bool(!b),
            _ => Val::Null,
        },
        Expr::Call { function, args } => {
            let vals: Vec<Val<'a>> = args.iter().map(|a| eval(a, entity)).collect();
            match (function, vals.as_slice()) {
                (Function::Contains, [Val::Str(a), Val::Str(b)]) => {
                    Val::Bool(a.contains(b.as_ref()))
                }
                (Function::StartsWith, [Val::Str(a), Val::Str(b)]) => {
                    Val::Bool(a.starts_with(b.as_ref()))
                }
                (Function::EndsWith, [Val::Str(a), Val::Str(b)]) => {
                    Val::Bool(a.ends_with(b.as_ref()))
                }
                (Function::ToLower, [Val::Str(a)]) => Val::Str(a.to_lowercase().into()),
                (Function::ToUpper, [Val::Str(a)]) => Val::Str(a.to_uppercase().into()),
                _ => Val::Null,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::test_support::{entities, shape};

    fn ids(filter: &str) -> Vec<String> {
        let parsed = Filter::parse(filter, &shape()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        entities()
            .iter()
            .filter(|e| parsed.matches(e))
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn check(filter: &str, expected: &[&str]) {
        assert_eq!(ids(filter), expected, "filter: {filter}");
    }

    fn err(filter: &str) -> String {
        match Filter::parse(filter, &shape()) {
            Ok(f) => panic!("{filter} should fail but parsed as {}", f.expr),
            Err(e) => e.to_string(),
        }
    }

    fn canonical(filter: &str) -> String {
        Filter::parse(filter, &shape())
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .expr
            .to_string()
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let f = "displayName eq 'Entra' or size eq 10 and isEnabled eq false";
        assert_eq!(
            canonical(f),
            "((displayName eq 'Entra') or ((size eq 10) and (isEnabled eq false)))"
        );
        check(f, &["1", "2"]);
        let f = "size eq 10 and isEnabled eq false or displayName eq 'Entra'";
        check(f, &["1", "2"]);
        // Left associativity.
        assert_eq!(
            canonical("isEnabled or isEnabled or isEnabled"),
            "((isEnabled or isEnabled) or isEnabled)"
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let f = "(displayName eq 'Entra' or size eq 10) and isEnabled eq false";
        assert_eq!(
            canonical(f),
            "(((displayName eq 'Entra') or (size eq 10)) and (isEnabled eq false))"
        );
        check(f, &["2"]);
        check("((((isEnabled))))", &["1", "3", "5"]);
        check("(size eq 3) and (isEnabled)", &["1", "3"]);
    }

    #[test]
    fn not_operator() {
        check("not isEnabled", &["2", "4"]);
        check("not not isEnabled", &["1", "3", "5"]);
        // `not` binds looser than comparisons.
        assert_eq!(
            canonical("not displayName eq 'Entra'"),
            "(not (displayName eq 'Entra'))"
        );
        check("not displayName eq 'Entra'", &["2", "3", "4", "5"]);
        // ... but tighter than `and`.
        assert_eq!(
            canonical("not isEnabled and size eq 10"),
            "((not isEnabled) and (size eq 10))"
        );
        check("not isEnabled and size eq 10", &["2"]);
        check("not (isEnabled or size eq 10)", &["4"]);
        check("not(isEnabled)", &["2", "4"]);
        // not of unknown (null) stays unknown: entity 3 has no displayName.
        check("not contains(displayName,'Ent')", &["2", "4", "5"]);
    }

    #[test]
    fn escaped_quotes() {
        check("displayName eq 'it''s'", &["2"]);
        check("contains(displayName,'''')", &["2"]);
        assert_eq!(
            canonical("displayName eq 'it''s'"),
            "(displayName eq 'it''s')"
        );
    }

    #[test]
    fn string_functions() {
        check("contains(displayName,'ntra')", &["1", "5"]);
        check("contains(displayName,'NTRA')", &[]);
        check("startswith(displayName,'En')", &["1"]);
        check("startswith(displayName,'')", &["1", "2", "4", "5"]);
        check("endswith(displayName,'der')", &["4"]);
        check("endswith(displayName,' id')", &["5"]);
        check("tolower(displayName) eq 'entra'", &["1"]);
        check("toupper(displayName) eq 'ENTRA ID'", &["5"]);
        check("contains(tolower(displayName),'entra')", &["1", "5"]);
        check("startswith(displayName,'D') eq true", &["4"]);
        check("startswith(displayName,'D') eq false", &["1", "2", "5"]);
        check("'Entra' eq displayName", &["1"]);
        check("contains('Entra id', displayName)", &["1"]);
    }

    #[test]
    fn string_comparisons() {
        check("displayName eq 'Entra'", &["1"]);
        check("displayName ne 'Entra'", &["2", "3", "4", "5"]);
        check("displayName gt 'E'", &["1", "2", "5"]);
        check("displayName ge 'Entra'", &["1", "2", "5"]);
        check("displayName lt 'E'", &["4"]);
        check("displayName le 'Entra'", &["1", "4"]);
        check("id in ('1','3')", &["1", "3"]);
    }

    #[test]
    fn int32_comparisons() {
        check("size eq 3", &["1", "3"]);
        check("size ne 3", &["2", "4", "5"]);
        check("size gt 3", &["2", "4"]);
        check("size ge 7", &["2", "4"]);
        check("size lt 3", &["5"]);
        check("size le 3", &["1", "3", "5"]);
        check("size gt 2.5", &["1", "2", "3", "4"]);
        check("size in (3, 10)", &["1", "2", "3"]);
        check("size eq -1", &[]);
    }

    #[test]
    fn int64_comparisons_accept_numbers_and_strings() {
        // Exact: 9007199254740993 is not representable as f64.
        check("big eq 9007199254740993", &["1"]);
        check("big eq 9007199254740992", &[]);
        check("big gt 5", &["1", "4"]);
        check("big ge 5", &["1", "2", "4"]);
        check("big lt 0", &["3"]);
        check("big le 5", &["2", "3"]);
        check("big ne 5", &["1", "3", "4", "5"]);
        check("big eq -4", &["3"]);
    }

    #[test]
    fn double_comparisons() {
        check("score eq 2.25", &["2"]);
        check("score ne 1.5", &["2", "3", "4", "5"]);
        check("score gt 1", &["1", "2"]);
        check("score ge 1.5", &["1", "2"]);
        check("score lt 0", &["3"]);
        check("score le 0.5", &["3", "5"]);
        check("score eq -1", &["3"]);
        check("score gt 1e-1", &["1", "2", "5"]);
    }

    #[test]
    fn boolean_comparisons() {
        check("isEnabled", &["1", "3", "5"]);
        check("isEnabled eq true", &["1", "3", "5"]);
        check("isEnabled ne true", &["2", "4"]);
        check("isEnabled eq false", &["2", "4"]);
        check("isEnabled gt false", &["1", "3", "5"]);
        check("isEnabled ge false", &["1", "2", "3", "4", "5"]);
        check("isEnabled lt true", &["2", "4"]);
        check("isEnabled le false", &["2", "4"]);
        check("true", &["1", "2", "3", "4", "5"]);
        check("false", &[]);
        check("true and isEnabled", &["1", "3", "5"]);
    }

    #[test]
    fn datetime_comparisons_are_chronological() {
        check("createdDateTime eq 2025-10-15T15:54:58.4862768Z", &["1"]);
        check(
            "createdDateTime ne 2025-10-15T15:54:58.4862768Z",
            &["2", "3", "4", "5"],
        );
        check(
            "createdDateTime gt 2025-10-15T15:54:58.4862767Z",
            &["1", "5"],
        );
        check(
            "createdDateTime ge 2025-10-15T15:54:58.4862767Z",
            &["1", "2", "5"],
        );
        check("createdDateTime ge 2025-10-15T15:54:58Z", &["1", "2", "5"]);
        check("createdDateTime lt 2024-01-01T00:00:00Z", &["3"]);
        check("createdDateTime le 0001-01-01T00:00:00Z", &["3"]);
        // Offsets are honoured: entity 4 is 2024-01-01T08:00:00Z; a string
        // comparison would put "…T10:00:00+02:00" after "…T09:00:00Z".
        check("createdDateTime eq 2024-01-01T08:00:00Z", &["4"]);
        check("createdDateTime lt 2024-01-01T09:00:00Z", &["3", "4"]);
        check("createdDateTime lt 2024-01-01T09:00:00+00:00", &["3", "4"]);
        // A '+' that was decoded into a space.
        check("createdDateTime eq 2024-01-01T10:00:00 02:00", &["4"]);
        // Quoted values are accepted for date properties.
        check("createdDateTime lt '2025-01-01T00:00:00Z'", &["3", "4"]);
        check("'2025-01-01T00:00:00Z' gt createdDateTime", &["3", "4"]);
        assert_eq!(
            canonical("createdDateTime lt '2025-01-01T00:00:00.5Z'"),
            "(createdDateTime lt 2025-01-01T00:00:00.500Z)"
        );
        check(
            "createdDateTime gt 2024-06-01T00:00:00Z and createdDateTime lt 2025-10-16T00:00:00Z",
            &["1", "2"],
        );
    }

    #[test]
    fn enum_comparisons() {
        check("state eq 'completed'", &["1", "4"]);
        check(
            "state eq microsoft.graph.security.securityCopilot.evaluationState'completed'",
            &["1", "4"],
        );
        check(
            "state ne microsoft.graph.security.securityCopilot.evaluationState'completed'",
            &["2", "3", "5"],
        );
        check("state gt 'pending'", &["2"]);
        check("state lt 'd'", &["1", "4"]);
        check("state ge 'pending'", &["2", "3"]);
        check("state le 'completed'", &["1", "4"]);
        check("state in ('running', evaluationState'failed')", &["2", "5"]);
        assert_eq!(
            canonical("state eq evaluationState'it''s'"),
            "(state eq evaluationState'it''s')"
        );
    }

    #[test]
    fn untyped_properties_compare_dynamically() {
        check("extra eq 7", &["1"]);
        check("extra eq 'seven'", &["2"]);
        check("extra gt 5", &["1"]);
        check("extra eq null", &["3", "4", "5"]);
        check("contains(extra,'ev')", &["2"]);
    }

    #[test]
    fn null_semantics() {
        check("displayName eq null", &["3"]);
        check("null eq displayName", &["3"]);
        check("displayName ne null", &["1", "2", "4", "5"]);
        check("score eq null", &["4"]); // missing counts as null
        check("displayName gt null", &[]);
        check("displayName lt null", &[]);
        check("displayName ge null", &[]);
        check("size le null", &[]);
        check("null eq null", &["1", "2", "3", "4", "5"]);
        check("authorization eq null", &["2", "3", "4", "5"]);
        check("settings ne null", &["1", "2"]);
        check("score gt 0 or score eq null", &["1", "2", "4", "5"]);
        // Three-valued logic: null or true = true, null and true = null.
        check("contains(displayName,'zzz') or isEnabled", &["1", "3", "5"]);
        check("startswith(displayName,'') and isEnabled", &["1", "5"]);
        check(
            "not (startswith(displayName,'') and isEnabled)",
            &["2", "4"],
        );
        check("displayName in ('Entra', null)", &["1", "3"]);
    }

    #[test]
    fn whitespace_is_flexible() {
        check("  size   eq\t3  ", &["1", "3"]);
        check("contains( displayName , 'ntra' )", &["1", "5"]);
    }

    #[test]
    fn syntax_errors_name_position_and_expectation() {
        assert_eq!(
            err(""),
            "Syntax error in $filter at position 0: expected an expression but found end of input"
        );
        assert_eq!(
            err("displayName eq"),
            "Syntax error in $filter at position 14: expected an expression but found end of input"
        );
        assert_eq!(
            err("displayName eq 'x' foo"),
            "Syntax error in $filter at position 19: expected 'and', 'or', a comparison operator or end of input but found 'foo'"
        );
        assert_eq!(
            err("displayName EQ 'x'"),
            "Syntax error in $filter at position 12: expected 'and', 'or', a comparison operator or end of input but found 'EQ'"
        );
        assert_eq!(
            err("(displayName eq 'x'"),
            "Syntax error in $filter at position 19: expected ')' to close the '(' at position 0 but found end of input"
        );
        assert_eq!(
            err("displayName eq 'x')"),
            "Syntax error in $filter at position 18: expected 'and', 'or', a comparison operator or end of input but found ')'"
        );
        assert_eq!(
            err("and eq 1"),
            "Syntax error in $filter at position 0: expected an expression but found 'and'"
        );
        assert_eq!(
            err("size eq 1 and"),
            "Syntax error in $filter at position 13: expected an expression but found end of input"
        );
        assert_eq!(
            err("size eq ,"),
            "Syntax error in $filter at position 8: expected an expression but found ','"
        );
        assert_eq!(
            err("foo(displayName)"),
            "Syntax error in $filter at position 0: unknown function 'foo'; supported functions are contains, startswith, endswith, tolower and toupper"
        );
        assert_eq!(
            err("contains(displayName 'a')"),
            "Syntax error in $filter at position 21: expected ',' or ')' in the arguments of 'contains' but found string literal 'a'"
        );
        assert_eq!(
            err("size add 1 eq 2"),
            "Syntax error in $filter at position 5: operator 'add' is not supported"
        );
        assert_eq!(
            err("state has 'a'"),
            "Syntax error in $filter at position 6: operator 'has' is not supported"
        );
        assert_eq!(
            err("state in 'a'"),
            "Syntax error in $filter at position 9: expected '(' after 'in' but found string literal 'a'"
        );
        assert_eq!(
            err("state in ('a' 'b')"),
            "Syntax error in $filter at position 14: expected ',' or ')' in the 'in' list but found string literal 'b'"
        );
        assert_eq!(
            err("displayName eq 'x"),
            "Syntax error in $filter at position 15: unterminated string literal: expected a closing quote (')"
        );
    }

    #[test]
    fn unknown_properties() {
        assert_eq!(
            err("foo eq 1"),
            "Could not find a property named 'foo' on type 'session'"
        );
        assert_eq!(
            err("DisplayName eq 'x'"),
            "Could not find a property named 'DisplayName' on type 'session'"
        );
        assert_eq!(
            err("contains(nope,'x')"),
            "Could not find a property named 'nope' on type 'session'"
        );
    }

    #[test]
    fn type_errors() {
        assert_eq!(
            err("createdDateTime eq 5"),
            "Invalid $filter at position 16: operator 'eq' cannot compare Edm.DateTimeOffset with number"
        );
        assert_eq!(
            err("createdDateTime eq 'yesterday'"),
            "Invalid $filter at position 19: 'yesterday' is not a valid Edm.DateTimeOffset value"
        );
        assert_eq!(
            err("isEnabled eq 'true'"),
            "Invalid $filter at position 10: operator 'eq' cannot compare Edm.Boolean with Edm.String"
        );
        assert_eq!(
            err("size gt '3'"),
            "Invalid $filter at position 5: operator 'gt' cannot compare number with Edm.String"
        );
        assert_eq!(
            err("settings eq 'x'"),
            "Invalid $filter at position 9: operator 'eq' cannot compare collection with Edm.String"
        );
        assert_eq!(
            err("authorization eq extra"),
            "Invalid $filter at position 14: operator 'eq' cannot compare complex with untyped"
        );
        assert_eq!(
            err("displayName"),
            "Invalid $filter at position 0: the $filter expression must be a boolean expression but is of type Edm.String"
        );
        assert_eq!(
            err("size eq 1 and displayName"),
            "Invalid $filter at position 14: the 'and' operator requires boolean operands but the right operand is of type Edm.String"
        );
        assert_eq!(
            err("size or isEnabled"),
            "Invalid $filter at position 0: the 'or' operator requires boolean operands but the left operand is of type number"
        );
        assert_eq!(
            err("not size"),
            "Invalid $filter at position 4: the 'not' operator requires a boolean operand but found number"
        );
        assert_eq!(
            err("contains(displayName)"),
            "Invalid $filter at position 0: function 'contains' expects 2 arguments but got 1"
        );
        assert_eq!(
            err("startswith(displayName,'a','b')"),
            "Invalid $filter at position 0: function 'startswith' expects 2 arguments but got 3"
        );
        assert_eq!(
            err("tolower() eq 'a'"),
            "Invalid $filter at position 0: function 'tolower' expects 1 argument but got 0"
        );
        assert_eq!(
            err("contains(size,'1')"),
            "Invalid $filter at position 9: function 'contains' requires string arguments but argument 1 is of type number"
        );
        assert_eq!(
            err("endswith(displayName,state)"),
            "Invalid $filter at position 21: function 'endswith' requires string arguments but argument 2 is of type enum"
        );
        assert_eq!(
            err("size in ('a')"),
            "Invalid $filter at position 9: operator 'in' cannot compare number with Edm.String"
        );
    }

    #[test]
    fn display_round_trips() {
        for f in [
            "displayName eq 'it''s' and not (size gt 3 or score le -1.5)",
            "contains(tolower(displayName),'x') or state in ('a',evaluationState'b')",
            "createdDateTime ge 2025-10-15T15:54:58.4862768Z and isEnabled eq null",
        ] {
            let once = canonical(f);
            assert_eq!(canonical(&once), once, "{f}");
        }
    }
}
