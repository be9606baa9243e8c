//! Notes as CSV for spreadsheets: RFC 4180 (fields with a comma, a quote or a line break in
//! quotes, quotes doubled, lines ended by CRLF, a `'` before a formula), UTF-8 without a byte
//! order mark, one header row.
//! Lists (codes, health dimensions) are joined with "; ".

use serde_json::Value;

/// The columns, in order: each a header and the note field it comes from.
pub const COLUMNS: &[&str] = &[
    "position",
    "id",
    "date",
    "kind",
    "kind_label",
    "author",
    "author_name",
    "area",
    "area_name",
    "initiative",
    "initiative_name",
    "cycle",
    "topic",
    "title",
    "health",
    "codes",
    "excerpt_codes",
    "text_state",
    "text",
    "revision",
    "retracted",
];

/// A line of fields, ended by CRLF: the views' CSV writer (`parlog_projections::csv::record`),
/// so that notes get the same quoting and the same guard against spreadsheet formulas (a note's
/// text is typed by people and may start with `=`).
pub fn line<I: IntoIterator<Item = S>, S: AsRef<str>>(fields: I) -> String {
    let mut out = String::new();
    parlog_projections::csv::record(&mut out, fields.into_iter().map(|f| f.as_ref().to_string()));
    out
}

/// The header row.
pub fn header() -> String {
    line(COLUMNS)
}

/// A code's name, or its id when it has none.
fn code_name(c: &Value) -> String {
    c["name"].as_str().or(c["id"].as_str()).unwrap_or_default().to_string()
}

/// One note (in the API's JSON form) as a row.
pub fn row(note: &Value) -> String {
    let text = |k: &str| match &note[k] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let list = |v: &Value, f: &dyn Fn(&Value) -> String| {
        v.as_array().map(|a| a.iter().map(f).collect::<Vec<_>>().join("; ")).unwrap_or_default()
    };
    let mut excerpt_codes: Vec<String> = Vec::new();
    for x in note["excerpts"].as_array().into_iter().flatten() {
        for c in x["codes"].as_array().into_iter().flatten() {
            let name = code_name(c);
            if !excerpt_codes.contains(&name) {
                excerpt_codes.push(name);
            }
        }
    }
    let retracted = match &note["retracted"] {
        Value::Null => String::new(),
        r => r["reason"].as_str().unwrap_or("retracted").to_string(),
    };
    let fields: Vec<String> = COLUMNS
        .iter()
        .map(|c| match *c {
            "health" => list(&note["health"], &|v| v.as_str().unwrap_or_default().to_string()),
            "codes" => list(&note["codes"], &code_name),
            "excerpt_codes" => excerpt_codes.join("; "),
            "retracted" => retracted.clone(),
            other => text(other),
        })
        .collect();
    line(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_it_and_guards_formulas() {
        assert_eq!(line(["plain"]), "plain\r\n");
        assert_eq!(line(["a, b"]), "\"a, b\"\r\n");
        assert_eq!(line(["zei \"ja\"\nen ging"]), "\"zei \"\"ja\"\"\nen ging\"\r\n");
        assert_eq!(line(["a", "b,c"]), "a,\"b,c\"\r\n");
        assert_eq!(line(["=HYPERLINK(\"x\")"]), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
    }
}
