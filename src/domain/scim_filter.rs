//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed into a tree: the grammar
//! whole — `eq ne co sw ew pr gt ge lt le`, `and`/`or`/`not`, parentheses, value paths such as
//! `emails[type eq "work"]` — with `not` binding tighter than `and`, and `and` than `or`.
//! Keywords and attribute names are case-insensitive (names are kept lower-case). What cannot be
//! read is an `invalidFilter` error with the reason, never a panic.

use std::fmt;

/// The core User schema's URN: attributes may be named with it as a prefix.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An attribute: `userName`, `name.familyName`, `meta.lastModified`, or with its schema's URN
/// (`urn:ietf:params:scim:schemas:core:2.0:User:userName`). Names are lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// `name` or `name.sub`, lower-case, without the URN.
    pub fn dotted(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{}.{sub}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(AttrPath, CompareOp, Value),
    Present(AttrPath),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute matches the inner filter
    /// (whose paths are the value's sub-attributes).
    ValuePath(AttrPath, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

/// A PATCH operation's `path`: an attribute, optionally narrowed to some of its values by a
/// filter, optionally then one of their sub-attributes (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

/// The longest filter read (an IdP's filters are short; this bounds the work of a hostile one).
pub const MAX_LEN: usize = 4096;
/// How deep parentheses, `not` and value paths may nest.
const MAX_DEPTH: usize = 32;

pub fn parse(text: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(text)?;
    let filter = parser.or(0)?;
    parser.end()?;
    Ok(filter)
}

pub fn parse_path(text: &str) -> Result<PatchPath, FilterError> {
    let mut parser = Parser::new(text)?;
    let attr = parser.attr_path()?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if parser.eat(&Token::LBracket) {
        path.filter = Some(parser.or(1)?);
        parser.expect(&Token::RBracket)?;
        if let Some(Token::Word(word)) = parser.peek().cloned()
            && let Some(sub) = word.strip_prefix('.')
        {
            parser.pos += 1;
            if sub.is_empty() || sub.contains('.') {
                return Err(FilterError(format!("“{word}” is not a sub-attribute.")));
            }
            path.sub = Some(sub.to_lowercase());
        }
    }
    parser.end()?;
    Ok(path)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    if text.len() > MAX_LEN {
        return Err(FilterError(format!(
            "The filter is longer than {MAX_LEN} characters."
        )));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' | ')' | '[' | ']' => {
                tokens.push(match c {
                    '(' => Token::LParen,
                    ')' => Token::RParen,
                    '[' => Token::LBracket,
                    _ => Token::RBracket,
                });
                i += 1;
            }
            '"' => {
                // A JSON string: read it with serde_json to honour every escape.
                let mut j = i + 1;
                let mut escaped = false;
                while j < chars.len() && (escaped || chars[j] != '"') {
                    escaped = !escaped && chars[j] == '\\';
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(FilterError("A string is not closed (\").".into()));
                }
                let literal: String = chars[i..=j].iter().collect();
                let value: String = serde_json::from_str(&literal)
                    .map_err(|_| FilterError(format!("{literal} is not a valid string.")))?;
                // Escaped (`\u0000`) as much as typed: no stored value holds one.
                if value.chars().any(char::is_control) {
                    return Err(FilterError("The filter holds a control character.".into()));
                }
                tokens.push(Token::Str(value));
                i = j + 1;
            }
            c if c.is_control() => {
                return Err(FilterError("The filter holds a control character.".into()));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !matches!(
                        chars[i],
                        ' ' | '\t' | '\n' | '\r' | '(' | ')' | '[' | ']' | '"'
                    )
                {
                    if chars[i].is_control() {
                        return Err(FilterError("The filter holds a control character.".into()));
                    }
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

fn compare_op(word: &str) -> Option<CompareOp> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return None,
    })
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

/// An attribute name: a letter, then letters, digits, `_`, `-` or `$`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
}

/// Whether an attribute's name starts with a schema's URN (`urn:…:User:userName`), in any case;
/// read as bytes, so that any text (a multi-byte character among the first four) is only "no".
pub fn names_a_urn(text: &str) -> bool {
    text.len() > 4 && text.as_bytes()[..4].eq_ignore_ascii_case(b"urn:")
}

fn attr_path(word: &str) -> Result<AttrPath, FilterError> {
    let bad = || FilterError(format!("“{word}” is not an attribute."));
    let (urn, rest) = if names_a_urn(word) {
        let at = word.rfind(':').ok_or_else(bad)?;
        (Some(word[..at].to_owned()), &word[at + 1..])
    } else {
        (None, word)
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
        return Err(bad());
    }
    Ok(AttrPath {
        urn,
        name: name.to_ascii_lowercase(),
        sub: sub.map(str::to_ascii_lowercase),
    })
}

impl Parser {
    fn new(text: &str) -> Result<Self, FilterError> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(FilterError("The filter is empty.".into()));
        }
        Ok(Self { tokens, pos: 0 })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if is_keyword(w, keyword)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token) -> Result<(), FilterError> {
        if self.eat(token) {
            Ok(())
        } else {
            let want = match token {
                Token::RParen => ")",
                Token::RBracket => "]",
                _ => "more",
            };
            Err(FilterError(format!("Expected “{want}” {}.", self.here())))
        }
    }

    fn end(&self) -> Result<(), FilterError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(FilterError(format!("Unexpected {}.", self.here()))),
        }
    }

    /// Where the parser is, in words.
    fn here(&self) -> String {
        match self.peek() {
            None => "at the end of the filter".to_owned(),
            Some(Token::Word(w)) => format!("at “{w}”"),
            Some(Token::Str(s)) => format!("at the string \"{s}\""),
            Some(Token::LParen) => "at “(”".to_owned(),
            Some(Token::RParen) => "at “)”".to_owned(),
            Some(Token::LBracket) => "at “[”".to_owned(),
            Some(Token::RBracket) => "at “]”".to_owned(),
        }
    }

    fn deeper(depth: usize) -> Result<usize, FilterError> {
        if depth >= MAX_DEPTH {
            Err(FilterError("The filter nests too deeply.".into()))
        } else {
            Ok(depth + 1)
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.and(depth)?;
        while self.eat_keyword("or") {
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.unary(depth)?;
        while self.eat_keyword("and") {
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if self.eat_keyword("not") {
            let depth = Self::deeper(depth)?;
            if !self.eat(&Token::LParen) {
                return Err(FilterError(format!(
                    "Expected “(” after not, {}.",
                    self.here()
                )));
            }
            let inner = self.or(depth)?;
            self.expect(&Token::RParen)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat(&Token::LParen) {
            let inner = self.or(Self::deeper(depth)?)?;
            self.expect(&Token::RParen)?;
            return Ok(inner);
        }
        let path = self.attr_path()?;
        if self.eat(&Token::LBracket) {
            let inner = self.or(Self::deeper(depth)?)?;
            self.expect(&Token::RBracket)?;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let op = match self.next() {
            Some(Token::Word(w)) if is_keyword(&w, "pr") => return Ok(Filter::Present(path)),
            Some(Token::Word(w)) => compare_op(&w).ok_or_else(|| {
                FilterError(format!(
                    "“{w}” is not an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le)."
                ))
            })?,
            _ => {
                self.pos -= 1;
                return Err(FilterError(format!(
                    "Expected an operator {}.",
                    self.here()
                )));
            }
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::Str(s),
            Some(Token::Word(w)) if is_keyword(&w, "true") => Value::Bool(true),
            Some(Token::Word(w)) if is_keyword(&w, "false") => Value::Bool(false),
            Some(Token::Word(w)) if is_keyword(&w, "null") => Value::Null,
            Some(Token::Word(w)) => match w.parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Num(n),
                _ => {
                    return Err(FilterError(format!(
                        "“{w}” is not a value: quote strings (\"…\")."
                    )));
                }
            },
            _ => {
                self.pos -= 1;
                return Err(FilterError(format!("Expected a value {}.", self.here())));
            }
        };
        Ok(Filter::Compare(path, op, value))
    }

    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        match self.next() {
            Some(Token::Word(w)) => attr_path(&w),
            _ => {
                self.pos -= 1;
                Err(FilterError(format!(
                    "Expected an attribute {}.",
                    self.here()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str) -> AttrPath {
        attr_path(name).unwrap()
    }

    fn eq(name: &str, value: &str) -> Filter {
        Filter::Compare(path(name), CompareOp::Eq, Value::Str(value.into()))
    }

    #[test]
    fn a_name_with_a_character_beyond_ascii_is_refused_not_cut() {
        assert!(!names_a_urn("abcé"));
        assert!(!names_a_urn("urné:x"));
        assert!(names_a_urn(
            "URN:ietf:params:scim:schemas:core:2.0:User:userName"
        ));
        assert!(parse(r#"abcé eq "x""#).is_err());
        assert!(parse(r#"éé eq "x""#).is_err());
        assert!(attr_path("abcé").is_err());
    }

    #[test]
    fn an_escaped_control_character_is_refused_as_a_typed_one() {
        for filter in [r#"userName eq "a\u0000b""#, r#"externalId eq "\u001f""#] {
            assert!(parse(filter).is_err(), "{filter}");
        }
        assert!(parse(r#"userName eq "caf\u00e9""#).is_ok());
    }

    #[test]
    fn the_filters_identity_providers_send() {
        assert_eq!(
            parse(r#"userName eq "ada@example.com""#),
            Ok(eq("username", "ada@example.com"))
        );
        assert_eq!(
            parse(r#"externalId EQ "00u1""#),
            Ok(eq("externalid", "00u1"))
        );
        assert_eq!(
            parse(r#"emails[type eq "work" and value co "@example.com"]"#),
            Ok(Filter::ValuePath(
                path("emails"),
                Box::new(Filter::And(
                    Box::new(eq("type", "work")),
                    Box::new(Filter::Compare(
                        path("value"),
                        CompareOp::Co,
                        Value::Str("@example.com".into())
                    ))
                ))
            ))
        );
        assert_eq!(
            parse("meta.lastModified gt \"2026-01-01T00:00:00Z\"").unwrap(),
            Filter::Compare(
                AttrPath {
                    urn: None,
                    name: "meta".into(),
                    sub: Some("lastmodified".into())
                },
                CompareOp::Gt,
                Value::Str("2026-01-01T00:00:00Z".into())
            )
        );
        let urn = parse("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"a\"").unwrap();
        let Filter::Compare(p, CompareOp::Sw, _) = urn else {
            panic!("{urn:?}")
        };
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(p.name, "username");
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_than_or() {
        let f = parse(r#"title pr or userType eq "Employee" and not (active eq false)"#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(Filter::Present(path("title"))),
                Box::new(Filter::And(
                    Box::new(eq("usertype", "Employee")),
                    Box::new(Filter::Not(Box::new(Filter::Compare(
                        path("active"),
                        CompareOp::Eq,
                        Value::Bool(false)
                    ))))
                ))
            )
        );
        let grouped = parse(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap();
        assert!(matches!(grouped, Filter::And(ref l, _) if matches!(**l, Filter::Or(..))));
    }

    #[test]
    fn strings_honour_json_escapes() {
        assert_eq!(
            parse(r#"displayName eq "Ada \"the\" Countess\u00e9""#),
            Ok(eq("displayname", "Ada \"the\" Countessé"))
        );
    }

    #[test]
    fn what_cannot_be_read_is_an_error_never_a_panic() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName is \"x\"",
            "userName eq \"unclosed",
            "userName eq bare",
            "(userName eq \"x\"",
            "userName eq \"x\")",
            "not userName eq \"x\"",
            "emails[type eq \"work\"",
            "1abc eq \"x\"",
            "a.b.c eq \"x\"",
            "userName eq \"x\" and",
            "userName eq \"\u{0}\"",
            "userName\u{0} eq \"x\"",
            "] eq",
            "and and",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
        assert!(parse(&"a".repeat(MAX_LEN + 1)).is_err());
        assert!(
            parse("userName xx \"a\"")
                .unwrap_err()
                .0
                .contains("not an operator")
        );
    }

    #[test]
    fn patch_paths_reach_values_and_their_sub_attributes() {
        assert_eq!(
            parse_path(r#"emails[type eq "work"].value"#),
            Ok(PatchPath {
                attr: path("emails"),
                filter: Some(eq("type", "work")),
                sub: Some("value".into())
            })
        );
        assert_eq!(
            parse_path("name.familyName"),
            Ok(PatchPath {
                attr: path("name.familyName"),
                filter: None,
                sub: None
            })
        );
        assert_eq!(
            parse_path(r#"members[value eq "42"]"#).unwrap().filter,
            Some(eq("value", "42"))
        );
        assert!(parse_path("emails[type eq \"work\"].").is_err());
        assert!(parse_path("active extra").is_err());
    }
}

/// A text attribute a filter compares, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAttr {
    /// A User's `userName`: their username from the identity provider, else their email address
    /// (compared case-insensitively).
    UserName,
    /// A User's `emails.value`: the email address (compared case-insensitively).
    Email,
    /// `externalId` (case-exact, as RFC 7643 says).
    ExternalId,
    GivenName,
    FamilyName,
    /// A User's `emails.type`: the provider's label of the address (`work` unless it said).
    EmailType,
    /// A User's `displayName` and `name.formatted` (the name the console shows); a Group's name.
    DisplayName,
}

impl TextAttr {
    pub fn case_exact(self) -> bool {
        self == TextAttr::ExternalId
    }
}

/// A User's boolean attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// `active`: the member is active (not invited, not suspended).
    Active,
    /// `emails.primary`: the address is marked primary (true unless the provider said not).
    Primary,
}

/// What is filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    /// A resource's SCIM id: unique across every resource (RFC 7643 §3.1), so a Group's id
    /// carries a `g` before its number (`g12`) and a User's is its number.
    pub fn scim_id(self, id: i64) -> String {
        match self {
            Resource::User => id.to_string(),
            Resource::Group => format!("g{id}"),
        }
    }

    /// The number a SCIM id of this resource names; `None` for any other text, other spellings
    /// of the same number included (`+12`, `012`): a resource has one id (RFC 7643 §3.1).
    pub fn parse_id(self, text: &str) -> Option<i64> {
        let number = match self {
            Resource::User => text,
            Resource::Group => text.strip_prefix('g')?,
        };
        super::ids::parse_id(number).filter(|id| self.scim_id(*id) == text)
    }
}

/// A filter in the terms the store answers: every attribute resolved, every value typed. Built
/// by [`condition`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Text(TextAttr, CompareOp, String),
    Present(TextAttr),
    Modified(CompareOp, chrono::NaiveDateTime),
    Created(CompareOp, chrono::NaiveDateTime),
    /// A boolean attribute holds (`true`) or not.
    Flag(Flag, bool),
    Id(CompareOp, i64),
    /// Always true or always false (`id eq "abc"`: no id is not a number).
    Const(bool),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

fn unsupported(path: &AttrPath, resource: Resource) -> FilterError {
    let known = match resource {
        Resource::User => {
            "userName, emails.value, externalId, displayName, name.givenName, name.familyName, \
             active, id, meta.created or meta.lastModified"
        }
        Resource::Group => "displayName, externalId, id, meta.created or meta.lastModified",
    };
    FilterError(format!(
        "{resource:?}s cannot be filtered on “{}”: use {known}.",
        path.dotted()
    ))
}

/// Resolves a filter on `resource`, or says which attribute or value it cannot use.
pub fn condition(filter: &Filter, resource: Resource) -> Result<Cond, FilterError> {
    cond(filter, resource, None)
}

fn cond(filter: &Filter, resource: Resource, within: Option<&str>) -> Result<Cond, FilterError> {
    Ok(match filter {
        Filter::And(a, b) => Cond::And(
            Box::new(cond(a, resource, within)?),
            Box::new(cond(b, resource, within)?),
        ),
        Filter::Or(a, b) => Cond::Or(
            Box::new(cond(a, resource, within)?),
            Box::new(cond(b, resource, within)?),
        ),
        Filter::Not(inner) => Cond::Not(Box::new(cond(inner, resource, within)?)),
        Filter::ValuePath(path, inner) => {
            if within.is_some()
                || path.sub.is_some()
                || path.name != "emails"
                || resource != Resource::User
            {
                return Err(unsupported(path, resource));
            }
            cond(inner, resource, Some("emails"))?
        }
        Filter::Present(path) => match attribute(path, resource, within)? {
            Attr::Text(text) => Cond::Present(text),
            Attr::Flag(_) | Attr::Id(_) | Attr::Created | Attr::Modified => Cond::Const(true),
        },
        Filter::Compare(path, op, value) => {
            compare(attribute(path, resource, within)?, *op, value, path)?
        }
    })
}

enum Attr {
    Text(TextAttr),
    Flag(Flag),
    Id(Resource),
    Created,
    Modified,
}

fn attribute(
    path: &AttrPath,
    resource: Resource,
    within: Option<&str>,
) -> Result<Attr, FilterError> {
    // An attribute of another schema (an extension's, or Groups' for a User) is not this one's
    // attribute of the same name.
    let schema = match resource {
        Resource::User => USER_SCHEMA,
        Resource::Group => GROUP_SCHEMA,
    };
    if path
        .urn
        .as_deref()
        .is_some_and(|urn| !urn.eq_ignore_ascii_case(schema))
    {
        return Err(unsupported(path, resource));
    }
    let name = match within {
        Some(parent) if path.sub.is_none() => format!("{parent}.{}", path.name),
        Some(_) => return Err(unsupported(path, resource)),
        None => path.dotted(),
    };
    Ok(match (resource, name.as_str()) {
        (_, "externalid") => Attr::Text(TextAttr::ExternalId),
        (_, "displayname") => Attr::Text(TextAttr::DisplayName),
        (_, "id") => Attr::Id(resource),
        (_, "meta.created") => Attr::Created,
        (_, "meta.lastmodified") => Attr::Modified,
        (Resource::User, "username") => Attr::Text(TextAttr::UserName),
        (Resource::User, "emails" | "emails.value") => Attr::Text(TextAttr::Email),
        (Resource::User, "name.formatted") => Attr::Text(TextAttr::DisplayName),
        (Resource::User, "name.givenname") => Attr::Text(TextAttr::GivenName),
        (Resource::User, "name.familyname") => Attr::Text(TextAttr::FamilyName),
        (Resource::User, "emails.type") => Attr::Text(TextAttr::EmailType),
        (Resource::User, "emails.primary") => Attr::Flag(Flag::Primary),
        (Resource::User, "active") => Attr::Flag(Flag::Active),
        _ => return Err(unsupported(path, resource)),
    })
}

fn compare(attr: Attr, op: CompareOp, value: &Value, path: &AttrPath) -> Result<Cond, FilterError> {
    let wrong = |what: &str| FilterError(format!("“{}” {what}.", path.dotted()));
    Ok(match attr {
        Attr::Text(text) => match value {
            Value::Str(s) => Cond::Text(text, op, s.clone()),
            Value::Null if op == CompareOp::Eq => Cond::Not(Box::new(Cond::Present(text))),
            Value::Null if op == CompareOp::Ne => Cond::Present(text),
            _ => return Err(wrong("takes a string")),
        },
        Attr::Flag(flag) => {
            let wanted = match value {
                Value::Bool(b) => *b,
                // Entra sends booleans as strings.
                Value::Str(s) if s.eq_ignore_ascii_case("true") => true,
                Value::Str(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(wrong("takes true or false")),
            };
            match op {
                CompareOp::Eq => Cond::Flag(flag, wanted),
                CompareOp::Ne => Cond::Flag(flag, !wanted),
                _ => return Err(wrong("takes eq or ne")),
            }
        }
        Attr::Id(resource) => {
            let id = match value {
                Value::Str(s) => resource.parse_id(s),
                Value::Num(n) if n.fract() == 0.0 && resource == Resource::User => Some(*n as i64),
                _ => None,
            };
            match (id, op) {
                (Some(id), CompareOp::Eq | CompareOp::Ne) => Cond::Id(op, id),
                // No resource of this type has an id of another form.
                (None, CompareOp::Eq) => Cond::Const(false),
                (None, CompareOp::Ne) => Cond::Const(true),
                _ => return Err(wrong("takes eq or ne")),
            }
        }
        Attr::Created | Attr::Modified => {
            let Value::Str(text) = value else {
                return Err(wrong("takes a date and time (\"2026-12-04T10:00:00Z\")"));
            };
            let at = chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| wrong("takes a date and time (\"2026-12-04T10:00:00Z\")"))?
                .naive_utc();
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(wrong("takes eq, ne, gt, ge, lt or le"));
            }
            // Past every stored time (and past the four-digit years SQLite compares as text).
            if chrono::Datelike::year(&at) >= 9999 {
                return Ok(Cond::Const(matches!(
                    op,
                    CompareOp::Lt | CompareOp::Le | CompareOp::Ne
                )));
            }
            let make = if matches!(attr, Attr::Created) {
                Cond::Created
            } else {
                Cond::Modified
            };
            to_the_second(op, at, make)
        }
    })
}

/// A comparison with a time as resources show it: to the second (`meta.lastModified` is
/// "…10:33:00Z" for a row changed at 10:33:00.42). Stored times keep their fractions, so each
/// operator is turned into a range at whole seconds: `eq` on a time a resource shows finds it,
/// `gt` on it leaves it out — what an identity provider's "changed since" sync asks.
fn to_the_second(
    op: CompareOp,
    at: chrono::NaiveDateTime,
    make: fn(CompareOp, chrono::NaiveDateTime) -> Cond,
) -> Cond {
    use chrono::Timelike;
    let floor = at.with_nanosecond(0).unwrap_or(at);
    let next = floor + chrono::Duration::seconds(1);
    // The first whole second at or after `at`.
    let ceil = if floor == at { at } else { next };
    let equal = || {
        if floor == at {
            Cond::And(
                Box::new(make(CompareOp::Ge, floor)),
                Box::new(make(CompareOp::Lt, next)),
            )
        } else {
            // No time shown to the second has a fraction.
            Cond::Const(false)
        }
    };
    match op {
        CompareOp::Gt => make(CompareOp::Ge, next),
        CompareOp::Ge => make(CompareOp::Ge, ceil),
        CompareOp::Lt => make(CompareOp::Lt, ceil),
        CompareOp::Le => make(CompareOp::Lt, next),
        CompareOp::Ne => Cond::Not(Box::new(equal())),
        _ => equal(),
    }
}

#[cfg(test)]
mod condition_tests {
    use super::*;

    fn cond(text: &str) -> Result<Cond, FilterError> {
        condition(&parse(text).unwrap(), Resource::User)
    }

    #[test]
    fn user_attributes_resolve_to_what_is_stored() {
        assert_eq!(
            cond(r#"userName eq "Ada@Example.com""#),
            Ok(Cond::Text(
                TextAttr::UserName,
                CompareOp::Eq,
                "Ada@Example.com".into()
            ))
        );
        assert_eq!(
            cond(r#"emails[type eq "work" and value eq "a@b.c"]"#),
            Ok(Cond::And(
                Box::new(Cond::Text(
                    TextAttr::EmailType,
                    CompareOp::Eq,
                    "work".into()
                )),
                Box::new(Cond::Text(TextAttr::Email, CompareOp::Eq, "a@b.c".into()))
            ))
        );
        assert_eq!(
            cond("active eq \"False\""),
            Ok(Cond::Flag(Flag::Active, false))
        );
        assert_eq!(cond("active ne true"), Ok(Cond::Flag(Flag::Active, false)));
        // The core schema's URN names the same attribute; another schema's does not.
        assert_eq!(
            cond(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a@b.c""#),
            Ok(Cond::Text(
                TextAttr::UserName,
                CompareOp::Eq,
                "a@b.c".into()
            ))
        );
        for other in [
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:displayName eq "x""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x""#,
        ] {
            assert!(cond(other).is_err(), "{other}");
        }
        assert_eq!(
            cond("emails[primary eq true]"),
            Ok(Cond::Flag(Flag::Primary, true))
        );
        assert_eq!(
            cond("externalId pr"),
            Ok(Cond::Present(TextAttr::ExternalId))
        );
        assert!(matches!(
            cond(r#"meta.lastModified ge "2026-12-01T00:00:00Z""#),
            Ok(Cond::Modified(CompareOp::Ge, _))
        ));
        // Times as resources show them, to the second: each operator a range of whole seconds.
        let at = |text: &str| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
        };
        let (shown, next) = (at("2026-12-07 10:33:00"), at("2026-12-07 10:33:01"));
        let modified =
            |op: &str, value: &str| cond(&format!(r#"meta.lastModified {op} "{value}""#)).unwrap();
        assert_eq!(
            modified("eq", "2026-12-07T10:33:00Z"),
            Cond::And(
                Box::new(Cond::Modified(CompareOp::Ge, shown)),
                Box::new(Cond::Modified(CompareOp::Lt, next))
            )
        );
        let (whole, half) = ("2026-12-07T10:33:00Z", "2026-12-07T10:32:59.5Z");
        for (op, value, expected) in [
            ("gt", whole, Cond::Modified(CompareOp::Ge, next)),
            ("le", whole, Cond::Modified(CompareOp::Lt, next)),
            ("lt", whole, Cond::Modified(CompareOp::Lt, shown)),
            ("ge", half, Cond::Modified(CompareOp::Ge, shown)),
            ("gt", half, Cond::Modified(CompareOp::Ge, shown)),
        ] {
            assert_eq!(modified(op, value), expected, "{op} {value}");
        }
        assert_eq!(modified("eq", "2026-12-07T10:33:00.5Z"), Cond::Const(false));
        assert!(matches!(
            modified("ne", "2026-12-07T10:33:00Z"),
            Cond::Not(_)
        ));
        assert_eq!(cond(r#"id eq "abc""#), Ok(Cond::Const(false)));
        let group = |text: &str| condition(&parse(text).unwrap(), Resource::Group);
        assert_eq!(group(r#"id eq "g12""#), Ok(Cond::Id(CompareOp::Eq, 12)));
        // A User's id is no Group's.
        assert_eq!(group(r#"id eq "12""#), Ok(Cond::Const(false)));
    }

    #[test]
    fn ids_belong_to_one_resource() {
        for (resource, text, id) in [
            (Resource::User, "12", Some(12)),
            (Resource::User, "g12", None),
            (Resource::Group, "g12", Some(12)),
            (Resource::Group, "12", None),
            (Resource::Group, "g+1", None),
            (Resource::Group, "g0", None),
            // One spelling each.
            (Resource::User, "+12", None),
            (Resource::User, "012", None),
            (Resource::Group, "g012", None),
            (Resource::User, " 12", None),
        ] {
            assert_eq!(resource.parse_id(text), id, "{text}");
        }
        assert_eq!(Resource::Group.scim_id(12), "g12");
    }

    #[test]
    fn what_users_cannot_be_filtered_on_is_named() {
        for (bad, word) in [
            (r#"title eq "x""#, "title"),
            (r#"active gt true"#, "active"),
            (r#"meta.lastModified co "2026""#, "meta.lastmodified"),
            (r#"meta.created gt "yesterday""#, "meta.created"),
            (r#"phoneNumbers[type eq "work"]"#, "phonenumbers"),
            (r#"userName eq 42"#, "username"),
        ] {
            let e = cond(bad).unwrap_err();
            assert!(e.0.contains(word), "{bad}: {e}");
        }
    }

    #[test]
    fn groups_are_filtered_on_their_name_external_id_and_dates() {
        let group = |text: &str| condition(&parse(text).unwrap(), Resource::Group);
        assert_eq!(
            group(r#"displayName eq "Engineering""#),
            Ok(Cond::Text(
                TextAttr::DisplayName,
                CompareOp::Eq,
                "Engineering".into()
            ))
        );
        assert!(
            group(r#"userName eq "a""#)
                .unwrap_err()
                .0
                .contains("Groups")
        );
        assert!(group(r#"emails[type eq "work"]"#).is_err());
    }
}
