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
    /// "Added 2 members: a@x, c@x. Already in the group: b@x. Not current members of this
    /// workspace (…): d@x." Each list names ten at most ("and 191 more").
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.added.len() {
            0 => "Nobody was added.".to_owned(),
            1 => format!("Added 1 member: {}.", listed(&self.added)),
            n => format!(
                "Added {} members: {}.",
                super::grouped(n as i64),
                listed(&self.added)
            ),
        }];
        if !self.already.is_empty() {
            parts.push(format!("Already in the group: {}.", listed(&self.already)));
        }
        if !self.not_members.is_empty() {
            parts.push(format!(
                "Not current members of this workspace (removed, or never in it): {}.",
                listed(&self.not_members)
            ));
        }
        parts.join(" ")
    }
}

/// The first ten addresses, and how many more.
fn listed(addresses: &[String]) -> String {
    const NAMED: usize = 10;
    let shown = addresses[..addresses.len().min(NAMED)].join(", ");
    match addresses.len().saturating_sub(NAMED) {
        0 => shown,
        more => format!("{shown} and {} more", super::grouped(more as i64)),
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
            "Added 2 members: a@x.io, b@x.io. Already in the group: c@x.io. Not current members of this workspace (removed, or never in it): d@x.io, e@x.io."
        );
        let many = BulkAdd {
            added: (0..12).map(|i| format!("p{i}@x.io")).collect(),
            ..BulkAdd::default()
        };
        assert!(
            many.summary().ends_with(", p9@x.io and 2 more."),
            "{}",
            many.summary()
        );
    }
}
