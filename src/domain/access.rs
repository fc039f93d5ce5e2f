//! Effective access to apps: the highest of a member's direct grant and their groups' grants, with
//! the reasons (PRODUCT §2 Grant, issue 4 Access tab).

use std::fmt;

/// A grant's level: view < run < edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    View,
    Run,
    Edit,
}

impl Level {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "view" => Some(Level::View),
            "run" => Some(Level::Run),
            "edit" => Some(Level::Edit),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Level::View => "view",
            Level::Run => "run",
            Level::Edit => "edit",
        }
    }

    /// "Can run", "Can edit"…
    pub fn verb(self) -> &'static str {
        match self {
            Level::View => "Can view",
            Level::Run => "Can run",
            Level::Edit => "Can edit",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What access is granted to (PRODUCT §2 App).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKind {
    App,
    Workflow,
    Project,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Choose app, workflow or project.")]
pub struct UnknownKind;

impl AppKind {
    pub const ALL: [AppKind; 3] = [AppKind::App, AppKind::Workflow, AppKind::Project];

    pub fn parse(key: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.key() == key)
            .ok_or(UnknownKind)
    }

    pub fn key(self) -> &'static str {
        match self {
            AppKind::App => "app",
            AppKind::Workflow => "workflow",
            AppKind::Project => "project",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppKind::App => "App",
            AppKind::Workflow => "Workflow",
            AppKind::Project => "Project",
        }
    }
}

/// The level every active member has on an app that is not restricted: they may use it (run), and
/// only a grant lets them edit it. A restricted app is open only to its grants.
pub const UNRESTRICTED_LEVEL: Level = Level::Run;

/// Where a grant comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Direct,
    Group(String),
    /// The app is not restricted: everyone in the workspace may use it.
    Everyone,
}

/// One grant reaching a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFact {
    pub app_id: i64,
    pub app: String,
    pub kind: String,
    pub level: Level,
    pub source: Source,
}

/// A member's access to one app: the highest level, and every grant that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub app_id: i64,
    pub app: String,
    pub kind: String,
    pub level: Level,
    /// "direct grant", "group Finance" — the grants at the winning level, direct first.
    pub reasons: Vec<String>,
}

impl Effective {
    /// "Can run Payroll run — through group Finance".
    pub fn sentence(&self) -> String {
        format!(
            "{} {} — {}",
            self.level.verb(),
            self.app,
            self.reasons.join(", ")
        )
    }
}

/// Folds grants into effective access per app, ordered by app name as people read it ("Calendar"
/// before "CRM").
pub fn effective_access(mut grants: Vec<GrantFact>) -> Vec<Effective> {
    grants.sort_by_cached_key(|g| (g.app.to_lowercase(), g.app_id));
    let mut out: Vec<Effective> = Vec::new();
    for app_grants in grants.chunk_by(|a, b| a.app_id == b.app_id) {
        let top = app_grants
            .iter()
            .map(|g| g.level)
            .max()
            .unwrap_or(Level::View);
        let mut winning: Vec<&GrantFact> = app_grants.iter().filter(|g| g.level == top).collect();
        winning.sort_by_key(|g| match &g.source {
            Source::Direct => (0, String::new()),
            Source::Group(name) => (1, name.clone()),
            Source::Everyone => (2, String::new()),
        });
        let reasons = winning
            .iter()
            .map(|g| match &g.source {
                Source::Direct => "direct grant".to_owned(),
                Source::Group(name) => format!("through group {name}"),
                Source::Everyone => "open to everyone in the workspace".to_owned(),
            })
            .collect();
        let first = &app_grants[0];
        out.push(Effective {
            app_id: first.app_id,
            app: first.app.clone(),
            kind: first.kind.clone(),
            level: top,
            reasons,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(app_id: i64, app: &str, level: Level, source: Source) -> GrantFact {
        GrantFact {
            app_id,
            app: app.to_owned(),
            kind: "app".to_owned(),
            level,
            source,
        }
    }

    type Expected<'a> = Vec<(&'a str, Level, Vec<&'a str>)>;

    /// Each case's effective access, by app: its level and its reasons.
    fn check(cases: Vec<(Vec<GrantFact>, Expected)>) {
        for (grants, expected) in cases {
            let got = effective_access(grants);
            let got: Expected = got
                .iter()
                .map(|e| {
                    (
                        e.app.as_str(),
                        e.level,
                        e.reasons.iter().map(String::as_str).collect(),
                    )
                })
                .collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn highest_level_wins_with_its_reasons() {
        check(vec![
            // Direct only.
            (
                vec![grant(1, "CRM", Level::Edit, Source::Direct)],
                vec![("CRM", Level::Edit, vec!["direct grant"])],
            ),
            // Group beats a lower direct grant.
            (
                vec![
                    grant(1, "Payroll", Level::View, Source::Direct),
                    grant(1, "Payroll", Level::Run, Source::Group("Finance".into())),
                ],
                vec![("Payroll", Level::Run, vec!["through group Finance"])],
            ),
            // Direct beats lower groups.
            (
                vec![
                    grant(1, "Wiki", Level::Edit, Source::Direct),
                    grant(1, "Wiki", Level::View, Source::Group("All".into())),
                ],
                vec![("Wiki", Level::Edit, vec!["direct grant"])],
            ),
            // Ties name every source, direct first, groups by name.
            (
                vec![
                    grant(1, "CRM", Level::Run, Source::Group("Sales".into())),
                    grant(1, "CRM", Level::Run, Source::Direct),
                    grant(1, "CRM", Level::Run, Source::Group("Finance".into())),
                ],
                vec![(
                    "CRM",
                    Level::Run,
                    vec![
                        "direct grant",
                        "through group Finance",
                        "through group Sales",
                    ],
                )],
            ),
            // Several apps, sorted by name.
            (
                vec![
                    grant(2, "Zeta", Level::View, Source::Direct),
                    grant(1, "Alpha", Level::Edit, Source::Group("Ops".into())),
                ],
                vec![
                    ("Alpha", Level::Edit, vec!["through group Ops"]),
                    ("Zeta", Level::View, vec!["direct grant"]),
                ],
            ),
            // Nothing granted, nothing effective.
            (vec![], vec![]),
        ]);
    }

    #[test]
    fn an_unrestricted_app_is_run_by_everyone_and_grants_only_raise_it() {
        check(vec![
            // Everyone may run it; a grant can only raise that.
            (
                vec![grant(1, "Wiki", UNRESTRICTED_LEVEL, Source::Everyone)],
                vec![(
                    "Wiki",
                    Level::Run,
                    vec!["open to everyone in the workspace"],
                )],
            ),
            (
                vec![
                    grant(1, "Wiki", UNRESTRICTED_LEVEL, Source::Everyone),
                    grant(1, "Wiki", Level::View, Source::Direct),
                ],
                vec![(
                    "Wiki",
                    Level::Run,
                    vec!["open to everyone in the workspace"],
                )],
            ),
            (
                vec![
                    grant(1, "Wiki", UNRESTRICTED_LEVEL, Source::Everyone),
                    grant(1, "Wiki", Level::Edit, Source::Group("Editors".into())),
                ],
                vec![("Wiki", Level::Edit, vec!["through group Editors"])],
            ),
            (
                vec![
                    grant(1, "Wiki", Level::Run, Source::Group("Staff".into())),
                    grant(1, "Wiki", UNRESTRICTED_LEVEL, Source::Everyone),
                ],
                vec![(
                    "Wiki",
                    Level::Run,
                    vec!["through group Staff", "open to everyone in the workspace"],
                )],
            ),
            // A restricted app brings no `Everyone` fact: only grants count.
            (
                vec![grant(
                    1,
                    "Payroll",
                    Level::View,
                    Source::Group("All".into()),
                )],
                vec![("Payroll", Level::View, vec!["through group All"])],
            ),
        ]);
    }

    #[test]
    fn levels_order_and_read() {
        assert!(Level::View < Level::Run && Level::Run < Level::Edit);
        assert_eq!(Level::from_key("run"), Some(Level::Run));
        assert_eq!(Level::from_key("admin"), None);
        assert_eq!(AppKind::parse("workflow"), Ok(AppKind::Workflow));
        assert_eq!(AppKind::parse("Workflow"), Err(UnknownKind));
        assert!(
            AppKind::ALL
                .iter()
                .all(|k| AppKind::parse(k.key()) == Ok(*k))
        );
        let e = effective_access(vec![grant(
            1,
            "Payroll run",
            Level::Run,
            Source::Group("Finance".into()),
        )]);
        assert_eq!(
            e[0].sentence(),
            "Can run Payroll run — through group Finance"
        );
        let by_name = effective_access(vec![
            grant(1, "CRM", Level::View, Source::Direct),
            grant(2, "Calendar", Level::View, Source::Direct),
        ]);
        assert_eq!(
            by_name.iter().map(|e| e.app.as_str()).collect::<Vec<_>>(),
            ["Calendar", "CRM"],
            "as people read names, not by byte"
        );
    }
}
