//! A CSV of people to invite (issue 18 §1), read into rows: columns `email` (required),
//! `first_name`, `last_name`, `role`, `groups` (names separated by `;`), named in a header row
//! matched case-insensitively, in any order, other columns ignored; UTF-8 with or without a BOM;
//! `,` or `;` between fields (whichever the header row uses — spreadsheets in many locales write
//! `;`). Values are kept as typed: what each row will do is decided against the workspace.

use serde::{Deserialize, Serialize};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 10_000;
/// The largest file one import takes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// One row of the file as typed; `line` is its line in the file (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: usize,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFileError {
    #[error("Choose a CSV file.")]
    Empty,
    #[error("The file is larger than 5 MB: split it.")]
    TooLarge,
    #[error("The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.")]
    NotUtf8,
    #[error("The first row must name the columns, one of them “email”.")]
    NoEmailColumn,
    #[error("The file has {} rows; one import takes at most 10,000: split it.", super::grouped(*.0 as i64))]
    TooManyRows(usize),
    #[error("The file has no rows under its header.")]
    NoRows,
    #[error("Line {0} cannot be read as CSV: {1}")]
    Malformed(usize, String),
}

/// `;` when the header row has more semicolons than commas outside quotes, else `,`.
fn delimiter(header: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// The rows of a file; blank lines are skipped.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportRow>, ImportFileError> {
    let (text, separator) = text_and_separator(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportFileError::Malformed(1, e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let email = column("email").ok_or(ImportFileError::NoEmailColumn)?;
    let (first, last, role, groups) = (
        column("first_name"),
        column("last_name"),
        column("role"),
        column("groups"),
    );
    let mut rows = Vec::new();
    // How far the line count has read, and the newlines it found there: counted once, as the
    // rows go by (records come in the file's order).
    let (mut counted_to, mut newlines) = (0, 0);
    // The last row read, where it starts and its line, when a cell of it holds a line break.
    let mut runs_on = None;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ImportFileError::Malformed(line, e.to_string())
        })?;
        if record.iter().all(|field| field.is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            let more = reader.records().count();
            return Err(ImportFileError::TooManyRows(MAX_ROWS + 1 + more));
        }
        let field = |at: Option<usize>| {
            at.and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        // The physical line (blank lines count, as a spreadsheet numbers its rows).
        let mut at = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(text.len());
        while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        let at = at.max(counted_to);
        newlines += line_breaks(&text.as_bytes()[counted_to..at]);
        counted_to = at;
        // No address, name, role or group holds a line break: one that does is a quote left
        // open, which ran the lines after it into one cell (they would silently be missing).
        let read = [Some(email), first, last, role, groups];
        if read.iter().any(|at| field(*at).contains(['\n', '\r'])) {
            return Err(quote_left_open(newlines + 1));
        }
        runs_on = record
            .iter()
            .any(|cell| cell.contains(['\n', '\r']))
            .then_some((at, newlines + 1));
        rows.push(ImportRow {
            line: newlines + 1,
            email: field(Some(email)),
            first_name: field(first),
            last_name: field(last),
            role: field(role),
            groups: field(groups)
                .split(';')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    // A line break in a column the import does not read (notes) may be the cell's own; in the
    // last row, with its quotes uneven to the end of the file, it is a quote never closed, which
    // ran every line after it into that cell.
    if let Some((at, line)) = runs_on
        && text[at..].matches('"').count() % 2 == 1
    {
        return Err(quote_left_open(line));
    }
    if rows.is_empty() {
        return Err(ImportFileError::NoRows);
    }
    Ok(rows)
}

/// The file's text (UTF-8, its BOM and Excel's `sep=` line taken off) and the separator between
/// its fields.
fn text_and_separator(bytes: &[u8]) -> Result<(&str, u8), ImportFileError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportFileError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ImportFileError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (named, text) = match excel_separator(text) {
        Some((separator, rest)) => (Some(separator), rest),
        None => (None, text),
    };
    if text.trim().is_empty() {
        return Err(ImportFileError::Empty);
    }
    // The header is the first line with something on it (the reader skips blank ones too).
    let header = text
        .split(['\n', '\r'])
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    Ok((text, named.unwrap_or_else(|| delimiter(header))))
}

fn quote_left_open(line: usize) -> ImportFileError {
    ImportFileError::Malformed(
        line,
        "a quoted cell runs on over the lines after it: a closing quote (\") is missing".to_owned(),
    )
}

/// Excel's first line `sep=;` (or `sep=,`), which names the separator and is no row: the
/// separator, and the text after that line.
fn excel_separator(text: &str) -> Option<(u8, &str)> {
    let rest = text
        .get(..4)?
        .eq_ignore_ascii_case("sep=")
        .then(|| &text[4..])?;
    let separator = match rest.as_bytes().first()? {
        b',' => b',',
        b';' => b';',
        _ => return None,
    };
    let after = &rest[1..];
    after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix(['\n', '\r']))
        .map(|rest| (separator, rest))
}

/// Line breaks as a spreadsheet writes them: `\n`, `\r\n`, or a lone `\r` (old Mac files).
fn line_breaks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_columns_in_any_order_and_case() {
        let rows = parse(
            b"Role,EMAIL,notes,First_Name,last_name,groups\n\
              admin, ada@example.com ,x,Ada,Lovelace,Research; Finance\n\
              \n\
              ,grace@example.com,,,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            ImportRow {
                line: 2,
                email: "ada@example.com".into(),
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                role: "admin".into(),
                groups: vec!["Research".into(), "Finance".into()],
            }
        );
        assert_eq!(rows[1].line, 4);
        assert!(rows[1].groups.is_empty() && rows[1].role.is_empty());
    }

    #[test]
    fn numbers_lines_of_any_ending() {
        for ending in ["\n", "\r\n", "\r"] {
            let file = [
                "email;first_name",
                "a@example.com;A",
                "",
                "b@example.com;B",
                "",
            ]
            .join(ending);
            let rows = parse(file.as_bytes()).unwrap();
            let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{ending:?}");
            assert_eq!(rows[1].first_name, "B");
        }
    }

    #[test]
    fn takes_semicolons_a_bom_and_quoted_fields() {
        let rows = parse(
            "\u{feff}email;first_name;groups\n\"o'brien@example.com\";\"Seán\";\"Ops;Sales\"\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].email, "o'brien@example.com");
        assert_eq!(rows[0].first_name, "Seán");
        assert_eq!(rows[0].groups, ["Ops", "Sales"]);
        // The header is the first line with something on it; Excel's `sep=` line names the
        // separator and is no row.
        for file in [
            "\r\nemail;first_name\r\na@x.test;Ann\r\n",
            "sep=;\r\nemail;first_name\r\na@x.test;Ann\r\n",
        ] {
            let rows = parse(file.as_bytes()).unwrap();
            assert_eq!(
                (rows[0].email.as_str(), rows[0].first_name.as_str()),
                ("a@x.test", "Ann")
            );
        }
        assert_eq!(parse(b"SEP=,\nemail,x\na@x.test,1\n").unwrap()[0].line, 2);
        // Commas win a tie, and commas inside quotes do not count.
        assert_eq!(delimiter("\"a;b\",c"), b',');
        assert_eq!(delimiter("\"a,b,c\";d;e"), b';');
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(parse(b"  \n"), Err(ImportFileError::Empty));
        assert_eq!(parse(b"name\nada\n"), Err(ImportFileError::NoEmailColumn));
        assert_eq!(parse(b"email\n\n"), Err(ImportFileError::NoRows));
        assert_eq!(parse(&[0xff, 0xfe, 0x00]), Err(ImportFileError::NotUtf8));
        assert_eq!(
            parse(&vec![b'a'; MAX_BYTES + 1]),
            Err(ImportFileError::TooLarge)
        );
        // A quote left open runs the lines after it into one cell: said, not read as one row.
        let open = b"email,first_name\na1@x.test,\"Ann,Lee\na2@x.test,Bob\na3@x.test,Cy\n";
        assert!(matches!(parse(open), Err(ImportFileError::Malformed(2, _))));
        // A line break in a column the import does not read (notes) is no concern of it, in the
        // last row too; a quote left open there is (it ran the rest of the file into one cell).
        let notes = b"email,notes\na1@x.test,\"two\nlines\"\na2@x.test,x\n";
        assert_eq!(parse(notes).map(|rows| rows.len()), Ok(2));
        let last = b"email,notes\na1@x.test,x\na2@x.test,\"two \"\"quoted\"\"\nlines\"\n";
        assert_eq!(parse(last).map(|rows| rows.len()), Ok(2));
        let open = b"email,dept\na1@x.test,\"Sales, EMEA\na2@x.test,x\na3@x.test,y\n";
        assert!(matches!(parse(open), Err(ImportFileError::Malformed(2, _))));
        let many = format!("email\n{}", "a@b.c\n".repeat(MAX_ROWS + 5));
        assert_eq!(
            parse(many.as_bytes()),
            Err(ImportFileError::TooManyRows(MAX_ROWS + 5))
        );
    }
}
