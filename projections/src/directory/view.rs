//! The directory as a view: the studies, participants and areas the log defines, with their
//! labels in the view's language, so that clients (the web client's forms and filters) need not
//! scan the log to name things.
//!
//! Each list is sorted by id. An entry appears once its defining event happened on or before the
//! view's day; a participant's role, area and whether they are still active are as of that day.

use chrono::NaiveDate;
use parlog_core::{Lang, Vocabulary};
use serde_json::{json, Value};

use super::{Area, Directory, Participant, ParticipantBase, Study};
use crate::fact::Src;
use crate::text::{fmt_day, src_ref, tr};
use crate::{Projections, RoleWord, ViewOptions};

/// `{"id": …, "label": …}` for a vocabulary term, the form every view's JSON names terms in.
fn term(v: impl Vocabulary, lang: Lang) -> Value {
    json!({"id": v.id(), "label": v.label(lang)})
}

fn on_day(src: &Src, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| src.date <= d)
}

impl Directory {
    /// The studies on the day, by id.
    fn studies_on(&self, day: Option<NaiveDate>) -> impl Iterator<Item = (&String, &Study)> {
        self.studies.iter().filter(move |(_, s)| on_day(&s.src, day))
    }

    /// The registered participants on the day, by id.
    fn participants_on(
        &self,
        day: Option<NaiveDate>,
    ) -> impl Iterator<Item = (&String, &Participant, &ParticipantBase)> {
        self.participants.iter().filter_map(move |(id, p)| {
            let base = p.base.as_ref().filter(|b| on_day(&b.src, day))?;
            Some((id, p, base))
        })
    }

    /// The areas on the day, by id.
    fn areas_on(&self, day: Option<NaiveDate>) -> impl Iterator<Item = (&String, &Area)> {
        self.areas.iter().filter(move |(_, a)| on_day(&a.src, day))
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (lang, day) = (o.lang, o.day);
        let role = RoleWord::of(p, day);
        let studies: Vec<Value> = self
            .studies_on(day)
            .map(|(id, s)| {
                json!({
                    "id": id, "title": s.title, "question": s.question, "municipality": s.municipality,
                    "partners": s.partners,
                    "levels": s.levels.iter().map(|l| term(*l, lang)).collect::<Vec<_>>(),
                    "src": s.src,
                })
            })
            .collect();
        let participants: Vec<Value> = self
            .participants_on(day)
            .map(|(id, p, base)| {
                json!({
                    "id": id, "label": base.label,
                    "role": p.role_on(day).map(|r| json!({"id": r.id(), "label": role.participant_role(r, lang)})),
                    "organisation": base.organisation,
                    "area": p.area_on(day),
                    "active": p.left_on(day).is_none(),
                    "src": base.src,
                })
            })
            .collect();
        let areas: Vec<Value> = self
            .areas_on(day)
            .map(|(id, a)| {
                json!({"id": id, "name": a.name, "kind": term(a.kind, lang), "parent": a.parent, "src": a.src})
            })
            .collect();
        json!({"studies": studies, "participants": participants, "areas": areas})
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (lang, day) = (o.lang, o.day);
        let role_word = RoleWord::of(p, day);
        let mut out = String::new();
        out += tr(lang, "Onderzoeken:\n", "Studies:\n");
        for (id, s) in self.studies_on(day) {
            let levels: Vec<&str> = s.levels.iter().map(|l| l.label(lang)).collect();
            out += &format!("  {} ({id}, {}) {}\n", s.title, s.municipality, src_ref(&s.src, lang));
            out += &format!("    {}: {}\n", tr(lang, "vraag", "question"), s.question);
            if !s.partners.is_empty() {
                out += &format!("    {}: {}\n", tr(lang, "partners", "partners"), s.partners.join(", "));
            }
            out += &format!("    {}: {}\n", tr(lang, "niveaus", "levels"), levels.join(", "));
        }
        out += tr(lang, "Deelnemers:\n", "Participants:\n");
        for (id, p, base) in self.participants_on(day) {
            let role = p.role_on(day).map(|r| role_word.participant_role(r, lang)).unwrap_or_default();
            let mut about = vec![role];
            about.extend(base.organisation.clone());
            about.extend(p.area_on(day).map(|a| self.area_name(a)));
            if let Some(l) = p.left_on(day) {
                about.push(format!("{} {}", tr(lang, "vertrokken", "left"), fmt_day(l.src.date, lang)));
            }
            out += &format!("  {} ({id}): {} {}\n", base.label, about.join(", "), src_ref(&base.src, lang));
        }
        out += tr(lang, "Gebieden:\n", "Areas:\n");
        for (id, a) in self.areas_on(day) {
            let parent = a.parent.as_ref().map(|p| format!(", {} {}", tr(lang, "in", "in"), self.area_name(p)));
            out += &format!(
                "  {} ({id}): {}{} {}\n",
                a.name,
                a.kind.label(lang),
                parent.unwrap_or_default(),
                src_ref(&a.src, lang)
            );
        }
        out
    }
}
