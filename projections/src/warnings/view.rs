//! The view of the warnings: each with its kind, subject, reason and sources, and the thresholds
//! used, as JSON and as text.

use serde_json::{json, Value};

use super::Warning;
use crate::text::{src_refs, tr};
use crate::{Projections, RoleWord, ViewOptions};

/// The warnings that hold on the view's day ([`Warning::list`]); the retrospective shows those
/// that held at any time ([`Warning::history`]).
pub(crate) fn json(p: &Projections, o: &ViewOptions) -> Value {
    let list = Warning::list(p, o);
    let role = RoleWord::of(p, o.day);
    json!({
        "today": p.activity.today(o.day),
        "thresholds": o.thresholds,
        "warnings": list.iter().map(|w| json!({
            "kind": w.kind, "kind_label": w.kind.label(o.lang, &role),
            "subject": w.subject, "subject_label": w.subject_label,
            "reason": w.reason, "since": w.since, "sources": w.sources,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn text(p: &Projections, o: &ViewOptions) -> String {
    let list = Warning::list(p, o);
    if list.is_empty() {
        return tr(o.lang, "Geen waarschuwingen.\n", "No warnings.\n").to_string();
    }
    let role = RoleWord::of(p, o.day);
    let mut out = String::new();
    for w in &list {
        let kind = w.kind.label(o.lang, &role);
        out += &format!("{kind}: {}\n  {} {}\n", w.subject_label, w.reason, src_refs(&w.sources, o.lang));
    }
    out
}
