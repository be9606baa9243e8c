//! Every view as a table for spreadsheets (CSV), made from the view's JSON so that the table and
//! the view cannot say different things.
//!
//! **The form.** RFC 4180: fields separated by commas, records ended by CRLF (the RFC's line
//! break, and what Excel writes; LibreOffice and every CSV reader accept it), a field with a
//! comma, a double quote, a CR or LF quoted with its quotes doubled; UTF-8 without a byte order
//! mark (the RFC's registration says nothing of one, and a BOM ends up in the first column's name
//! of many readers). The first record names the columns, in the view's language.
//!
//! **Formula injection.** A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and
//! some treat a leading tab or CR the same) as a formula, and text in the log is anyone's. As
//! OWASP advises ("CSV Injection"), such a field gets a `'` in front, which spreadsheets show as
//! text and do not run. parlog writes no negative numbers in its tables, so no number is changed.
//!
//! **Rows.** Each view names its main table ([`Table`]): the path to its rows in the JSON (a row
//! of a nested list keeps its parents, which columns reach with `../`), and its columns. Days are
//! ISO (`2019-03-18`), as in the JSON; each table has a column with the positions of the events
//! its row rests on (`bron`, `source`), so that a row traces back to the log.

use parlog_core::Lang;
use serde_json::Value;

/// A view's main table.
pub struct Table {
    /// The keys of the nested lists that hold the rows, from the view's top: `["levels",
    /// "areas", "cycles"]` makes a row of every cycle of every area of every level.
    pub rows: &'static [&'static str],
    pub columns: &'static [Col],
}

/// One column: its name in Dutch and English, where its value is (a path of keys from the row,
/// `/`-separated, with a `../` for each step up to a parent row) and how it is written.
pub struct Col {
    pub nl: &'static str,
    pub en: &'static str,
    pub at: &'static str,
    pub how: How,
}

#[derive(Clone, Copy)]
pub enum How {
    /// A text, number or yes/no as it is; a list of those joined by `; `; nothing for null.
    Value,
    /// The positions of sources: a source (`{"position", "date"}`), a list of sources, or a
    /// list of things with a `src`; joined by `; `.
    Positions,
    /// A list of objects: this key of each, joined by `; `.
    Join(&'static str),
    /// A list of objects: `a: b` of each, joined by `; ` (for a role's changes: `taken: …`).
    Pairs(&'static str, &'static str),
}

pub const fn col(nl: &'static str, en: &'static str, at: &'static str) -> Col {
    Col { nl, en, at, how: How::Value }
}
pub const fn src(nl: &'static str, en: &'static str, at: &'static str) -> Col {
    Col { nl, en, at, how: How::Positions }
}
pub const fn join(nl: &'static str, en: &'static str, at: &'static str, key: &'static str) -> Col {
    Col { nl, en, at, how: How::Join(key) }
}
pub const fn pairs(nl: &'static str, en: &'static str, at: &'static str, a: &'static str, b: &'static str) -> Col {
    Col { nl, en, at, how: How::Pairs(a, b) }
}

/// The record separator (see the top of the file for why CRLF).
pub const LINE_END: &str = "\r\n";

impl Table {
    /// The table of a view's JSON, in `lang`.
    pub fn render(&self, view: &Value, lang: Lang) -> String {
        let mut out = String::new();
        let header: Vec<&str> = self
            .columns
            .iter()
            .map(|c| match lang {
                Lang::Nl => c.nl,
                Lang::En => c.en,
            })
            .collect();
        record(&mut out, header.iter().map(|h| h.to_string()));
        for row in rows(view, self.rows) {
            record(&mut out, self.columns.iter().map(|c| cell(&row, c, lang)));
        }
        out
    }
}

/// Every row under `path`, each with its parents (the view first, the row last).
fn rows<'a>(view: &'a Value, path: &[&str]) -> Vec<Vec<&'a Value>> {
    let mut stacks = vec![vec![view]];
    for key in path {
        let mut next = Vec::new();
        for stack in stacks {
            let items = stack.last().and_then(|v| v.get(key)).and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                let mut s = stack.clone();
                s.push(item);
                next.push(s);
            }
        }
        stacks = next;
    }
    stacks
}

/// The value at `at` from the row (the last of `stack`), or null.
fn lookup<'a>(stack: &[&'a Value], at: &str) -> &'a Value {
    let mut rest = at;
    let mut up = 0;
    while let Some(r) = rest.strip_prefix("../") {
        up += 1;
        rest = r;
    }
    let Some(mut v) = stack.len().checked_sub(1 + up).map(|i| stack[i]) else { return &Value::Null };
    for key in rest.split('/').filter(|k| !k.is_empty()) {
        let next = match v {
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            other => other.get(key),
        };
        v = next.unwrap_or(&Value::Null);
    }
    v
}

fn cell(stack: &[&Value], c: &Col, lang: Lang) -> String {
    let v = lookup(stack, c.at);
    let items = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    match c.how {
        How::Value => match v {
            Value::Array(a) => {
                a.iter().map(|x| scalar(x, lang)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
            }
            other => scalar(other, lang),
        },
        How::Positions => items(v)
            .iter()
            .filter_map(|s| s.get("position").or_else(|| s.pointer("/src/position")).and_then(Value::as_u64))
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        How::Join(key) => {
            items(v).iter().map(|x| scalar(&x[key], lang)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ")
        }
        How::Pairs(a, b) => items(v)
            .iter()
            .map(|x| {
                let value = match &x[b] {
                    Value::Array(list) => list.iter().map(|y| scalar(y, lang)).collect::<Vec<_>>().join(", "),
                    other => scalar(other, lang),
                };
                format!("{}: {value}", scalar(&x[a], lang))
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn scalar(v: &Value, lang: Lang) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => crate::text::tr(lang, if *b { "ja" } else { "nee" }, if *b { "yes" } else { "no" }).into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        // Not a column's value in any table; kept whole rather than dropped.
        other => other.to_string(),
    }
}

/// One record: each field guarded and quoted as needed, then the line end.
pub fn record(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, &f);
    }
    out.push_str(LINE_END);
}

/// One field: a `'` before what a spreadsheet would run as a formula; quoted if it holds a comma,
/// a quote, a CR or an LF, its quotes doubled.
pub fn field(out: &mut String, s: &str) {
    let guard = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    let quote = s.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(s: &str) -> String {
        let mut out = String::new();
        field(&mut out, s);
        out
    }

    #[test]
    fn fields_are_quoted_and_guarded() {
        assert_eq!(one("Gouda"), "Gouda");
        assert_eq!(one("a, b"), "\"a, b\"");
        assert_eq!(one("zei \"ja\""), "\"zei \"\"ja\"\"\"");
        assert_eq!(one("regel\nnog een"), "\"regel\nnog een\"");
        assert_eq!(one("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(one("+31 6"), "'+31 6");
        assert_eq!(one("-2"), "'-2");
        assert_eq!(one("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(one("2019-03-18"), "2019-03-18");
        assert_eq!(one(""), "");
    }

    #[test]
    fn rows_keep_their_parents() {
        const T: Table = Table {
            rows: &["areas", "items"],
            columns: &[
                col("gebied", "area", "../name"),
                col("naam", "name", "name"),
                src("bron", "source", "src"),
                join("codes", "codes", "codes", "name"),
                col("actief", "active", "active"),
            ],
        };
        let v = json!({"areas": [
            {"name": "Noord", "items": [
                {"name": "a", "src": {"position": 3, "date": "2019-01-01"}, "codes": [{"name": "x"}, {"name": "y"}], "active": true},
                {"name": "b", "src": null, "codes": [], "active": false}]},
            {"name": "Oost", "items": []}]});
        assert_eq!(T.render(&v, Lang::Nl), "gebied,naam,bron,codes,actief\r\nNoord,a,3,x; y,ja\r\nNoord,b,,,nee\r\n");
        assert!(T.render(&v, Lang::En).starts_with("area,name,source,codes,active\r\n"));
    }
}
