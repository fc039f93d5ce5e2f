//! Invitations: reading the pasted list of addresses (PRODUCT §4.4, issue 3).

use std::collections::HashMap;

use super::email::Email;
use super::names::Name;

/// At most this many distinct addresses per invitation submit.
pub const MAX_ADDRESSES: usize = 500;

/// The addresses of a pasted list: valid ones (deduplicated, in order) and the entries that are not
/// addresses, as typed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AddressList {
    pub valid: Vec<Email>,
    pub invalid: Vec<String>,
    /// The names given with addresses (`Ada Lovelace <ada@example.com>`, an import's columns),
    /// by lower-cased address: (first, last). An account made for the address starts with them.
    pub names: HashMap<String, (String, String)>,
}

impl AddressList {
    pub fn is_empty(&self) -> bool {
        self.valid.is_empty() && self.invalid.is_empty()
    }

    /// The field's value after a refusal: the valid addresses, one per line.
    pub fn valid_text(&self) -> String {
        self.valid
            .iter()
            .map(Email::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads addresses separated by commas, semicolons, spaces or new lines, including entries with a
/// display name such as `Ada Lovelace <ada@example.com>` or `"Lovelace, Ada" <ada@example.com>`.
/// Duplicates are folded case-insensitively.
pub fn parse_address_list(text: &str) -> AddressList {
    let mut list = AddressList::default();
    for entry in split_entries(text) {
        let valid_before = list.valid.len();
        for candidate in candidates(&entry).into_iter().filter(|c| !c.is_empty()) {
            match Email::parse(cleaned(&candidate)) {
                Ok(email) if !list.valid.contains(&email) => list.valid.push(email),
                Ok(_) => {}
                Err(_) if !list.invalid.contains(&candidate) => list.invalid.push(candidate),
                Err(_) => {}
            }
        }
        // A new address with a display name: the name is theirs.
        for (typed, name) in display_names(&entry) {
            if let Ok(email) = Email::parse(&typed)
                && list.valid[valid_before..].contains(&email)
            {
                list.names
                    .entry(email.as_str().to_lowercase())
                    .or_insert(name);
            }
        }
    }
    list
}

/// A candidate without the quotes, brackets and `mailto:` around an address.
fn cleaned(candidate: &str) -> &str {
    let cleaned = candidate.trim_matches(|c: char| c == '"' || c == '\'' || c == '(' || c == ')');
    cleaned.strip_prefix("mailto:").unwrap_or(cleaned)
}

/// The display names of an entry's `Name <address>` parts: (the address as typed, the name). The
/// name is the words before the `<` back to the address before it, if any: `sam@x.org Rita Roe
/// <rita@x.org>` names Rita alone.
fn display_names(entry: &str) -> Vec<(String, (String, String))> {
    let mut named = Vec::new();
    let mut rest = entry;
    while let Some((open, close)) = rest
        .find('<')
        .and_then(|open| rest[open..].find('>').map(|len| (open, open + len)))
    {
        let words: Vec<&str> = rest[..open].split_whitespace().collect();
        let start = words
            .iter()
            .rposition(|w| w.contains('@'))
            .map_or(0, |i| i + 1);
        if let Some(name) = display_name(&words[start..].join(" ")) {
            named.push((cleaned(rest[open + 1..close].trim()).to_owned(), name));
        }
        rest = &rest[close + 1..];
    }
    named
}

/// A display name as (first, last): `Ada Lovelace` gives ("Ada", "Lovelace"), `"Lovelace, Ada"`
/// the same, `Linus` ("Linus", ""). None when there is none, or when it is not a name the
/// console keeps (too long, control characters).
fn display_name(text: &str) -> Option<(String, String)> {
    let text = text.trim_matches(|c: char| c == '"' || c == '\'').trim();
    let (first, last) = match text.split_once(',') {
        Some((last, first)) => (first.trim(), last.trim()),
        None => text.rsplit_once(' ').unwrap_or((text, "")),
    };
    let kept = |part: &str| part.is_empty() || Name::parse(part).is_ok();
    (!first.is_empty() && kept(first) && kept(last)).then(|| (first.to_owned(), last.to_owned()))
}

/// The addresses of one entry. In `Name <address>` form the words of the name are not addresses
/// (but a word with an `@` beside it still is); without brackets every word is a candidate, so
/// anything that is not an address gets reported rather than dropped.
fn candidates(entry: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = entry;
    let mut bracketed = false;
    while let Some((open, close)) = rest
        .find('<')
        .and_then(|open| rest[open..].find('>').map(|len| (open, open + len)))
    {
        found.extend(
            rest[..open]
                .split_whitespace()
                .filter(|w| w.contains('@'))
                .map(str::to_owned),
        );
        found.push(rest[open + 1..close].trim().to_owned());
        rest = &rest[close + 1..];
        bracketed = true;
    }
    found.extend(
        rest.split_whitespace()
            .filter(|w| !bracketed || w.contains('@'))
            .map(str::to_owned),
    );
    found
}

/// Splits on commas, semicolons and line breaks that are outside quotes and angle brackets.
fn split_entries(text: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut bracketed) = (false, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => bracketed = true,
            '>' if !quoted => bracketed = false,
            ',' | ';' | '\n' | '\r' if !quoted && !bracketed => {
                entries.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    entries.push(current);
    entries
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(list: &AddressList) -> Vec<&str> {
        list.valid.iter().map(Email::as_str).collect()
    }

    #[test]
    fn reads_every_separator() {
        let list = parse_address_list(
            "a@example.com, b@example.com; c@example.com\nd@example.com e@example.com\r\nf@example.com\t g@example.com",
        );
        assert_eq!(
            emails(&list),
            [
                "a@example.com",
                "b@example.com",
                "c@example.com",
                "d@example.com",
                "e@example.com",
                "f@example.com",
                "g@example.com"
            ]
        );
        assert!(list.invalid.is_empty());
    }

    #[test]
    fn reads_display_names() {
        let list = parse_address_list(
            "Ada Lovelace <ada@example.com>, \"Hopper, Grace\" <Grace@Example.com>; <alan@example.com>\nLinus <linus@example.com> ken@example.com",
        );
        assert_eq!(
            emails(&list),
            [
                "ada@example.com",
                "grace@example.com",
                "alan@example.com",
                "linus@example.com",
                "ken@example.com"
            ]
        );
        assert_eq!(list.invalid, Vec::<String>::new());
        // The names come along: "First Last", "Last, First"; none for a bare address. Spaces
        // separate too: a name is the words before its `<` back to the address before them.
        let name = |email: &str| list.names.get(email).map(|(f, l)| (f.as_str(), l.as_str()));
        assert_eq!(name("ada@example.com"), Some(("Ada", "Lovelace")));
        assert_eq!(name("grace@example.com"), Some(("Grace", "Hopper")));
        assert_eq!(name("alan@example.com"), None);
        assert_eq!(name("linus@example.com"), Some(("Linus", "")));
        assert_eq!(name("ken@example.com"), None);
        let list =
            parse_address_list("sam@example.com Rita Roe <rita@example.com> Bo <bo@example.com>");
        let name = |email: &str| list.names.get(email).map(|(f, l)| (f.as_str(), l.as_str()));
        assert_eq!(name("sam@example.com"), None);
        assert_eq!(name("rita@example.com"), Some(("Rita", "Roe")));
        assert_eq!(name("bo@example.com"), Some(("Bo", "")));
        let list = parse_address_list("Linus T <linus@example.com>\nGuido <guido@example.com>");
        let name = |email: &str| list.names.get(email).map(|(f, l)| (f.as_str(), l.as_str()));
        assert_eq!(name("linus@example.com"), Some(("Linus", "T")));
        assert_eq!(name("guido@example.com"), Some(("Guido", "")));
        let long = format!("{} <long@example.com>", "x".repeat(300));
        assert!(
            parse_address_list(&long).names.is_empty(),
            "not a name kept"
        );
    }

    #[test]
    fn folds_duplicates_case_insensitively() {
        let list = parse_address_list("ada@example.com ADA@example.com, Ada <ada@EXAMPLE.com>");
        assert_eq!(emails(&list), ["ada@example.com"]);
    }

    #[test]
    fn keeps_what_is_not_an_address_as_typed() {
        let list = parse_address_list("ada@example.com, not-an-email, bob@, bob@");
        assert_eq!(emails(&list), ["ada@example.com"]);
        assert_eq!(list.invalid, ["not-an-email", "bob@"]);
        assert_eq!(list.valid_text(), "ada@example.com");
    }

    #[test]
    fn strips_mailto_and_quotes() {
        let list =
            parse_address_list("mailto:ada@example.com 'bob@example.com' (carol@example.com)");
        assert_eq!(
            emails(&list),
            ["ada@example.com", "bob@example.com", "carol@example.com"]
        );
    }

    #[test]
    fn empty_input() {
        assert!(parse_address_list(" ,;\n ").is_empty());
    }
}
