//! Notes as CSV for spreadsheets: RFC 4180 (fields with a comma, a quote or a line break in
//! quotes, quotes doubled, lines ended by CRLF), UTF-8 without a byte order mark, one header row.
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

/// One field, quoted when it has to be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A line of fields, ended by CRLF.
pub fn line<I: IntoIterator<Item = S>, S: AsRef<str>>(fields: I) -> String {
    let mut out = fields.into_iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
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
    fn quotes_what_needs_it() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("zei \"ja\"\nen ging"), "\"zei \"\"ja\"\"\nen ging\"");
        assert_eq!(line(["a", "b,c"]), "a,\"b,c\"\r\n");
    }
}
