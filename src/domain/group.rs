//! Groups: named sets of a workspace's members (PRODUCT §2, issue 6). Names are [`super::Name`]s,
//! unique per workspace regardless of case (the database's unique index says so too); descriptions
//! are [`super::Description`]s.

/// What adding a pasted list of addresses to a group did, address by address.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BulkAdd {
    pub added: Vec<String>,
    pub already: Vec<String>,
    /// Addresses of nobody in the workspace (or of removed members).
    pub not_members: Vec<String>,
}

impl BulkAdd {
    /// "Added 2 members. Already in the group: a@x. Not current members of this workspace (…): b@x."
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.added.len() {
            0 => "Nobody was added.".to_owned(),
            1 => "Added 1 member.".to_owned(),
            n => format!("Added {n} members."),
        }];
        if !self.already.is_empty() {
            parts.push(format!(
                "Already in the group: {}.",
                self.already.join(", ")
            ));
        }
        if !self.not_members.is_empty() {
            parts.push(format!(
                "Not current members of this workspace (removed, or never in it): {}.",
                self.not_members.join(", ")
            ));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_summaries_name_each_kind_of_address() {
        let none = BulkAdd::default();
        assert_eq!(none.summary(), "Nobody was added.");
        let all = BulkAdd {
            added: vec!["a@x.io".into(), "b@x.io".into()],
            already: vec!["c@x.io".into()],
            not_members: vec!["d@x.io".into(), "e@x.io".into()],
        };
        assert_eq!(
            all.summary(),
            "Added 2 members. Already in the group: c@x.io. Not current members of this workspace (removed, or never in it): d@x.io, e@x.io."
        );
    }
}
