//! Text bound for spreadsheets: a cell that a spreadsheet would run as a formula is defused.

use std::borrow::Cow;

/// Prefixes `'` to a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return, so that
/// Excel, LibreOffice and Google Sheets show it as text instead of evaluating it (CSV injection).
pub fn defuse(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for (input, output) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
        ] {
            assert_eq!(defuse(input), output);
        }
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for input in [
            "Ada",
            "o'brien@example.com",
            "",
            "2026-01-01T00:00:00Z",
            "Smith, Jr.",
            " =x",
        ] {
            assert_eq!(defuse(input), input);
        }
    }
}
