//! What a SCIM PATCH (RFC 7644 §3.5.2) or PUT asks of a User, read into the changes this console
//! makes — with the identity providers' quirks: Entra's `"op": "Replace"` and `"False"` as a
//! string, Okta's operations with no `path` and an object `value`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::scim_filter::{self, PatchPath};

/// One operation of a PatchOp request.
#[derive(Debug, Clone, Deserialize)]
pub struct PatchOp {
    pub op: String,
    #[serde(default)]
    pub path: Option<String>,
    /// `None` when not sent; `Some(Value::Null)` when sent as `null` (which is unassigned).
    #[serde(default, deserialize_with = "sent")]
    pub value: Option<Value>,
}

/// A value that was sent, `null` included (a plain `Option` would read `null` as not sent).
fn sent<'de, D: serde::Deserializer<'de>>(value: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(value).map(Some)
}

/// The changes asked of a User; `None` leaves a value as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChanges {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub timezone: Option<String>,
    /// `Some(None)`: the external id is removed.
    pub external_id: Option<Option<String>>,
    pub active: Option<bool>,
    /// The `userName` asked for: only the current one is accepted after creation.
    pub user_name: Option<String>,
    /// The address asked for (`emails[…].value`).
    pub email: Option<String>,
    /// Its label (`emails[…].type`); `Some(None)`: not said.
    pub email_type: Option<Option<String>>,
    /// Whether it is marked primary (`emails[…].primary`); `Some(None)`: not said.
    pub email_primary: Option<Option<bool>>,
    /// The filters of `emails[…]` paths, each with the changes made before its operation: each
    /// must select the member's one address as it stands then.
    pub email_filters: Vec<(scim_filter::Filter, Box<UserChanges>)>,
}

impl UserChanges {
    /// RFC 7644 §3.5.2: an operation whose path filter selects no value is `noTarget`. The
    /// member's one address is judged as the operations before it leave it (an earlier one may
    /// relabel it; its own new value does not count): `emails[type eq "home"].value` on a work
    /// address changes nothing.
    pub fn check_email_filters(&self, email: &str, label: &EmailLabel) -> Result<(), PatchError> {
        let misses = |(filter, before): &(scim_filter::Filter, Box<UserChanges>)| {
            let address = before.email.as_deref().unwrap_or(email);
            !selects(filter, address, &label.after(before))
        };
        match self.email_filters.iter().any(misses) {
            false => Ok(()),
            true => Err(error(
                "noTarget",
                "A path's filter selects none of the member's addresses.",
            )),
        }
    }
}

/// Whether `filter` (on the sub-attributes of an `emails` value) selects the address.
fn selects(filter: &scim_filter::Filter, email: &str, label: &EmailLabel) -> bool {
    use scim_filter::{CompareOp, Filter, Value as V};
    match filter {
        Filter::And(a, b) => selects(a, email, label) && selects(b, email, label),
        Filter::Or(a, b) => selects(a, email, label) || selects(b, email, label),
        Filter::Not(inner) => !selects(inner, email, label),
        Filter::ValuePath(..) => false,
        Filter::Present(path) => matches!(path.name.as_str(), "value" | "type" | "primary"),
        Filter::Compare(path, op, wanted) => match (path.name.as_str(), wanted) {
            ("primary", V::Bool(wanted)) => match op {
                CompareOp::Eq => label.primary() == *wanted,
                CompareOp::Ne => label.primary() != *wanted,
                _ => false,
            },
            (name @ ("value" | "type"), V::Str(wanted)) => {
                // Both are case-insensitive (RFC 7643 §4.1.2).
                let have = if name == "value" { email } else { label.kind() }.to_lowercase();
                let wanted = wanted.to_lowercase();
                match op {
                    CompareOp::Eq => have == wanted,
                    CompareOp::Ne => have != wanted,
                    CompareOp::Co => have.contains(&wanted),
                    CompareOp::Sw => have.starts_with(&wanted),
                    CompareOp::Ew => have.ends_with(&wanted),
                    CompareOp::Gt => have > wanted,
                    CompareOp::Ge => have >= wanted,
                    CompareOp::Lt => have < wanted,
                    CompareOp::Le => have <= wanted,
                }
            }
            _ => false,
        },
    }
}

/// How the identity provider labels a member's one address, kept as sent so it reads back the
/// same; `None`: not said (read as `work`, primary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailLabel {
    pub kind: Option<String>,
    pub primary: Option<bool>,
}

impl EmailLabel {
    /// The label after `changes`, from this one.
    pub fn after(&self, changes: &UserChanges) -> EmailLabel {
        EmailLabel {
            kind: changes.email_type.clone().unwrap_or(self.kind.clone()),
            primary: changes.email_primary.unwrap_or(self.primary),
        }
    }

    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("work")
    }

    pub fn primary(&self) -> bool {
        self.primary.unwrap_or(true)
    }

    /// The same label as shown: an unset type is "work" and an unset `primary` true.
    pub fn reads_as(&self, other: &EmailLabel) -> bool {
        self.kind() == other.kind() && self.primary() == other.primary()
    }
}

/// Why a request cannot be applied: its `scimType` and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn error(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError {
        scim_type,
        detail: detail.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn op(text: &str) -> Result<Op, PatchError> {
    match text.to_ascii_lowercase().as_str() {
        "add" => Ok(Op::Add),
        "replace" => Ok(Op::Replace),
        "remove" => Ok(Op::Remove),
        _ => Err(error(
            "invalidSyntax",
            format!("“{text}” is not an operation: use add, replace or remove."),
        )),
    }
}

/// A boolean as the IdPs send it: `true`, or Entra's `"True"`.
fn boolean(name: &str, value: &Value) -> Result<bool, PatchError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(error(
            "invalidValue",
            format!("{name} takes true or false."),
        )),
    }
}

fn text(name: &str, value: &Value) -> Result<String, PatchError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(error("invalidValue", format!("{name} takes a string."))),
    }
}

/// The entry of `emails` that holds the address: the primary (else first) object of a list that
/// carries a `value`, or the one object; `None` when no entry carries one.
fn email_entry(value: &Value) -> Option<&Map<String, Value>> {
    fn of(item: &Value) -> Option<&Map<String, Value>> {
        item.as_object()
            .filter(|o| o.get("value").is_some_and(Value::is_string))
    }
    match value {
        Value::Array(items) => items
            .iter()
            .filter(|i| boolean("primary", &i["primary"]) == Ok(true))
            .chain(items.iter())
            .find_map(of),
        _ => of(value),
    }
}

/// The provider's own id of a User or Group: at most 200 characters, none of them a control
/// character; blank clears it.
fn external_id(value: &Value) -> Result<Option<String>, PatchError> {
    let id = text("externalId", value)?;
    if id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(error(
            "invalidValue",
            "externalId takes at most 200 characters, without control characters.",
        ));
    }
    Ok((!id.trim().is_empty()).then_some(id))
}

/// An `emails` entry that gives a label and no address (`{"primary": false}`).
fn is_label_only(entry: &Map<String, Value>) -> bool {
    !entry.is_empty()
        && entry.keys().all(|k| {
            matches!(
                k.to_ascii_lowercase().as_str(),
                "type" | "primary" | "display"
            )
        })
}

/// An address's label as sent: a string of at most 50 characters.
fn email_type(value: &Value) -> Result<String, PatchError> {
    let kind = text("emails.type", value)?;
    if kind.chars().count() > 50 || kind.chars().any(char::is_control) {
        return Err(error(
            "invalidValue",
            "emails.type takes at most 50 characters (work, home, other).",
        ));
    }
    Ok(kind)
}

impl UserChanges {
    /// `op` of `value` on one attribute (`name` lower-case, dotted; `whole`: not one entry that a
    /// value filter chose). `null` is unassigned (RFC 7643 §2.5): it clears what can be cleared;
    /// `active`, the userName and the address, which a member always has, stay as they are.
    /// Adding to `emails` entries none of which is primary adds what is not kept (the member has
    /// one address): ignored, as a second address would otherwise replace their sign-in address.
    fn apply(&mut self, name: &str, op: Op, value: &Value, whole: bool) -> Result<(), PatchError> {
        match assigned(value) {
            None if op == Op::Add
                || matches!(name, "active" | "username" | "emails" | "emails.value") => {}
            None => self.set(name, None)?,
            Some(v) if op == Op::Add && whole && name == "emails" && !names_a_primary(v) => {}
            Some(v) => self.set(name, Some(v))?,
        }
        Ok(())
    }

    /// `name` given as an object of its parts.
    fn set_name(&mut self, fields: &Map<String, Value>) -> Result<(), PatchError> {
        for (key, v) in fields {
            match key.to_ascii_lowercase().as_str() {
                "givenname" => self.set("name.givenname", assigned(v))?,
                "familyname" => self.set("name.familyname", assigned(v))?,
                // Read-only, derived from the two above: ignored as RFC 7644 allows.
                // The other parts of a name are not kept (see `NOT_KEPT`).
                "formatted" | "middlename" | "honorificprefix" | "honorificsuffix" => {}
                other => {
                    return Err(error(
                        "invalidPath",
                        format!("name.{other} is not an attribute here."),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `emails` given whole: the member's one entry (with its label), an address alone, or the
    /// entry a filtered path selects (`emails[type eq "work"]`), relabelled.
    fn set_emails(&mut self, v: &Value) -> Result<(), PatchError> {
        if let Some(entry) = email_entry(v) {
            self.email = Some(text("emails.value", &entry["value"])?);
            let kind = entry.get("type").filter(|k| !k.is_null());
            self.email_type = Some(kind.map(email_type).transpose()?);
            let primary = entry.get("primary").filter(|p| !p.is_null());
            self.email_primary = Some(primary.map(|p| boolean("emails.primary", p)).transpose()?);
        } else if let Value::String(address) = v {
            self.email = Some(address.clone());
        } else if let Some(entry) = v.as_object().filter(|o| is_label_only(o)) {
            for (key, value) in entry {
                match key.to_ascii_lowercase().as_str() {
                    "type" => self.set("emails.type", Some(value))?,
                    "primary" => self.set("emails.primary", Some(value))?,
                    _ => {}
                }
            }
        } else {
            return Err(error(
                "invalidValue",
                "emails takes an address: a string, or an entry with its \"value\".",
            ));
        }
        Ok(())
    }

    /// One attribute (`name` lower-case, dotted) set to `value`, or removed (`None`).
    fn set(&mut self, name: &str, value: Option<&Value>) -> Result<(), PatchError> {
        let cleared = || Value::String(String::new());
        match (name, value) {
            ("active", Some(v)) => self.active = Some(boolean("active", v)?),
            ("active", None) => {
                return Err(error(
                    "mutability",
                    "active cannot be removed; set it to false.",
                ));
            }
            ("name.givenname", v) => {
                self.given_name = Some(text("name.givenName", v.unwrap_or(&cleared()))?)
            }
            ("name.familyname", v) => {
                self.family_name = Some(text("name.familyName", v.unwrap_or(&cleared()))?)
            }
            ("name", None) => {
                self.given_name = Some(String::new());
                self.family_name = Some(String::new());
            }
            ("name", Some(Value::Object(fields))) => self.set_name(fields)?,
            ("externalid", Some(v)) => self.external_id = Some(external_id(v)?),
            ("externalid", None) => self.external_id = Some(None),
            ("timezone", Some(v)) => self.timezone = Some(text("timezone", v)?),
            ("timezone", None) => {
                self.timezone = Some(super::timezone::Timezone::default().name().to_owned())
            }
            ("username", Some(v)) => self.user_name = Some(text("userName", v)?),
            ("emails.value", Some(v)) => self.email = Some(text("emails.value", v)?),
            ("emails", Some(v)) => self.set_emails(v)?,
            ("emails.type", v) => self.email_type = Some(v.map(email_type).transpose()?),
            ("emails.primary", v) => {
                self.email_primary = Some(v.map(|p| boolean("emails.primary", p)).transpose()?)
            }
            ("username" | "emails" | "emails.value", None) => {
                return Err(error(
                    "mutability",
                    "A member always has their email address.",
                ));
            }
            // Read-only or always returned: what a client echoes back is ignored.
            ("displayname" | "name.formatted" | "id" | "meta" | "schemas", _) => {}
            (name, _) if NOT_KEPT.contains(&name.split('.').next().unwrap_or(name)) => {}
            (name, _) if matches!(name.split('.').next(), Some("roles" | "entitlements")) => {
                return Err(error(
                    "invalidPath",
                    "Roles and entitlements are given in the console (a member's role, app \
                     grants), not through SCIM.",
                ));
            }
            ("name.middlename" | "name.honorificprefix" | "name.honorificsuffix", _) => {}
            (_, _) => {
                return Err(error(
                    "invalidPath",
                    format!("“{name}” is not an attribute of a User here."),
                ));
            }
        }
        Ok(())
    }
}

/// Attributes of the core User schema (RFC 7643 §4.1) the console does not keep: identity
/// providers send them by default (Okta `locale`, `groups` and `password`; Entra `title`,
/// `preferredLanguage`, `phoneNumbers`, `addresses`), so they are ignored rather than failing
/// the whole request. `groups` is read-only (RFC 7644 §3.5.1: ignored); a `password` is chosen by
/// the person through their welcome link. Any name outside the schema is still refused, and so
/// are `roles` and `entitlements`: a provider sends them only when an administrator mapped them
/// to give access, which the console gives by its own roles (a 200 would say it was done).
const NOT_KEPT: [&str; 13] = [
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "password",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "x509certificates",
];

/// The lower-case dotted name a path targets (`emails[type eq "work"].value` → `emails.value`),
/// core schema URNs dropped; `None` for an extension schema's attribute (Entra's enterprise
/// `department`, `manager`…), which the console does not keep and ignores.
fn target(path: &PatchPath) -> Result<Option<String>, PatchError> {
    if let Some(urn) = &path.attr.urn
        && !urn.eq_ignore_ascii_case(super::scim_filter::USER_SCHEMA)
    {
        if is_extension(urn) {
            return Ok(None);
        }
        return Err(error(
            "invalidPath",
            format!("“{urn}” is not a schema of a User here."),
        ));
    }
    // The extension's object itself, as a POST or PUT body's key.
    if is_extension(&path.attr.dotted()) {
        return Ok(None);
    }
    Ok(Some(match (&path.filter, &path.sub) {
        (Some(_), Some(sub)) => format!("{}.{sub}", path.attr.name),
        _ => path.attr.dotted(),
    }))
}

/// A schema extension's URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, or a
/// provider's own `urn:…:extension:…`).
fn is_extension(urn: &str) -> bool {
    let urn = urn.to_ascii_lowercase();
    urn.starts_with("urn:") && urn.contains(":extension:")
}

/// A PatchOp request's operations as changes to a User.
pub fn user_patch(ops: &[PatchOp]) -> Result<UserChanges, PatchError> {
    if ops.is_empty() {
        return Err(error("invalidValue", "Operations is empty."));
    }
    let mut changes = UserChanges::default();
    for operation in ops {
        let op = op(&operation.op)?;
        match (&operation.path, op) {
            (None, Op::Remove) => {
                return Err(error("noTarget", "A remove operation needs a path."));
            }
            (None, _) => {
                // Okta: no path, the value an object of attributes.
                let Some(Value::Object(fields)) = &operation.value else {
                    return Err(error(
                        "invalidValue",
                        "An operation without a path takes an object of attributes.",
                    ));
                };
                apply_object(&mut changes, op, fields)?;
            }
            (Some(path), op) => {
                let parsed = scim_filter::parse_path(path)
                    .map_err(|e| error("invalidPath", e.to_string()))?;
                let Some(name) = target(&parsed)? else {
                    continue;
                };
                let whole = parsed.filter.is_none();
                // A value filter chooses among a multi-valued attribute's values: of what is kept
                // of a User, only its one address is (`name[givenName eq "x"]` was applied as if
                // unfiltered). What is not kept (`addresses[type eq "work"]`) is ignored below.
                if parsed.filter.is_some()
                    && !name.starts_with("emails")
                    && !NOT_KEPT.contains(&parsed.attr.name.as_str())
                {
                    return Err(error(
                        "invalidPath",
                        format!("{path}: only emails[…] takes a value filter here."),
                    ));
                }
                if let Some(filter) = parsed.filter.filter(|_| name.starts_with("emails")) {
                    let before = UserChanges {
                        email_filters: Vec::new(),
                        ..changes.clone()
                    };
                    changes.email_filters.push((filter, Box::new(before)));
                }
                match (op, &operation.value) {
                    (Op::Remove, _) => changes.set(&name, None)?,
                    (_, None) => {
                        return Err(error(
                            "invalidValue",
                            format!("{path}: the operation needs a value."),
                        ));
                    }
                    (op, Some(value)) => changes.apply(&name, op, value, whole)?,
                }
            }
        }
    }
    Ok(changes)
}

/// An object of attributes: a POST's or PUT's User (`Op::Replace`), or an operation's value
/// without a path (Okta).
fn apply_object(
    changes: &mut UserChanges,
    op: Op,
    fields: &Map<String, Value>,
) -> Result<(), PatchError> {
    for (key, value) in fields {
        let path = scim_filter::parse_path(key).map_err(|e| error("invalidPath", e.to_string()))?;
        if let Some(name) = target(&path)? {
            changes.apply(&name, op, value, path.filter.is_none())?;
        }
    }
    Ok(())
}

/// A value as RFC 7643 §2.5 reads it: `null` is unassigned.
fn assigned(value: &Value) -> Option<&Value> {
    (!value.is_null()).then_some(value)
}

/// Whether an `emails` value holds an entry marked primary (the member's one address is their
/// primary one).
fn names_a_primary(value: &Value) -> bool {
    let primary = |item: &Value| boolean("primary", &item["primary"]) == Ok(true);
    match value {
        Value::Array(items) => items.iter().any(primary),
        item => primary(item),
    }
}

/// A PUT's whole User as changes: the names and external id it leaves out are cleared; the time
/// zone (the member's own, set on their profile) and the address's label stay unless sent, and so
/// does `active` (a PUT of names alone does not undo a suspension).
pub fn user_replacement(user: &Value) -> Result<UserChanges, PatchError> {
    let Value::Object(fields) = user else {
        return Err(error("invalidSyntax", "The body must be a User object."));
    };
    let mut changes = UserChanges {
        given_name: Some(String::new()),
        family_name: Some(String::new()),
        external_id: Some(None),
        ..UserChanges::default()
    };
    // `null` is unassigned (RFC 7643 §2.5): as if left out.
    let fields = fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    apply_object(&mut changes, Op::Replace, &fields)?;
    if changes.user_name.is_none() {
        return Err(error("invalidValue", "userName is required."));
    }
    Ok(changes)
}

/// The changes asked of a Group: its name, its external id, and its members (ids as the
/// provider sends them, text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub external_id: Option<Option<String>>,
    /// The changes of members, in the order the operations came (RFC 7644 §3.5.2: one after
    /// another; a remove then an add of the same member leaves them in).
    pub members: Vec<MemberChange>,
}

/// One change of a Group's members: User ids as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Exactly these (`replace` of `members`, a PUT, or a `remove` of all).
    Replace(Vec<String>),
    Add(Vec<String>),
    Remove(Vec<String>),
}

/// The `value`s of a list of member references (`[{"value": "42"}]`).
fn member_ids(value: &Value) -> Result<Vec<String>, PatchError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(value),
        _ => {
            return Err(error(
                "invalidValue",
                "members takes a list of {\"value\": id}.",
            ));
        }
    };
    items
        .iter()
        .map(|item| match &item["value"] {
            Value::String(id) => Ok(id.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(error(
                "invalidValue",
                "Each member needs its \"value\" (a User id).",
            )),
        })
        .collect()
}

impl GroupChanges {
    fn set(&mut self, name: &str, op: Op, value: Option<&Value>) -> Result<(), PatchError> {
        // `null` is unassigned (RFC 7643 §2.5): adding it adds nothing; setting it removes.
        let (op, value) = match value {
            Some(Value::Null) if op == Op::Add => return Ok(()),
            Some(Value::Null) => (Op::Remove, None),
            value => (op, value),
        };
        match (name, op, value) {
            ("displayname", Op::Remove, _) => {
                return Err(error("mutability", "A group always has a name."));
            }
            ("displayname", _, Some(v)) => self.name = Some(text("displayName", v)?),
            ("externalid", Op::Remove, _) => self.external_id = Some(None),
            ("externalid", _, Some(v)) => self.external_id = Some(external_id(v)?),
            ("members", Op::Add, Some(v)) => self.members.push(MemberChange::Add(member_ids(v)?)),
            ("members", Op::Replace, Some(v)) => {
                self.members.push(MemberChange::Replace(member_ids(v)?));
            }
            // Entra removes members with a value list; without one, all of them go.
            ("members", Op::Remove, Some(v)) => {
                self.members.push(MemberChange::Remove(member_ids(v)?));
            }
            ("members", Op::Remove, None) => self.members.push(MemberChange::Replace(Vec::new())),
            ("id" | "meta" | "schemas", _, _) => {}
            (_, _, None) => {
                return Err(error(
                    "invalidValue",
                    format!("{name}: the operation needs a value."),
                ));
            }
            _ => {
                return Err(error(
                    "invalidPath",
                    format!("“{name}” is not an attribute of a Group here."),
                ));
            }
        }
        Ok(())
    }
}

/// A PatchOp request's operations as changes to a Group: `members` added, removed
/// (`members[value eq "42"]`, or Entra's value list) or replaced, `displayName`, `externalId`;
/// Okta's operations without a path.
pub fn group_patch(ops: &[PatchOp]) -> Result<GroupChanges, PatchError> {
    if ops.is_empty() {
        return Err(error("invalidValue", "Operations is empty."));
    }
    let mut changes = GroupChanges::default();
    for operation in ops {
        let op = op(&operation.op)?;
        match &operation.path {
            None => {
                if op == Op::Remove {
                    return Err(error("noTarget", "A remove operation needs a path."));
                }
                let Some(Value::Object(fields)) = &operation.value else {
                    return Err(error(
                        "invalidValue",
                        "An operation without a path takes an object of attributes.",
                    ));
                };
                for (key, value) in fields {
                    changes.set(&key.to_ascii_lowercase(), op, Some(value))?;
                }
            }
            Some(path) => {
                let parsed = scim_filter::parse_path(path)
                    .map_err(|e| error("invalidPath", e.to_string()))?;
                // `urn:…:User:members` is no attribute of a Group (taken for `members`, a remove
                // emptied the group).
                if let Some(urn) = &parsed.attr.urn
                    && !urn.eq_ignore_ascii_case(scim_filter::GROUP_SCHEMA)
                {
                    return Err(error(
                        "invalidPath",
                        format!("“{urn}” is not a schema of a Group here."),
                    ));
                }
                let name = parsed.attr.dotted();
                match (&parsed.filter, name.as_str(), op) {
                    (None, _, _) => changes.set(&name, op, operation.value.as_ref())?,
                    // `members[value eq "42"]`: that member goes.
                    (Some(filter), "members", Op::Remove) => {
                        changes
                            .members
                            .push(MemberChange::Remove(vec![member_in(filter)?]));
                    }
                    _ => {
                        return Err(error(
                            "invalidPath",
                            format!("{path}: only members[value eq \"…\"] is removed by filter."),
                        ));
                    }
                }
            }
        }
    }
    Ok(changes)
}

/// The member id of `value eq "42"`.
fn member_in(filter: &scim_filter::Filter) -> Result<String, PatchError> {
    match filter {
        scim_filter::Filter::Compare(path, scim_filter::CompareOp::Eq, value)
            if path.dotted() == "value" =>
        {
            match value {
                scim_filter::Value::Str(id) => Ok(id.clone()),
                scim_filter::Value::Num(n) => Ok(n.to_string()),
                _ => Err(error("invalidValue", "A member's value is its id.")),
            }
        }
        _ => Err(error(
            "invalidFilter",
            "Members are chosen with members[value eq \"…\"].",
        )),
    }
}

/// A PUT's whole Group: its name (required), external id and members (what it leaves out is
/// cleared).
pub fn group_replacement(group: &Value) -> Result<GroupChanges, PatchError> {
    let Value::Object(fields) = group else {
        return Err(error("invalidSyntax", "The body must be a Group object."));
    };
    let mut changes = GroupChanges {
        external_id: Some(None),
        ..GroupChanges::default()
    };
    for (key, value) in fields {
        changes.set(&key.to_ascii_lowercase(), Op::Replace, Some(value))?;
    }
    // Members left out: none.
    if changes.members.is_empty() {
        changes.members.push(MemberChange::Replace(Vec::new()));
    }
    if changes.name.is_none() {
        return Err(error("invalidValue", "displayName is required."));
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(value: Value) -> Vec<PatchOp> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_label_left_unsaid_reads_as_a_primary_work_address() {
        let unsaid = EmailLabel::default();
        let said = |kind: &str, primary: bool| EmailLabel {
            kind: Some(kind.to_owned()),
            primary: Some(primary),
        };
        assert!(unsaid.reads_as(&said("work", true)));
        assert!(said("work", true).reads_as(&unsaid));
        assert!(!unsaid.reads_as(&said("home", true)));
        assert!(!unsaid.reads_as(&said("work", false)));
    }

    #[test]
    fn a_path_of_another_schema_or_a_filter_on_a_single_value_is_refused_not_widened() {
        let refused = |patch: Result<(), PatchError>| patch.unwrap_err().scim_type;
        // Taken for `members`, this emptied the group.
        let urn = group_patch(&ops(json!([
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User:members"}
        ])));
        assert_eq!(refused(urn.map(drop)), "invalidPath");
        assert!(
            group_patch(&ops(json!([{"op": "replace",
                "path": "urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "value": "Ops"}])))
            .is_ok()
        );
        // Applied as if unfiltered, whatever the filter said.
        let filtered = user_patch(&ops(json!([{"op": "replace",
            "path": "name[givenName eq \"Nobody\"].givenName", "value": "Filtered"}])));
        assert_eq!(refused(filtered.map(drop)), "invalidPath");
        // What is not kept stays ignored, filter or not (Entra sends these by default).
        assert!(
            user_patch(&ops(json!([{"op": "replace",
                "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St"}])))
            .is_ok()
        );
    }

    #[test]
    fn entra_capitalises_ops_and_sends_booleans_as_text() {
        let changes = user_patch(&ops(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "name.familyName", "value": "Hopper"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "grace@example.com"}
        ])))
        .unwrap();
        assert_eq!(changes.active, Some(false));
        assert_eq!(changes.family_name.as_deref(), Some("Hopper"));
        assert_eq!(changes.email.as_deref(), Some("grace@example.com"));
    }

    #[test]
    fn an_address_keeps_the_label_the_provider_gives_it() {
        let changes = user_patch(&ops(json!([
            {"op": "replace", "path": "emails", "value": [
                {"value": "old@example.com", "type": "other"},
                {"value": "grace@example.com", "type": "home", "primary": "True"}
            ]}
        ])))
        .unwrap();
        assert_eq!(changes.email.as_deref(), Some("grace@example.com"));
        let label = EmailLabel::default().after(&changes);
        assert_eq!((label.kind(), label.primary()), ("home", true));
        assert_eq!(label.kind.as_deref(), Some("home"));

        // A sub-attribute alone changes only itself; removed, it is "not said" again.
        let changes = user_patch(&ops(json!([
            {"op": "remove", "path": "emails[type eq \"home\"].type"},
            {"op": "replace", "path": "emails.primary", "value": false}
        ])))
        .unwrap();
        let after = label.after(&changes);
        assert_eq!(
            after,
            EmailLabel {
                kind: None,
                primary: Some(false)
            }
        );
        assert_eq!(after.kind(), "work");
        assert!(changes.email.is_none());

        assert_eq!(
            user_patch(&ops(json!([
                {"op": "replace", "path": "emails.type", "value": "x".repeat(51)}
            ])))
            .unwrap_err()
            .scim_type,
            "invalidValue"
        );
    }

    #[test]
    fn a_path_filter_must_select_the_address() {
        let work = EmailLabel::default();
        let patch = |path: &str| {
            user_patch(&ops(json!([
                {"op": "replace", "path": path, "value": "new@example.com"}
            ])))
            .unwrap()
        };
        // Entra's default path: an address whose label is not said reads as a primary work one.
        let entra = patch("emails[type eq \"work\"].value");
        assert_eq!(entra.check_email_filters("ada@example.com", &work), Ok(()));
        let home = patch("emails[type eq \"home\"].value");
        assert_eq!(
            home.check_email_filters("ada@example.com", &work)
                .unwrap_err()
                .scim_type,
            "noTarget"
        );
        let both = patch("emails[value eq \"ADA@example.com\" and primary eq true].value");
        assert_eq!(both.check_email_filters("ada@example.com", &work), Ok(()));
        assert!(
            both.check_email_filters("grace@example.com", &work)
                .is_err()
        );
        // An earlier operation of the same request may relabel the address first.
        let relabelled = user_patch(&ops(json!([
            {"op": "replace", "path": "emails.type", "value": "home"},
            {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "new@example.com"}
        ])))
        .unwrap();
        assert_eq!(
            relabelled.check_email_filters("ada@example.com", &work),
            Ok(())
        );
        // An entry without an address is refused (not a panic, nor a silent success)…
        for value in [json!([{"type": "work"}]), json!([{"value": 42}]), json!(7)] {
            let refused = user_patch(&ops(json!([
                {"op": "replace", "path": "emails", "value": value}
            ])));
            assert_eq!(refused.unwrap_err().scim_type, "invalidValue");
        }
        // …but a filtered path's entry may be relabelled alone.
        let relabel = user_patch(&ops(json!([
            {"op": "replace", "path": "emails[type eq \"work\"]", "value": {"primary": false}}
        ])))
        .unwrap();
        assert_eq!(relabel.email_primary, Some(Some(false)));
        assert_eq!(
            relabel.check_email_filters("ada@example.com", &work),
            Ok(())
        );
        // A filter is judged before its own operation: naming the new address selects nothing.
        let own = patch("emails[value eq \"new@example.com\"].value");
        assert!(own.check_email_filters("ada@example.com", &work).is_err());
    }

    #[test]
    fn an_external_id_is_short_text() {
        for bad in [json!("a\u{0}b"), json!("x".repeat(201)), json!(7)] {
            let refused = user_patch(&ops(json!([
                {"op": "replace", "path": "externalId", "value": bad}
            ])));
            assert_eq!(refused.unwrap_err().scim_type, "invalidValue");
        }
        let cleared = user_patch(&ops(json!([
            {"op": "replace", "path": "externalId", "value": " "}
        ])))
        .unwrap();
        assert_eq!(cleared.external_id, Some(None));
    }

    #[test]
    fn okta_sends_no_path_and_an_object() {
        let changes = user_patch(&ops(json!([
            {"op": "replace", "value": {"active": true, "name": {"givenName": "Grace"}, "externalId": "00u1"}}
        ])))
        .unwrap();
        assert_eq!(
            changes,
            UserChanges {
                active: Some(true),
                given_name: Some("Grace".into()),
                external_id: Some(Some("00u1".into())),
                ..Default::default()
            }
        );
    }

    #[test]
    fn removing_clears_and_mistakes_are_named() {
        let changes = user_patch(&ops(json!([{"op": "remove", "path": "externalId"}]))).unwrap();
        assert_eq!(changes.external_id, Some(None));
        for (bad, kind) in [
            (
                json!([{"op": "move", "path": "active", "value": true}]),
                "invalidSyntax",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "favouriteColour", "value": "x"}]),
                "invalidPath",
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                "invalidValue",
            ),
            (json!([{"op": "remove", "path": "active"}]), "mutability"),
            (
                json!([{"op": "replace", "path": "userName eq", "value": "x"}]),
                "invalidPath",
            ),
            (json!([{"op": "replace", "path": "active"}]), "invalidValue"),
            (json!([]), "invalidValue"),
        ] {
            assert_eq!(
                user_patch(&ops(bad.clone())).unwrap_err().scim_type,
                kind,
                "{bad}"
            );
        }
    }

    #[test]
    fn group_members_come_and_go_as_okta_and_entra_send_them() {
        let changes = group_patch(&ops(json!([
            {"op": "add", "path": "members", "value": [{"value": "7"}, {"value": 8}]},
            {"op": "remove", "path": "members[value eq \"9\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "10"}]},
            {"op": "replace", "value": {"id": "3", "displayName": "Platform"}}
        ])))
        .unwrap();
        let ids = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            changes.members,
            [
                MemberChange::Add(ids(&["7", "8"])),
                MemberChange::Remove(ids(&["9"])),
                MemberChange::Remove(ids(&["10"])),
            ]
        );
        assert_eq!(changes.name.as_deref(), Some("Platform"));
        let all_out = group_patch(&ops(json!([{"op": "remove", "path": "members"}]))).unwrap();
        assert_eq!(all_out.members, [MemberChange::Replace(vec![])]);
        // In the order sent: out then in again, in then everyone replaced.
        let again = group_patch(&ops(json!([
            {"op": "remove", "path": "members[value eq \"2\"]"},
            {"op": "add", "path": "members", "value": [{"value": "2"}]},
            {"op": "replace", "path": "members", "value": [{"value": "3"}]}
        ])))
        .unwrap();
        assert_eq!(
            again.members,
            [
                MemberChange::Remove(ids(&["2"])),
                MemberChange::Add(ids(&["2"])),
                MemberChange::Replace(ids(&["3"])),
            ]
        );
        assert!(group_patch(&ops(json!([{"op": "remove", "path": "displayName"}]))).is_err());
        assert!(
            group_patch(&ops(
                json!([{"op": "remove", "path": "members[display eq \"x\"]"}])
            ))
            .is_err()
        );
        let put =
            group_replacement(&json!({"displayName": "Ops", "members": [{"value": "1"}]})).unwrap();
        assert_eq!(
            (put.members, put.external_id),
            (
                vec![MemberChange::Replace(vec!["1".to_owned()])],
                Some(None)
            )
        );
        let empty = group_replacement(&json!({"displayName": "Ops"})).unwrap();
        assert_eq!(empty.members, [MemberChange::Replace(vec![])]);
        assert!(group_replacement(&json!({"members": []})).is_err());
    }

    #[test]
    fn null_is_unassigned() {
        // Sent by SDKs that write every field: what can be cleared is, the rest stays.
        let put = user_replacement(&json!({
            "userName": "grace@example.com", "externalId": null, "timezone": null,
            "active": null, "emails": null, "name": {"givenName": null, "familyName": "Hopper"}
        }))
        .unwrap();
        assert_eq!(
            (put.external_id, put.active, put.email),
            (Some(None), None, None)
        );
        assert_eq!(put.given_name.as_deref(), Some(""));
        assert_eq!(put.family_name.as_deref(), Some("Hopper"));
        assert_eq!(put.timezone, None, "the time zone stays unless sent");
        let patch = user_patch(&ops(json!([
            {"op": "replace", "path": "externalId", "value": null},
            {"op": "replace", "path": "active", "value": null},
            {"op": "add", "path": "name.givenName", "value": null}
        ])))
        .unwrap();
        assert_eq!((patch.external_id, patch.active), (Some(None), None));
        assert_eq!(patch.given_name, None, "adding null adds nothing");
        let group = group_replacement(&json!({"displayName": "Ops", "externalId": null})).unwrap();
        assert_eq!(group.external_id, Some(None));
        let group = group_patch(&ops(json!([
            {"op": "replace", "path": "externalId", "value": null},
            {"op": "add", "path": "members", "value": null}
        ])))
        .unwrap();
        assert_eq!((group.external_id, group.members), (Some(None), Vec::new()));
    }

    #[test]
    fn adding_an_address_that_is_not_primary_keeps_the_members_own() {
        let add = |value: Value| {
            user_patch(&ops(
                json!([{"op": "add", "path": "emails", "value": value}]),
            ))
            .unwrap()
        };
        let second = add(json!([{"value": "bob@home.example", "type": "home", "primary": false}]));
        assert_eq!((second.email, second.email_type), (None, None));
        assert_eq!(add(json!({"value": "bob@home.example"})).email, None);
        let primary = add(json!([
            {"value": "bob@home.example", "type": "home"},
            {"value": "bob@work.example", "type": "work", "primary": true}
        ]));
        assert_eq!(primary.email.as_deref(), Some("bob@work.example"));
        // Replacing the list, or adding to the entry a filter chose, is the member's address.
        let replaced = user_patch(&ops(json!([{"op": "replace", "path": "emails",
            "value": [{"value": "bob@new.example", "type": "work"}]}])))
        .unwrap();
        assert_eq!(replaced.email.as_deref(), Some("bob@new.example"));
        let filtered = user_patch(&ops(json!([{"op": "add",
            "path": "emails[type eq \"work\"].value", "value": "bob@new.example"}])))
        .unwrap();
        assert_eq!(filtered.email.as_deref(), Some("bob@new.example"));
    }

    #[test]
    fn a_put_clears_what_it_leaves_out() {
        let changes = user_replacement(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace@example.com",
            "name": {"givenName": "Grace"},
            "displayName": "ignored"
        }))
        .unwrap();
        assert_eq!(changes.family_name.as_deref(), Some(""));
        assert_eq!(changes.external_id, Some(None));
        assert_eq!(changes.active, None, "a suspension stays");
        assert!(user_replacement(&json!({"name": {}})).is_err());
    }

    #[test]
    fn what_providers_send_that_is_not_kept_is_ignored() {
        let okta_and_entra = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "userName": "grace@example.com",
            "name": {"givenName": "Grace", "familyName": "Hopper", "middleName": "Brewster"},
            "locale": "en-US",
            "groups": [],
            "password": "a password the IdP chose",
            "title": "Rear Admiral",
            "preferredLanguage": "en",
            "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
            "addresses": [{"type": "work", "formatted": "Arlington"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "Navy", "employeeNumber": "1906"
            },
            "active": true
        });
        let changes = user_replacement(&okta_and_entra).unwrap();
        assert_eq!(changes.given_name.as_deref(), Some("Grace"));
        assert_eq!(changes.active, Some(true));
        let ops: Vec<PatchOp> = serde_json::from_value(json!([
            {"op": "Replace", "path": "title", "value": "Admiral"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Navy"},
            {"op": "Replace", "path": "name.givenName", "value": "Amazing Grace"}
        ]))
        .unwrap();
        let changes = user_patch(&ops).unwrap();
        assert_eq!(changes.given_name.as_deref(), Some("Amazing Grace"));
        // A name outside the schema, another core schema, roles and entitlements are refused.
        for path in [
            "favouriteColour",
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
            "roles",
            "entitlements[primary eq true].value",
        ] {
            let ops: Vec<PatchOp> =
                serde_json::from_value(json!([{"op": "replace", "path": path, "value": "x"}]))
                    .unwrap();
            assert!(user_patch(&ops).is_err(), "{path}");
        }
    }
}
