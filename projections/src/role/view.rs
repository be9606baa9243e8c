//! The views of the role: its state on a day, its timeline and the changes of method with the
//! reflections they cite, as JSON and as text.

use chrono::NaiveDate;
use parlog_core::{EventId, EventKind, Lang};
use serde_json::{json, Value};

use super::{in_effect, known, MethodChange, ReflectionRef, Role, RoleField, RoleHistory};
use crate::fact::Src;
use crate::text::{fmt_day, src_ref, src_refs, tr};
use crate::{Projections, ViewOptions};

impl RoleHistory {
    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (known_day, lang) = (o.day, o.lang);
        let day = o.day.or_else(|| p.last_day());
        let roles: Vec<Value> = self
            .roles_known(known_day)
            .into_iter()
            .map(|(k, r)| {
                let state = r.state_known(day, known_day);
                let diff = o.since.map(|since| {
                    let to = day.unwrap_or(since);
                    json!({
                        "since": since, "day": to,
                        "changes": r.diff_known(since, to, known_day).into_iter().map(|d| json!({
                            "field": d.field, "label": d.field.label(lang),
                            "before": d.before, "after": d.after, "sources": d.sources,
                        })).collect::<Vec<_>>(),
                    })
                });
                json!({
                    "id": k,
                    "title": state.as_ref().map(|s| s.title.value.as_str()),
                    "described": r.described.as_ref().map(|d| d.src),
                    "state": state.as_ref().map(|s| RoleField::ALL.into_iter().map(|f| {
                        let (src, effective) = s.source(f);
                        json!({"field": f, "label": f.label(lang), "value": s.value(f), "src": src, "effective": effective})
                    }).collect::<Vec<_>>()),
                    "timeline": self.timeline(p, r, day, known_day, lang),
                    "diff": diff,
                })
            })
            .collect();
        json!({ "day": day, "since": o.since, "roles": roles })
    }

    /// Description, role changes and method changes known on `known_day`, in the order they
    /// took effect; `in_effect` says whether each had taken effect on `day`.
    fn timeline(
        &self,
        p: &Projections,
        r: &Role,
        day: Option<NaiveDate>,
        known_day: Option<NaiveDate>,
        lang: Lang,
    ) -> Vec<Value> {
        let mut items: Vec<((NaiveDate, Src), Value)> = Vec::new();
        let entry = |kind: EventKind, effective: NaiveDate, src: Src| {
            json!({"kind": kind.name(), "kind_label": kind.label(lang), "effective": effective, "src": src,
                   "in_effect": in_effect(effective, day)})
        };
        if let Some(d) = r.described.as_ref().filter(|d| known(d.src, known_day)) {
            let mut v = entry(EventKind::RoleDescribed, d.effective, d.src);
            v["changes"] = RoleField::ALL
                .into_iter()
                .map(|f| json!({"field": f, "label": f.label(lang), "value": d.value(f)}))
                .collect();
            items.push(((d.effective, d.src), v));
        }
        for c in r.changes_known(known_day) {
            let mut v = entry(EventKind::RoleChanged, c.effective, c.src);
            v["changes"] = c
                .fields()
                .into_iter()
                .map(|f| json!({"field": f, "label": f.label(lang), "value": c.value(f)}))
                .collect();
            v["rationale"] = json!(c.rationale);
            items.push(((c.effective, c.src), v));
        }
        for m in r.method_changes_known(known_day) {
            let mut v = entry(EventKind::MethodChanged, m.effective, m.src);
            v["aspect"] = json!(m.aspect);
            v["before"] = json!(m.before);
            v["after"] = json!(m.after);
            v["rationale"] = json!(m.rationale);
            v["reflections"] = self
                .cited(m, known_day)
                .into_iter()
                .map(|(id, x)| json!({"id": id, "src": x.src, "cycle": x.cycle, "cycle_question": p.cycles.question(&x.cycle)}))
                .collect();
            items.push(((m.effective, m.src), v));
        }
        items.sort_by_key(|(k, _)| *k);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// The reflections a method change cites that the log holds on a day, in log order.
    fn cited(&self, m: &MethodChange, known_day: Option<NaiveDate>) -> Vec<(EventId, &ReflectionRef)> {
        let mut v: Vec<_> = m
            .reflections
            .iter()
            .filter_map(|id| self.reflections.get(id).map(|x| (*id, x)))
            .filter(|(_, x)| known(x.src, known_day))
            .collect();
        v.sort_by_key(|(_, x)| x.src);
        v.dedup_by_key(|(_, x)| x.src);
        v
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (known_day, lang) = (o.day, o.lang);
        let day = o.day.or_else(|| p.last_day());
        let mut out = String::new();
        for (k, r) in self.roles_known(known_day) {
            self.role_text(k, r, day, o, &mut out);
        }
        if out.is_empty() {
            out = tr(lang, "Geen functiebeschrijving.\n", "No role description.\n").to_string();
        }
        out
    }

    fn role_text(&self, key: &str, r: &Role, day: Option<NaiveDate>, o: &ViewOptions, out: &mut String) {
        let (known_day, lang) = (o.day, o.lang);
        let state = r.state_known(day, known_day);
        let title = state.as_ref().map(|s| s.title.value.clone()).unwrap_or_else(|| key.to_string());
        *out += &format!("{} {title} ({key})\n", tr(lang, "Functie:", "Role:"));
        match &state {
            Some(s) => {
                if let Some(d) = day {
                    *out += &format!("  {} {}:\n", tr(lang, "Stand op", "As it stood on"), fmt_day(d, lang));
                }
                for f in RoleField::ALL {
                    *out +=
                        &format!("    {}: {} {}\n", f.label(lang), show(&s.value(f)), src_ref(&s.source(f).0, lang));
                }
            }
            None => *out += &format!("  {}\n", tr(lang, "(nog niet van kracht)", "(not yet in effect)")),
        }
        *out += &format!("  {}\n", tr(lang, "Tijdlijn:", "Timeline:"));
        let mut lines: Vec<((NaiveDate, Src), String)> = Vec::new();
        let pending = |eff: NaiveDate| {
            if in_effect(eff, day) {
                String::new()
            } else {
                format!(" ({})", tr(lang, "nog niet van kracht", "not yet in effect"))
            }
        };
        if let Some(d) = r.described.as_ref().filter(|d| known(d.src, known_day)) {
            let line = format!(
                "    {} {}{} {}",
                fmt_day(d.effective, lang),
                EventKind::RoleDescribed.label(lang),
                pending(d.effective),
                src_ref(&d.src, lang)
            );
            lines.push(((d.effective, d.src), line));
        }
        let reason = tr(lang, "reden:", "rationale:");
        for c in r.changes_known(known_day) {
            let (kind, when) = (EventKind::RoleChanged.label(lang), pending(c.effective));
            let mut block = format!("    {} {kind}{when} {}\n", fmt_day(c.effective, lang), src_ref(&c.src, lang));
            for f in c.fields() {
                block += &format!("      {} → {}\n", f.label(lang), show(&c.value(f)));
            }
            block += &format!("      {reason} {}", c.rationale);
            lines.push(((c.effective, c.src), block));
        }
        for m in r.method_changes_known(known_day) {
            let (kind, when) = (EventKind::MethodChanged.label(lang), pending(m.effective));
            let mut block =
                format!("    {} {kind}{when}: {} {}\n", fmt_day(m.effective, lang), m.aspect, src_ref(&m.src, lang));
            block += &format!("      {} {}\n", tr(lang, "voorheen:", "before:"), m.before);
            block += &format!("      {} {}\n", tr(lang, "voortaan:", "after:"), m.after);
            block += &format!("      {reason} {}", m.rationale);
            let cited: Vec<Src> = self.cited(m, known_day).into_iter().map(|(_, x)| x.src).collect();
            if !cited.is_empty() {
                let label = tr(lang, "op grond van reflecties", "based on reflections");
                block += &format!("\n      {label} {}", src_refs(&cited, lang));
            }
            lines.push(((m.effective, m.src), block));
        }
        lines.sort_by_key(|(k, _)| *k);
        for (_, l) in lines {
            *out += &l;
            *out += "\n";
        }
        if let (Some(since), Some(to)) = (o.since, day.or(o.since)) {
            let (from, until) = (fmt_day(since, lang), fmt_day(to, lang));
            *out += &format!("  {} {from} → {until}:\n", tr(lang, "Verschil", "Difference"));
            let diff = r.diff_known(since, to, known_day);
            if diff.is_empty() {
                *out += &format!("    {}\n", tr(lang, "geen wijzigingen", "no changes"));
            }
            for d in diff {
                *out += &format!(
                    "    {}: {} → {} {}\n",
                    d.field.label(lang),
                    show(&d.before),
                    show(&d.after),
                    src_refs(&d.sources, lang)
                );
            }
        }
    }
}

/// A field value for text views.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        // 2.0 FTE reads as "2", as people write it.
        Value::Number(n) => n.as_f64().map(|f| f.to_string()).unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}
