//! The views of activity and workload: per broker and month, per other participant and per area, as
//! JSON and as text.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{ParticipantRole, Vocabulary};

use crate::words::RoleWord;
use serde_json::{json, Value};

use super::Activity;
use crate::directory::{Directory, Participant};
use crate::text::{count, fmt_month, month_label, month_of, next_month, tr};
use crate::{Projections, ViewOptions};

impl Activity {
    /// The area a counted place stands for in a month: the area itself, the initiative's area,
    /// or (for notes that give neither, or an initiative no longer in the log) the author's area.
    fn area_of(p: &Projections, who: &str, at: &str, end: NaiveDate) -> Option<String> {
        if at.starts_with("area:") {
            return Some(at.to_string());
        }
        if let Some(b) = p.initiatives.items.get(at).and_then(|i| i.base.as_ref()) {
            return Some(b.area.clone());
        }
        p.directory.participants.get(who).and_then(|x| x.area_on(Some(end))).map(|a| a.to_string())
    }

    /// The note counts by name.
    fn counts(&self) -> Counts {
        let mut out = Counts::new();
        for ((who, at, month), n) in self.notes.iter() {
            let places = out.entry(self.names.get(*who).to_string()).or_default();
            *places.entry(self.names.get(*at).to_string()).or_default().entry(*month).or_default() += n;
        }
        out
    }

    /// Notes of one author per month and area, up to today.
    fn notes_of(
        notes: &Counts,
        p: &Projections,
        who: &str,
        today: NaiveDate,
    ) -> BTreeMap<NaiveDate, BTreeMap<Option<String>, u64>> {
        let mut out: BTreeMap<NaiveDate, BTreeMap<Option<String>, u64>> = BTreeMap::new();
        for (at, months) in notes.get(who).into_iter().flatten() {
            for (m, n) in months.range(..=today) {
                let area = Self::area_of(p, who, at, month_end(*m, today));
                *out.entry(*m).or_default().entry(area).or_default() += n;
            }
        }
        out
    }

    fn areas_json(dir: &Directory, areas: &BTreeMap<Option<String>, u64>) -> Vec<Value> {
        areas
            .iter()
            .map(|(a, n)| json!({"area": a, "area_name": a.as_ref().map(|a| dir.area_name(a)), "notes": n}))
            .collect()
    }

    /// Months a makelaar is shown for: from registration (or an earlier note) to leaving or today.
    fn broker_months(
        &self,
        part: &Participant,
        notes: &BTreeMap<NaiveDate, BTreeMap<Option<String>, u64>>,
        today: NaiveDate,
    ) -> Vec<NaiveDate> {
        let Some(base) = part.base.as_ref() else { return Vec::new() };
        let first = notes.keys().next().copied().unwrap_or(base.src.date).min(base.src.date);
        let last = part.left_on(Some(today)).map(|l| l.src.date).unwrap_or(today);
        let mut out = Vec::new();
        let mut m = month_of(first);
        while m <= last {
            out.push(m);
            m = next_month(m);
        }
        let skip = out.len().saturating_sub(VIEW_MONTHS_MAX);
        out.split_off(skip)
    }

    fn broker_json(&self, counts: &Counts, p: &Projections, o: &ViewOptions, who: &str, today: NaiveDate) -> Value {
        let (dir, ini, lang) = (&p.directory, &p.initiatives, o.lang);
        let part = &dir.participants[who];
        let notes = Self::notes_of(counts, p, who, today);
        let months: Vec<Value> = self
            .broker_months(part, &notes, today)
            .into_iter()
            .map(|m| {
                let areas = notes.get(&m).cloned().unwrap_or_default();
                let involved = Self::involved(p, who, month_end(m, today));
                json!({
                    "month": month_label(m),
                    "notes": areas.values().sum::<u64>(),
                    "areas": Self::areas_json(dir, &areas),
                    "active_initiatives": involved.len(),
                    "leading": involved.iter().filter(|i| i.leads).count(),
                    "initiatives": involved.iter().map(|i| json!({
                        "id": i.initiative, "name": ini.name(&i.initiative),
                        "role": i.role, "role_label": i.role.label(lang), "leads": i.leads, "src": i.src,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let role = part.role_on(Some(today));
        let word = RoleWord::of(p, o.day);
        json!({
            "participant": who, "label": dir.who(who),
            "role": role, "role_label": role.map(|r| word.participant_role(r, lang)),
            "area": part.area_on(Some(today)), "area_name": part.area_on(Some(today)).map(|a| dir.area_name(a)),
            "notes": notes.values().flat_map(|a| a.values()).sum::<u64>(),
            "months": months,
        })
    }

    fn other_json(counts: &Counts, p: &Projections, o: &ViewOptions, who: &str, today: NaiveDate) -> Value {
        let dir = &p.directory;
        let notes = Self::notes_of(counts, p, who, today);
        let role = dir.participants.get(who).and_then(|x| x.role_on(Some(today)));
        let word = RoleWord::of(p, o.day);
        json!({
            "participant": who, "label": dir.who(who),
            "role": role, "role_label": role.map(|r| word.participant_role(r, o.lang)),
            "notes": notes.values().flat_map(|a| a.values()).sum::<u64>(),
            "months": notes.iter().map(|(m, areas)| json!({
                "month": month_label(*m), "notes": areas.values().sum::<u64>(), "areas": Self::areas_json(dir, areas),
            })).collect::<Vec<_>>(),
        })
    }

    /// Makelaars (participants who were makelaar or coach up to today) and other note authors.
    fn people(counts: &Counts, dir: &Directory, today: NaiveDate) -> (Vec<String>, Vec<String>) {
        let brokers: Vec<String> =
            dir.participants.iter().filter(|(_, x)| was_broker(x, today)).map(|(id, _)| id.clone()).collect();
        let others: Vec<String> = counts
            .iter()
            .filter(|(who, places)| {
                !brokers.contains(who) && places.values().any(|m| m.range(..=today).next().is_some())
            })
            .map(|(who, _)| who.clone())
            .collect();
        (brokers, others)
    }

    /// Notes per area and month over all authors.
    fn area_totals(
        counts: &Counts,
        p: &Projections,
        today: NaiveDate,
    ) -> BTreeMap<Option<String>, BTreeMap<NaiveDate, u64>> {
        let mut out: BTreeMap<Option<String>, BTreeMap<NaiveDate, u64>> = BTreeMap::new();
        for who in counts.keys() {
            for (m, areas) in Self::notes_of(counts, p, who, today) {
                for (a, n) in areas {
                    *out.entry(a).or_default().entry(m).or_default() += n;
                }
            }
        }
        out
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let Some(today) = self.today(o.day) else {
            return json!({"today": null, "brokers": [], "others": [], "areas": []});
        };
        let dir = &p.directory;
        let counts = self.counts();
        let (brokers, others) = Self::people(&counts, dir, today);
        let areas: Vec<Value> = Self::area_totals(&counts, p, today)
            .iter()
            .map(|(a, months)| {
                json!({
                    "area": a, "area_name": a.as_ref().map(|a| dir.area_name(a)),
                    "notes": months.values().sum::<u64>(),
                    "months": months.iter().map(|(m, n)| json!({"month": month_label(*m), "notes": n})).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "today": today,
            "brokers": brokers.iter().map(|w| self.broker_json(&counts, p, o, w, today)).collect::<Vec<_>>(),
            "others": others.iter().map(|w| Self::other_json(&counts, p, o, w, today)).collect::<Vec<_>>(),
            "areas": areas,
        })
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let lang = o.lang;
        let Some(today) = self.today(o.day) else {
            return tr(lang, "Geen activiteit.\n", "No activity.\n").to_string();
        };
        let (dir, ini) = (&p.directory, &p.initiatives);
        let word = RoleWord::of(p, o.day);
        let counts = self.counts();
        let (brokers, others) = Self::people(&counts, dir, today);
        let notes = |n: u64| count(lang, n, ("veldnotitie", "veldnotities"), ("field note", "field notes"));
        let mut out = String::new();
        for who in &brokers {
            let part = &dir.participants[who];
            let role = part.role_on(Some(today)).map(|r| word.participant_role(r, lang)).unwrap_or_default();
            out += &format!("{} ({role})\n", dir.who(who));
            let per_month = Self::notes_of(&counts, p, who, today);
            for m in self.broker_months(part, &per_month, today) {
                let n: u64 = per_month.get(&m).map(|a| a.values().sum()).unwrap_or(0);
                let involved = Self::involved(p, who, month_end(m, today));
                if n == 0 && involved.is_empty() {
                    continue;
                }
                let leading = involved.iter().filter(|i| i.leads).count();
                let names: Vec<String> = involved.iter().map(|i| ini.name(&i.initiative)).collect();
                let active = count(
                    lang,
                    involved.len() as u64,
                    ("actief initiatief", "actieve initiatieven"),
                    ("active initiative", "active initiatives"),
                );
                out += &format!(
                    "  {}: {}, {active}{}, {} {leading}\n",
                    fmt_month(m, lang),
                    notes(n),
                    if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) },
                    tr(lang, "zelf trekker bij", "still leading"),
                );
            }
        }
        if !others.is_empty() {
            out += tr(lang, "Andere auteurs van veldnotities:\n", "Other authors of field notes:\n");
        }
        for who in &others {
            let n: u64 = Self::notes_of(&counts, p, who, today).values().flat_map(|a| a.values()).sum();
            out += &format!("  {}: {}\n", dir.who(who), notes(n));
        }
        if out.is_empty() {
            out = tr(lang, "Geen activiteit.\n", "No activity.\n").to_string();
        }
        out
    }
}

/// The last day of a month, or the day if that is earlier.
fn month_end(m: NaiveDate, today: NaiveDate) -> NaiveDate {
    next_month(m).pred_opt().unwrap_or(m).min(today)
}

/// Whether a participant was a makelaar or city-wide coach at any time up to a day.
fn was_broker(p: &Participant, today: NaiveDate) -> bool {
    let Some(base) = p.base.as_ref().filter(|b| b.src.date <= today) else { return false };
    is_broker_role(base.role) || p.role_changes.values().any(|c| c.src.date <= today && is_broker_role(c.role))
}

fn is_broker_role(r: ParticipantRole) -> bool {
    matches!(r, ParticipantRole::Makelaar | ParticipantRole::CityCoach)
}

/// Field notes per author, place and month, by name (as views want them).
type Counts = BTreeMap<String, BTreeMap<String, BTreeMap<NaiveDate, u64>>>;

/// At most this many months per participant in a view (the most recent ones).
pub const VIEW_MONTHS_MAX: usize = 240;
