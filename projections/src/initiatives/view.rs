//! The views of the initiatives: each with its stage, brokers and end on the view's day, as JSON
//! and as text.

use chrono::NaiveDate;
use parlog_core::{Lang, Vocabulary};

use super::{upto, Initiatives};
use crate::directory::Directory;
use crate::text::{fmt_day, src_ref, tr};

impl Initiatives {
    pub fn view(&self, dir: &Directory, day: Option<NaiveDate>, lang: Lang) -> serde_json::Value {
        let items: Vec<serde_json::Value> = self
            .on(day)
            .into_iter()
            .map(|(id, i)| {
                let b = i.base.as_ref().expect("on() keeps initiatives with a base");
                let status = i.status_on(day);
                serde_json::json!({
                    "id": id,
                    "name": b.name,
                    "route": b.route, "route_label": b.route.label(lang),
                    "area": b.area, "area_name": dir.area_name(&b.area),
                    "description": b.description,
                    "initiators": b.initiators.iter().map(|p| serde_json::json!({"id": p, "label": dir.who(p)})).collect::<Vec<_>>(),
                    "health": b.health.iter().map(|h| serde_json::json!({"id": h, "label": h.label(lang)})).collect::<Vec<_>>(),
                    "started": b.src,
                    "status": status, "status_label": status.label(lang),
                    "stage": i.stage_on(day).map(|s| s.stage), "stage_label": i.stage_on(day).map(|s| s.stage.label(lang)),
                    "stages": upto(&i.stages, day, |s| s.src).map(|s| serde_json::json!({
                        "stage": s.stage, "label": s.stage.label(lang), "note": s.note, "src": s.src
                    })).collect::<Vec<_>>(),
                    "broker_roles": upto(&i.broker, day, |b| b.src).map(|r| serde_json::json!({
                        "broker": r.broker, "broker_label": dir.who(&r.broker), "role": r.role, "role_label": r.role.label(lang),
                        "broker_leads": r.leads, "note": r.note, "src": r.src
                    })).collect::<Vec<_>>(),
                    "handed_over": upto(&i.handed_over, day, |h| h.src).next().map(|h| serde_json::json!({
                        "organisation": h.organisation, "organisation_label": dir.who(&h.organisation), "note": h.note, "src": h.src
                    })),
                    "stopped": upto(&i.stopped, day, |s| s.src).next().map(|s| serde_json::json!({"reason": s.reason, "src": s.src})),
                    "collectivised": upto(&i.collectivised, day, |c| c.src).map(|c| serde_json::json!({
                        "signals": c.signals, "rationale": c.rationale, "src": c.src
                    })).collect::<Vec<_>>(),
                    "notes": i.notes_per_month.iter().filter(|(m, _)| day.is_none_or(|d| **m <= d)).map(|(_, n)| n).sum::<u64>(),
                })
            })
            .collect();
        serde_json::json!({ "initiatives": items })
    }

    pub fn text(&self, dir: &Directory, day: Option<NaiveDate>, lang: Lang) -> String {
        let mut out = String::new();
        for (_, i) in self.on(day) {
            let b = i.base.as_ref().expect("on() keeps initiatives with a base");
            let status = i.status_on(day);
            out += &format!(
                "{} ({}, {} {}, {}) {}\n",
                b.name,
                dir.area_name(&b.area),
                tr(lang, "route:", "route:"),
                b.route.label(lang),
                status.label(lang),
                src_ref(&b.src, lang)
            );
            for s in upto(&i.stages, day, |s| s.src) {
                out += &format!(
                    "  {} {}: {}\n",
                    fmt_day(s.src.date, lang),
                    tr(lang, "fase", "stage"),
                    s.stage.label(lang)
                );
            }
            for r in upto(&i.broker, day, |b| b.src) {
                let leads = if r.leads { tr(lang, " (trekt het initiatief)", " (leads the initiative)") } else { "" };
                out += &format!(
                    "  {} {}: {}{}\n",
                    fmt_day(r.src.date, lang),
                    dir.who(&r.broker),
                    r.role.label(lang),
                    leads
                );
            }
            if let Some(h) = upto(&i.handed_over, day, |h| h.src).next() {
                out += &format!(
                    "  {} {} {}\n",
                    fmt_day(h.src.date, lang),
                    tr(lang, "overgedragen aan", "handed over to"),
                    dir.who(&h.organisation)
                );
            }
            if let Some(s) = upto(&i.stopped, day, |s| s.src).next() {
                out += &format!("  {} {}: {}\n", fmt_day(s.src.date, lang), tr(lang, "gestopt", "stopped"), s.reason);
            }
        }
        if out.is_empty() {
            out = tr(lang, "Geen initiatieven.\n", "No initiatives.\n").to_string();
        }
        out
    }
}
