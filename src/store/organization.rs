use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::organization;

/// The one organization of this install.
#[derive(Debug, Clone)]
pub struct Organization {
    pub name: String,
    pub setup_completed: bool,
}

pub fn get(conn: &mut AnyConnection) -> QueryResult<Organization> {
    let (name, completed) = organization::table
        .select((organization::name, organization::setup_completed_at))
        .first::<(String, Option<NaiveDateTime>)>(conn)?;
    Ok(Organization {
        name,
        setup_completed: completed.is_some(),
    })
}

pub fn complete_setup(conn: &mut AnyConnection, name: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(organization::table)
        .set((
            organization::name.eq(name),
            organization::setup_completed_at.eq(Some(now)),
            organization::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn rename(conn: &mut AnyConnection, name: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(organization::table)
        .set((
            organization::name.eq(name),
            organization::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
