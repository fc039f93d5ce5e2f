//! Text bound for spreadsheets: a cell that a spreadsheet would run as a formula is defused.
//! Also, text shown back as typed: its stray control characters marked.

use std::borrow::Cow;

/// Control characters other than tab and line breaks (a NUL) become `�`: spreadsheets choke on
/// them, and a page cannot carry them (a form shown back as typed says where they were).
pub fn controls_marked(text: &str) -> Cow<'_, str> {
    let stray = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if text.chars().any(stray) {
        Cow::Owned(
            text.chars()
                .map(|c| if stray(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Prefixes `'` to a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return, so that
/// Excel, LibreOffice and Google Sheets show it as text instead of evaluating it (CSV injection).
/// Invisible characters before it (a zero-width space, a byte order mark) do not hide it, nor do
/// its full-width forms (`＝`), which some spreadsheets read as the ASCII ones. Control characters
/// other than tab and line breaks (a NUL a refused row kept) become `�`: spreadsheets choke on them.
///
/// So does each part after a `;`: a spreadsheet set to a language that separates values with
/// semicolons splits the comma-separated file there, and `x;=cmd|…` would start a cell with the
/// formula (`x;'=cmd|…`).
pub fn defuse(cell: &str) -> Cow<'_, str> {
    let cell = controls_marked(cell);
    if !cell.split(';').any(runs) {
        return cell;
    }
    Cow::Owned(
        cell.split(';')
            .map(|part| match runs(part) {
                true => format!("'{part}"),
                false => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";"),
    )
}

/// Whether a spreadsheet would run a cell starting with this text as a formula.
fn runs(text: &str) -> bool {
    let invisible = |c: &char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}');
    matches!(
        text.chars().find(|c| !invisible(c)),
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    )
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
            ("\u{200B}=1+1", "'\u{200B}=1+1"),
            ("\u{FEFF}\u{200B}@A1", "'\u{FEFF}\u{200B}@A1"),
            ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Gr\0ace", "Gr\u{FFFD}ace"),
            ("\0=1", "\u{FFFD}=1"),
            ("=\u{7}", "'=\u{FFFD}"),
            ("x;=cmd|'/C calc'!A0;y", "x;'=cmd|'/C calc'!A0;y"),
            ("ok;=HYPERLINK(1);@A1", "ok;'=HYPERLINK(1);'@A1"),
            ("=1;-2", "'=1;'-2"),
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
            "Research;Finance",
            "a; =x",
        ] {
            assert_eq!(defuse(input), input);
        }
    }
}
