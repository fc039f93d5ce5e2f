//! SCIM filters (resolved by `domain::scim_filter`) as SQL: fixed texts with bound values, so every
//! statement stays in the prepared-statement cache, for Users (memberships joined with accounts)
//! and Groups.

use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};

use super::contains_pattern;
use super::sql::sql;
use crate::db::MultiBackend;
use crate::domain::scim_filter::{CompareOp, Cond, Flag, TextAttr};

/// Where a resource's attributes are stored.
pub struct Columns {
    /// A text attribute's column as compared: lower-cased unless the attribute is case-exact.
    pub text: fn(TextAttr) -> &'static str,
    pub id: &'static str,
    pub created: &'static str,
    pub modified: &'static str,
    /// Where a boolean attribute holds (Users only).
    pub flag: fn(Flag) -> &'static str,
}

pub const USERS: Columns = Columns {
    text: |text| match text {
        TextAttr::UserName => "lower(COALESCE(memberships.scim_user_name, memberships.sort_email))",
        TextAttr::Email => "lower(accounts.email)",
        TextAttr::EmailType => "lower(COALESCE(memberships.scim_email_type, 'work'))",
        TextAttr::ExternalId => "COALESCE(memberships.external_id, '')",
        TextAttr::GivenName => "lower(accounts.first_name)",
        TextAttr::FamilyName => "lower(accounts.last_name)",
        TextAttr::DisplayName => {
            "lower(CASE WHEN TRIM(accounts.first_name || ' ' || accounts.last_name) = '' \
             THEN accounts.email ELSE TRIM(accounts.first_name || ' ' || accounts.last_name) END)"
        }
    },
    id: "memberships.id",
    created: "memberships.created_at",
    modified: "memberships.updated_at",
    flag: |flag| match flag {
        // As `active` reads: a member whose account is blocked organization-wide is not.
        Flag::Active => "(memberships.status = 'active' AND accounts.status = 'active')",
        Flag::Primary => "COALESCE(memberships.scim_email_primary, TRUE)",
    },
};

pub const GROUPS: Columns = Columns {
    text: |text| match text {
        TextAttr::ExternalId => "COALESCE(groups.external_id, '')",
        // A group's only name; the domain refuses user attributes on groups.
        _ => "lower(groups.name)",
    },
    id: "groups.id",
    created: "groups.created_at",
    modified: "groups.updated_at",
    // The domain refuses user attributes on groups.
    flag: |_| "1 = 0",
};

pub type Condition<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>>;

fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "LIKE",
    }
}

/// A `LIKE … ESCAPE '\'` pattern for co/sw/ew.
fn like(op: CompareOp, value: &str) -> String {
    let escaped = contains_pattern(value).unwrap_or_else(|| "%%".to_owned());
    let inner = &escaped[1..escaped.len() - 1];
    match op {
        CompareOp::Sw => format!("{inner}%"),
        CompareOp::Ew => format!("%{inner}"),
        _ => escaped,
    }
}

/// co/sw/ew on a case-exact attribute (`externalId`): SQLite's LIKE ignores case (and the
/// LIKE pattern is trimmed and lower-cased for the other attributes), so string functions both
/// backends have and that compare exactly. Every text contains the empty one.
fn case_exact_match<QS: 'static>(column: &str, op: CompareOp, value: String) -> Condition<QS> {
    if value.is_empty() {
        return Box::new(sql::<Bool>("1 = 1"));
    }
    match op {
        CompareOp::Sw => Box::new(
            sql::<Bool>(format!("substr({column}, 1, length("))
                .bind::<Text, _>(value.clone())
                .sql(")) = ")
                .bind::<Text, _>(value)
                .sql(""),
        ),
        CompareOp::Ew => Box::new(
            sql::<Bool>(format!("length({column}) >= length("))
                .bind::<Text, _>(value.clone())
                .sql(format!(") AND substr({column}, length({column}) - length("))
                .bind::<Text, _>(value.clone())
                .sql(") + 1) = ")
                .bind::<Text, _>(value)
                .sql(""),
        ),
        _ => Box::new(
            sql::<Bool>(format!("replace({column}, "))
                .bind::<Text, _>(value)
                .sql(format!(", '') <> {column}")),
        ),
    }
}

pub fn condition<QS: 'static>(c: &Cond, columns: &Columns) -> Condition<QS> {
    let compare = |column: &str, op: CompareOp| format!("{column} {} ", operator(op));
    match c {
        Cond::Text(text, op, value) => {
            let value = if text.case_exact() {
                value.clone()
            } else {
                value.to_lowercase()
            };
            let column = (columns.text)(*text);
            let lhs = compare(column, *op);
            let partial = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if partial && text.case_exact() {
                case_exact_match(column, *op, value)
            } else if partial {
                Box::new(
                    sql::<Bool>(lhs)
                        .bind::<Text, _>(like(*op, &value))
                        .sql(" ESCAPE '\\'"),
                )
            } else {
                Box::new(sql::<Bool>(lhs).bind::<Text, _>(value).sql(""))
            }
        }
        Cond::Present(text) => Box::new(sql::<Bool>(format!("{} <> ''", (columns.text)(*text)))),
        Cond::Modified(op, at) => Box::new(
            sql::<Bool>(compare(columns.modified, *op))
                .bind::<Timestamp, _>(*at)
                .sql(""),
        ),
        Cond::Created(op, at) => Box::new(
            sql::<Bool>(compare(columns.created, *op))
                .bind::<Timestamp, _>(*at)
                .sql(""),
        ),
        Cond::Flag(flag, true) => Box::new(sql::<Bool>((columns.flag)(*flag))),
        Cond::Flag(flag, false) => Box::new(diesel::dsl::not(sql::<Bool>((columns.flag)(*flag)))),
        Cond::Id(op, id) => Box::new(
            sql::<Bool>(compare(columns.id, *op))
                .bind::<BigInt, _>(*id)
                .sql(""),
        ),
        Cond::Const(true) => Box::new(sql::<Bool>("1 = 1")),
        Cond::Const(false) => Box::new(sql::<Bool>("1 = 0")),
        Cond::And(a, b) => Box::new(condition::<QS>(a, columns).and(condition::<QS>(b, columns))),
        Cond::Or(a, b) => Box::new(condition::<QS>(a, columns).or(condition::<QS>(b, columns))),
        Cond::Not(a) => Box::new(diesel::dsl::not(condition::<QS>(a, columns))),
    }
}
