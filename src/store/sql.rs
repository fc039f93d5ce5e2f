//! Hand-written SQL fragments that keep their statement in the prepared-statement cache.
//!
//! diesel never caches a statement holding one of its `sql()` literals, so a query with such a
//! fragment is parsed and planned by the database on every execution (on the users list that was
//! a tenth of the CPU per request). A statement's cache key is its SQL text and bind types, so a
//! fragment is as safe to cache as the DSL as long as every value in it is bound, never formatted
//! into the text, and the texts come from a fixed set: both hold for every fragment built here.

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, AsExpression, Expression, SelectableExpression, TypedExpressionType,
    ValidGrouping, is_aggregate,
};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::RunQueryDsl;
use diesel::result::QueryResult;
use diesel::sql_types::{Nullable, SqlType};

/// SQL text of type `ST`, after `before` (nothing, or an earlier fragment with a bound value).
#[derive(Debug, Clone)]
pub struct Sql<ST, T = ()> {
    before: T,
    text: Cow<'static, str>,
    sql_type: PhantomData<ST>,
}

/// A value bound after the fragment `query` (a `?` or `$n` in the statement).
#[derive(Debug, Clone)]
pub struct Bind<ST, Q, V> {
    query: Q,
    value: V,
    sql_type: PhantomData<ST>,
}

/// A fragment of SQL text whose type is `ST`, like `diesel::dsl::sql`.
pub fn sql<ST: TypedExpressionType>(text: impl Into<Cow<'static, str>>) -> Sql<ST> {
    Sql {
        before: (),
        text: text.into(),
        sql_type: PhantomData,
    }
}

impl<ST, T> Sql<ST, T> {
    /// Binds `value` as a `BT` right after this text.
    pub fn bind<BT, V>(self, value: V) -> Bind<ST, Self, V::Expression>
    where
        BT: diesel::sql_types::SqlType + TypedExpressionType,
        V: AsExpression<BT>,
    {
        Bind {
            query: self,
            value: value.as_expression(),
            sql_type: PhantomData,
        }
    }
}

impl<ST, Q, V> Bind<ST, Q, V> {
    /// More text after the bound value.
    pub fn sql(self, text: impl Into<Cow<'static, str>>) -> Sql<ST, Self> {
        Sql {
            before: self,
            text: text.into(),
            sql_type: PhantomData,
        }
    }
}

impl<ST: TypedExpressionType, T> Expression for Sql<ST, T> {
    type SqlType = ST;
}

impl<ST: TypedExpressionType, Q, V> Expression for Bind<ST, Q, V> {
    type SqlType = ST;
}

impl<DB: Backend, ST, T: QueryFragment<DB>> QueryFragment<DB> for Sql<ST, T> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.before.walk_ast(out.reborrow())?;
        out.push_sql(&self.text);
        Ok(())
    }
}

impl<DB: Backend, ST, Q: QueryFragment<DB>, V: QueryFragment<DB>> QueryFragment<DB>
    for Bind<ST, Q, V>
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        self.value.walk_ast(out.reborrow())?;
        Ok(())
    }
}

/// The text is part of the cache key, so there is no static id.
macro_rules! fragment_traits {
    ($name:ident < $($param:ident),* >) => {
        impl<$($param),*> QueryId for $name<$($param),*> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<$($param,)* GB> ValidGrouping<GB> for $name<$($param),*> {
            type IsAggregate = is_aggregate::Never;
        }

        impl<$($param,)* QS> AppearsOnTable<QS> for $name<$($param),*> where Self: Expression {}

        impl<$($param,)* QS> SelectableExpression<QS> for $name<$($param),*> where Self: Expression {}
    };
}

fragment_traits!(Sql<ST, T>);
fragment_traits!(Bind<ST, Q, V>);

/// Two queries' rows side by side in one statement: each row of `first` with the row of `second`
/// (each query at most one row: give both a `LIMIT 1`), or with NULLs where `second` has none.
/// Where the two are network round trips, this makes them one.
#[derive(Debug, Clone, QueryId)]
pub struct Beside<A, B> {
    first: A,
    second: B,
}

/// `first`'s row with `second`'s beside it, if it has one (see [`Beside`]).
pub fn beside<A, B>(first: A, second: B) -> Beside<A, B> {
    Beside { first, second }
}

impl<A, B> Query for Beside<A, B>
where
    A: Query,
    B: Query,
    B::SqlType: SqlType,
{
    type SqlType = (A::SqlType, Nullable<B::SqlType>);
}

impl<DB: Backend, A: QueryFragment<DB>, B: QueryFragment<DB>> QueryFragment<DB> for Beside<A, B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT * FROM (");
        self.first.walk_ast(out.reborrow())?;
        out.push_sql(") AS first_row LEFT JOIN (");
        self.second.walk_ast(out.reborrow())?;
        out.push_sql(") AS second_row ON TRUE");
        Ok(())
    }
}

impl<A, B, Conn> RunQueryDsl<Conn> for Beside<A, B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{BigInt, Bool, Text};
    use diesel::sqlite::Sqlite;

    #[test]
    fn text_and_binds_come_out_in_order_and_stay_cacheable() {
        let fragment = sql::<Bool>("a = ")
            .bind::<Text, _>("x".to_owned())
            .sql(" AND b = ")
            .bind::<BigInt, _>(7_i64)
            .sql("");
        let query = diesel::select(fragment);
        assert_eq!(
            diesel::debug_query::<Sqlite, _>(&query).to_string(),
            "SELECT a = ? AND b = ? -- binds: [\"x\", 7]"
        );
        assert!(QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&query, &Sqlite).unwrap());
        // diesel's own literal is never cached: the reason this module exists.
        let literal = diesel::select(diesel::dsl::sql::<Bool>("1 = 1"));
        assert!(!QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&literal, &Sqlite).unwrap());
    }

    #[test]
    fn a_query_beside_another_reads_both_rows_or_nulls_for_the_second() {
        use diesel::prelude::*;
        diesel::table! { numbers (n) { n -> Integer } }
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query("INSERT INTO numbers VALUES (1), (2)")
            .execute(&mut conn)
            .unwrap();
        let one = |n: i32| {
            numbers::table
                .filter(numbers::n.eq(n))
                .select(numbers::n)
                .limit(1)
        };
        let mut read = |first, second| -> Option<(i32, Option<i32>)> {
            beside(one(first), one(second))
                .get_result(&mut conn)
                .optional()
                .unwrap()
        };
        assert_eq!(read(1, 2), Some((1, Some(2))));
        assert_eq!(read(1, 3), Some((1, None)), "no second row: NULLs beside");
        assert_eq!(read(3, 1), None, "no first row: no row");
        let query = beside(one(1), one(2));
        let text = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(text.starts_with("SELECT * FROM (SELECT"), "{text}");
        assert!(
            text.ends_with("-- binds: [1, 1, 2, 1]"),
            "binds in order: {text}"
        );
        assert!(QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&query, &Sqlite).unwrap());
    }
}
