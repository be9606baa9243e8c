//! Practice warnings: the pitfalls the guide describes, recognised in the log. Not a fold: a pure
//! function of the projections and the view's options. "Today" is the as-of day or the last day
//! in the log, never the wall clock.
//!
//! Two questions, two answers:
//! - [`Warning::list`]: what holds *now*, on the view's day. The `warnings` view shows this (a
//!   makelaar acts on what holds today), as does the web interface's list of warnings.
//! - [`Warning::history`]: what held *at some time* during the study, up to the view's day, each
//!   with when it held (from, until) and how it ended ([`Ending`]), or that it still held at the
//!   end. The retrospective shows this in "Aandachtspunten uit de praktijk": it looks back over
//!   the whole period, and the guide's classic pitfall (a makelaar who led an initiative until
//!   it stopped) has ended by the time anyone writes it down.
//!
//! Both check each subject (an initiative, a broker, a team, a volunteer) with the same rule on a
//! day. A rule's outcome changes only on a day something happened to its subject, or on the day a
//! threshold is crossed (so many months after a start, so many days after a reflection); the
//! history checks those days only, so it costs a few checks per subject, not one per day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, Months, NaiveDate};
use parlog_core::{BrokerRole, Lang, Level, ParticipantRole, Recruitment, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::fact::Src;
use crate::initiatives::{Broker, Initiative, Status};
use crate::network::Connection;
use crate::text::{capitalise, count, fmt_day, months_between, tr};
use crate::words::RoleWord;
use crate::{Projections, ViewOptions};

pub(crate) mod view;

/// Where a warning starts. Every field has a default, so a partial set (from the command line or
/// a request) keeps the defaults for the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// A makelaar still leading an active initiative more than this many months after its start.
    pub lead_months_max: u32,
    /// A makelaar involved in more active initiatives than this at once.
    pub active_initiatives_max: u32,
    /// A team (cycles of one level and area) without a reflection for more days than this.
    pub reflection_gap_days_max: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { lead_months_max: 6, active_initiatives_max: 5, reflection_gap_days_max: 120 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The makelaar still leads an initiative long after its start; residents should lead.
    BrokerStillLeads,
    /// The makelaar is involved in more active initiatives than can be carried.
    TooManyInitiatives,
    /// A team has not reflected for a long time.
    ReflectionGap,
    /// An active initiative has no organisation to anchor it.
    NoOrganisation,
    /// A volunteer who joined at the makelaar's request, and so may leave when the makelaar
    /// steps back.
    VolunteerAtBrokerRequest,
}

impl WarningKind {
    pub const ALL: [WarningKind; 5] = [
        WarningKind::BrokerStillLeads,
        WarningKind::TooManyInitiatives,
        WarningKind::ReflectionGap,
        WarningKind::NoOrganisation,
        WarningKind::VolunteerAtBrokerRequest,
    ];
    /// The kind's label, naming the role in the study's words.
    pub fn label(self, lang: Lang, role: &RoleWord) -> String {
        match (self, lang) {
            (WarningKind::BrokerStillLeads, Lang::Nl) => format!("{} trekt nog steeds", role.short(lang)),
            (WarningKind::BrokerStillLeads, Lang::En) => format!("{} still leads", role.short(lang)),
            (WarningKind::TooManyInitiatives, _) => tr(lang, "te veel initiatieven", "too many initiatives").into(),
            (WarningKind::ReflectionGap, _) => tr(lang, "lang niet gereflecteerd", "no reflection for long").into(),
            (WarningKind::NoOrganisation, _) => {
                tr(lang, "geen organisatie voor borging", "no organisation to anchor it").into()
            }
            (WarningKind::VolunteerAtBrokerRequest, Lang::Nl) => {
                format!("vrijwilliger {}", role.recruitment(Recruitment::BrokerRequest, lang))
            }
            (WarningKind::VolunteerAtBrokerRequest, Lang::En) => {
                format!("volunteer {}", role.recruitment(Recruitment::BrokerRequest, lang))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// The stream the warning is about (an initiative, a participant, a cycle).
    pub subject: String,
    pub subject_label: String,
    /// A full sentence in the view's language naming the threshold and the measured value.
    pub reason: String,
    /// Since when the situation holds, where that can be told.
    pub since: Option<NaiveDate>,
    pub sources: Vec<Src>,
}

/// A warning that held for a while during the study (see [`Warning::history`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    pub kind: WarningKind,
    /// The stream it is about, as on the last day it held (for a team: its latest open cycle).
    pub subject: String,
    pub subject_label: String,
    /// The first day it held.
    pub from: NaiveDate,
    /// The day it no longer held; `None`: it still held on the view's day.
    pub until: Option<NaiveDate>,
    /// How it ended; `None` while it still holds.
    pub ended: Option<Ending>,
    /// Sentences in the view's language: when it held, what held (with the threshold), and how
    /// it ended.
    pub text: String,
    /// The events it rests on, the one that ended it included.
    pub sources: Vec<Src>,
}

/// How a warning stopped holding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ending {
    pub how: EndKind,
    pub on: NaiveDate,
    /// The event that ended it, where one event did.
    pub src: Option<Src>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndKind {
    /// The initiative stopped.
    Stopped,
    /// The initiative was handed over to an organisation.
    HandedOver,
    /// The makelaar no longer led it (another role, still involved).
    SteppedBack,
    /// The makelaar let go of it.
    LetGo,
    /// The makelaar's active initiatives fell to the threshold or below.
    FewerInitiatives,
    /// The team reflected.
    Reflected,
    /// The team's cycles were closed.
    CyclesClosed,
    /// An organisation was connected to the initiative.
    OrganisationLinked,
    /// The participant left.
    Left,
    /// The participant was no longer a makelaar.
    NoLongerBroker,
    /// Something else (a correction in the log, say).
    Other,
}

impl Warning {
    /// All warnings on the view's day, sorted by kind, subject and reason.
    pub fn list(p: &Projections, o: &ViewOptions) -> Vec<Warning> {
        let Some(today) = p.activity.today(o.day) else { return Vec::new() };
        let c = Ctx::new(p, o, today);
        let mut out = Vec::new();
        for (stream, i) in c.initiatives() {
            for broker in c.brokers_of(i) {
                out.extend(c.still_leads_on(stream, i, broker, today));
            }
            out.extend(c.no_organisation_on(stream, i, today));
        }
        for (who, mine) in c.brokers() {
            if let Some(mut w) = c.too_many_on(who, &mine, today) {
                w.since = c.over_since(who, &mine);
                out.push(w);
            }
        }
        for (team, days) in c.teams() {
            out.extend(c.gap_on(team, &days, today));
        }
        for (who, _) in c.volunteers() {
            out.extend(c.volunteer_on(who, today));
        }
        out.sort_by(|a, b| (a.kind, &a.subject, &a.reason).cmp(&(b.kind, &b.subject, &b.reason)));
        out
    }

    /// Every warning that held at some time up to the view's day, with when it held and how it
    /// ended; by the day it began, then kind and subject.
    pub fn history(p: &Projections, o: &ViewOptions) -> Vec<Held> {
        let Some(today) = p.activity.today(o.day) else { return Vec::new() };
        let c = Ctx::new(p, o, today);
        let mut out = Vec::new();
        for (stream, i) in c.initiatives() {
            for broker in c.brokers_of(i) {
                out.extend(c.still_leads_history(stream, i, broker));
            }
            out.extend(c.no_organisation_history(stream, i));
        }
        for (who, mine) in c.brokers() {
            out.extend(c.too_many_history(who, &mine));
        }
        for (team, days) in c.teams() {
            out.extend(c.gap_history(team, &days));
        }
        for (who, part) in c.volunteers() {
            out.extend(c.volunteer_history(who, part));
        }
        out.sort_by(|a, b| (a.from, a.kind, &a.subject).cmp(&(b.from, b.kind, &b.subject)));
        out
    }
}

/// A team: the cycles of one level and (optional) area.
type Team<'a> = (Level, Option<&'a str>);

/// The initiatives a broker has a role in (any role, any day), by stream.
type Involved<'a> = Vec<(&'a String, &'a Initiative)>;

struct Ctx<'a> {
    p: &'a Projections,
    lang: Lang,
    t: &'a Thresholds,
    today: NaiveDate,
    role: RoleWord,
    /// The connections made for each initiative up to today, oldest first: found once, as rules
    /// look them up per initiative and day.
    connections: BTreeMap<&'a str, Vec<&'a Connection>>,
    /// Per participant, the initiatives they started or are at an end of a connection for, with
    /// that connection (`None` for an initiator): the candidates of [`Ctx::linked_to`].
    links: BTreeMap<&'a str, Vec<(&'a str, Option<&'a Connection>)>>,
}

/// A team's cycles as the reflection rule reads them, each list sorted once.
struct TeamDays<'a> {
    /// Its cycles by stream: when each opened, and the first day it was closed.
    cycles: Vec<(&'a String, Src, Option<NaiveDate>)>,
    /// Its cycles' openings, by day (then position).
    opened: Vec<Src>,
    /// Its reflections, by day (then position).
    reflections: Vec<Src>,
    /// Its cycles' closings.
    closed: Vec<Src>,
}

/// The runs of days on which `holds` is true, from the days on which it may change (ascending);
/// each run is its first day and the first day it no longer held (`None`: it holds on the last
/// day given).
fn runs(days: &BTreeSet<NaiveDate>, holds: impl Fn(NaiveDate) -> bool) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let mut out = Vec::new();
    let mut start: Option<NaiveDate> = None;
    for d in days {
        match (holds(*d), start) {
            (true, None) => start = Some(*d),
            (false, Some(s)) => {
                out.push((s, Some(*d)));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, None));
    }
    out
}

/// The first day more than `months` whole months after `start` (as [`months_between`] counts).
fn months_after(start: NaiveDate, months: u32) -> Option<NaiveDate> {
    let mut d = start.checked_add_months(Months::new(months.saturating_add(1)))?;
    // A start late in a month lands on a shorter month's last day, which is not yet a whole
    // month after it; the first day that is follows within a few days.
    for _ in 0..4 {
        if months_between(start, d) > i64::from(months) {
            return Some(d);
        }
        d = d.succ_opt()?;
    }
    None
}

fn on_day<T>(items: &BTreeMap<u64, T>, day: NaiveDate, src: impl Fn(&T) -> Src) -> Option<Src> {
    items.values().map(src).filter(|s| s.date == day).min()
}

impl<'a> Ctx<'a> {
    fn new(p: &'a Projections, o: &'a ViewOptions, today: NaiveDate) -> Ctx<'a> {
        let mut connections: BTreeMap<&str, Vec<&Connection>> = BTreeMap::new();
        for c in p.network.connections.values().filter(|c| c.src.date <= today) {
            if let Some(i) = &c.initiative {
                connections.entry(i.as_str()).or_default().push(c);
            }
        }
        for v in connections.values_mut() {
            v.sort_by_key(|c| c.src);
        }
        let mut links: BTreeMap<&str, Vec<(&str, Option<&Connection>)>> = BTreeMap::new();
        for (stream, i) in &p.initiatives.items {
            for who in i.base.iter().flat_map(|b| &b.initiators) {
                links.entry(who.as_str()).or_default().push((stream.as_str(), None));
            }
        }
        for (ini, cs) in &connections {
            for c in cs {
                links.entry(c.from.as_str()).or_default().push((ini, Some(c)));
                links.entry(c.to.as_str()).or_default().push((ini, Some(c)));
            }
        }
        Ctx { p, lang: o.lang, t: &o.thresholds, today, role: RoleWord::of(p, o.day), connections, links }
    }

    /// Whether a participant is registered on a day.
    fn known(&self, who: &str, day: NaiveDate) -> bool {
        let part = self.p.directory.participants.get(who);
        part.and_then(|p| p.base.as_ref()).is_some_and(|b| b.src.date <= day)
    }

    fn who(&self, stream: &str) -> String {
        self.p.directory.who(stream)
    }

    fn day(&self, d: NaiveDate) -> String {
        fmt_day(d, self.lang)
    }

    /// The days given, up to today, with today: the days a rule is checked on.
    fn check_days(&self, days: impl IntoIterator<Item = NaiveDate>) -> BTreeSet<NaiveDate> {
        let mut out: BTreeSet<NaiveDate> = days.into_iter().filter(|d| *d <= self.today).collect();
        out.insert(self.today);
        out
    }

    /// Initiatives that exist today.
    fn initiatives(&self) -> impl Iterator<Item = (&'a String, &'a Initiative)> + '_ {
        let today = Some(self.today);
        self.p.initiatives.items.iter().filter(move |(_, i)| i.exists_on(today))
    }

    fn active_on(i: &Initiative, day: NaiveDate) -> bool {
        i.exists_on(Some(day)) && i.status_on(Some(day)) == Status::Active
    }

    /// The brokers with a role in an initiative up to today.
    fn brokers_of(&self, i: &'a Initiative) -> BTreeSet<&'a str> {
        i.broker.values().filter(|b| b.src.date <= self.today).map(|b| b.broker.as_str()).collect()
    }

    /// Participants who are, or were up to today, a makelaar or coach, with the initiatives they
    /// have a role in.
    fn brokers(&self) -> Vec<(&'a String, Involved<'a>)> {
        let mut mine: BTreeMap<&str, Involved<'a>> = BTreeMap::new();
        for (stream, i) in &self.p.initiatives.items {
            for b in self.brokers_of(i) {
                mine.entry(b).or_default().push((stream, i));
            }
        }
        let dir = &self.p.directory;
        dir.participants
            .iter()
            .filter(|(_, part)| {
                // A makelaar on the day they registered or on a day their role changed, by today.
                let registered = part.base.as_ref().map(|b| b.src.date);
                let changed = part.role_changes.values().map(|c| c.src.date);
                registered.into_iter().chain(changed).any(|d| d <= self.today && part.is_broker_on(Some(d)))
            })
            .map(|(who, _)| (who, mine.remove(who.as_str()).unwrap_or_default()))
            .collect()
    }

    /// Per team (level, area): its cycles that opened by today.
    fn teams(&self) -> BTreeMap<Team<'a>, TeamDays<'a>> {
        let mut teams: BTreeMap<Team, TeamDays> = BTreeMap::new();
        for (stream, c) in &self.p.activity.cycles {
            let Some(open) = c.opened.as_ref().filter(|o| o.src.date <= self.today) else { continue };
            let t = teams.entry((open.level, open.area.as_deref())).or_insert_with(|| TeamDays {
                cycles: Vec::new(),
                opened: Vec::new(),
                reflections: Vec::new(),
                closed: Vec::new(),
            });
            t.cycles.push((stream, open.src, c.closed.values().map(|s| s.date).min()));
            t.opened.push(open.src);
            t.reflections.extend(c.reflections.values().filter(|s| s.date <= self.today));
            t.closed.extend(c.closed.values().filter(|s| s.date <= self.today));
        }
        for t in teams.values_mut() {
            t.opened.sort_by_key(|s| (s.date, s.position));
            t.reflections.sort_by_key(|s| (s.date, s.position));
        }
        teams
    }

    /// Volunteers registered by today who came at the broker's request.
    fn volunteers(&self) -> impl Iterator<Item = (&'a String, &'a crate::directory::Participant)> + '_ {
        self.p.directory.participants.iter().filter(|(_, part)| {
            part.base
                .as_ref()
                .is_some_and(|b| b.src.date <= self.today && b.recruitment == Some(Recruitment::BrokerRequest))
        })
    }

    /// A held warning's text: what held (a sentence), then when, and how it ended.
    fn held_text(&self, from: NaiveDate, until: Option<NaiveDate>, what: &str, ending: Option<String>) -> String {
        let (from, today) = (self.day(from), self.day(self.today));
        // A sentence that already says since when (a volunteer, an initiative without an
        // organisation) is not told it again.
        let said = what.contains(&from);
        let when = match (self.lang, until, ending, said) {
            (Lang::Nl, Some(u), Some(e), _) => format!("Dat gold van {from} tot {} en eindigde toen {e}.", self.day(u)),
            (Lang::En, Some(u), Some(e), _) => {
                format!("That held from {from} until {} and ended when {e}.", self.day(u))
            }
            (Lang::Nl, _, _, false) => format!("Dat geldt sinds {from}, nog op {today}."),
            (Lang::En, _, _, false) => format!("That has held since {from}, still on {today}."),
            (Lang::Nl, _, _, true) => format!("Dat geldt nog op {today}."),
            (Lang::En, _, _, true) => format!("That still holds on {today}."),
        };
        format!("{} {when}", capitalise(what))
    }

    fn held(
        &self,
        w: Warning,
        from: NaiveDate,
        until: Option<NaiveDate>,
        what: &str,
        ended: Option<(EndKind, Option<Src>, String)>,
    ) -> Held {
        let mut sources = w.sources;
        let (ended, ending) = match (until, ended) {
            (Some(on), Some((how, src, clause))) => {
                sources.extend(src);
                (Some(Ending { how, on, src }), Some(clause))
            }
            (Some(on), None) => (Some(Ending { how: EndKind::Other, on, src: None }), Some(self.other(on))),
            (None, _) => (None, None),
        };
        sources.sort();
        sources.dedup();
        Held {
            kind: w.kind,
            subject: w.subject,
            subject_label: w.subject_label,
            from,
            until,
            ended,
            text: self.held_text(from, until, what, ending),
            sources,
        }
    }

    fn other(&self, on: NaiveDate) -> String {
        match self.lang {
            Lang::Nl => format!("de situatie op {} veranderde", self.day(on)),
            Lang::En => format!("things changed on {}", self.day(on)),
        }
    }

    /// How an initiative's warning ended on a day, if it stopped or was handed over then.
    fn initiative_end(&self, i: &Initiative, on: NaiveDate) -> Option<(EndKind, Option<Src>, String)> {
        if let Some(src) = on_day(&i.stopped, on, |s| s.src) {
            let clause = match self.lang {
                Lang::Nl => format!("het initiatief op {} stopte", self.day(on)),
                Lang::En => format!("the initiative stopped on {}", self.day(on)),
            };
            return Some((EndKind::Stopped, Some(src), clause));
        }
        let h = i.handed_over.values().filter(|h| h.src.date == on).min_by_key(|h| h.src)?;
        let org = self.who(&h.organisation);
        let clause = match self.lang {
            Lang::Nl => format!("het initiatief op {} werd overgedragen aan {org}", self.day(on)),
            Lang::En => format!("the initiative was handed over to {org} on {}", self.day(on)),
        };
        Some((EndKind::HandedOver, Some(h.src), clause))
    }

    // ---- the makelaar still leads ----------------------------------------------------------

    fn still_leads_on(&self, stream: &str, i: &Initiative, broker: &str, day: NaiveDate) -> Option<Warning> {
        if !Self::active_on(i, day) {
            return None;
        }
        let start = i.started()?;
        let months = months_between(start.date, day);
        if months <= i64::from(self.t.lead_months_max) {
            return None;
        }
        let b = i.broker_on(broker, Some(day)).filter(|b| b.leads)?;
        // The run of role settings that kept this broker leading, up to the day.
        let mut run: Vec<Src> = Vec::new();
        let mut sets: Vec<_> = i.broker.values().filter(|x| x.broker == broker && x.src.date <= day).collect();
        sets.sort_by_key(|x| x.src);
        for x in sets {
            if x.leads {
                run.push(x.src);
            } else {
                run.clear();
            }
        }
        let name = self.p.initiatives.name(stream);
        let (who, from, max) = (self.who(broker), self.day(start.date), self.t.lead_months_max);
        let reason = match self.lang {
            Lang::Nl => format!(
                "{who} trekt {name} nog steeds, {} na de start op {from}; de drempel is {}.",
                count(self.lang, months as u64, ("maand", "maanden"), ("month", "months")),
                count(self.lang, max, ("maand", "maanden"), ("month", "months")),
            ),
            Lang::En => format!(
                "{who} still leads {name}, {} after it started on {from}; the threshold is {}.",
                count(self.lang, months as u64, ("maand", "maanden"), ("month", "months")),
                count(self.lang, max, ("maand", "maanden"), ("month", "months")),
            ),
        };
        let mut sources = vec![start];
        sources.extend(run.iter().copied());
        sources.push(b.src);
        sources.sort();
        sources.dedup();
        Some(Warning {
            kind: WarningKind::BrokerStillLeads,
            subject: stream.to_string(),
            subject_label: name,
            reason,
            since: run.first().map(|s| s.date).or(Some(start.date)),
            sources,
        })
    }

    fn still_leads_history(&self, stream: &str, i: &Initiative, broker: &str) -> Vec<Held> {
        let Some(start) = i.started() else { return Vec::new() };
        let mut days = vec![start.date];
        days.extend(months_after(start.date, self.t.lead_months_max));
        days.extend(i.broker.values().filter(|b| b.broker == broker).map(|b| b.src.date));
        days.extend(i.stopped.values().map(|s| s.src.date));
        days.extend(i.handed_over.values().map(|h| h.src.date));
        let days = self.check_days(days);
        let holds = |d: NaiveDate| self.still_leads_on(stream, i, broker, d).is_some();
        let mut out = Vec::new();
        for (from, until) in runs(&days, holds) {
            let last = until.and_then(|u| u.pred_opt()).unwrap_or(self.today);
            let Some(w) = self.still_leads_on(stream, i, broker, last) else { continue };
            let name = &w.subject_label;
            let (who, started) = (self.who(broker), self.day(start.date));
            let months =
                count(self.lang, months_between(start.date, last) as u64, ("maand", "maanden"), ("month", "months"));
            let max = count(self.lang, self.t.lead_months_max, ("maand", "maanden"), ("month", "months"));
            let what = match (self.lang, until) {
                (_, None) => w.reason.clone(),
                (Lang::Nl, Some(_)) => {
                    format!("{who} trok {name} zelf, tot {months} na de start op {started}; de drempel is {max}.")
                }
                (Lang::En, Some(_)) => {
                    format!("{who} led {name}, up to {months} after it started on {started}; the threshold is {max}.")
                }
            };
            let ended = until.map(|on| {
                self.initiative_end(i, on).unwrap_or_else(|| {
                    let set =
                        i.broker.values().filter(|b| b.broker == broker && b.src.date == on).max_by_key(|b| b.src);
                    match set {
                        Some(b) if b.role == BrokerRole::LetGo => {
                            let clause = match self.lang {
                                Lang::Nl => format!("{who} het op {} losliet", self.day(on)),
                                Lang::En => format!("{who} let go of it on {}", self.day(on)),
                            };
                            (EndKind::LetGo, Some(b.src), clause)
                        }
                        Some(b) => {
                            let role = b.role.label(self.lang);
                            let clause = match self.lang {
                                Lang::Nl => format!("{who} het vanaf {} niet meer zelf trok ({role})", self.day(on)),
                                Lang::En => format!("{who} no longer led it from {} ({role})", self.day(on)),
                            };
                            (EndKind::SteppedBack, Some(b.src), clause)
                        }
                        None => (EndKind::Other, None, self.other(on)),
                    }
                })
            });
            out.push(self.held(w, from, until, &what, ended));
        }
        out
    }

    // ---- too many initiatives --------------------------------------------------------------

    fn involved(&self, who: &str, mine: &Involved<'a>, day: NaiveDate) -> Vec<crate::activity::Involvement> {
        Activity::involved_among(mine.iter().copied(), who, day)
    }

    /// The warning on a day, without `since` (see [`Ctx::over_since`]).
    fn too_many_on(&self, who: &str, mine: &Involved<'a>, day: NaiveDate) -> Option<Warning> {
        let part = self.p.directory.participants.get(who)?;
        if !part.is_broker_on(Some(day)) || part.base.as_ref().is_none_or(|b| b.src.date > day) {
            return None;
        }
        let involved = self.involved(who, mine, day);
        let n = involved.len();
        if n <= self.t.active_initiatives_max as usize {
            return None;
        }
        let names: Vec<String> = involved.iter().map(|i| self.p.initiatives.name(&i.initiative)).collect();
        let (label, max) = (self.who(who), self.t.active_initiatives_max);
        let active = self.active_initiatives(n as u64);
        let reason = match self.lang {
            Lang::Nl => format!("{label} is betrokken bij {active} ({}); de drempel is {max}.", names.join(", ")),
            Lang::En => format!("{label} is involved in {active} ({}); the threshold is {max}.", names.join(", ")),
        };
        let mut sources: Vec<Src> = involved.iter().map(|i| i.src).collect();
        sources.sort();
        Some(Warning {
            kind: WarningKind::TooManyInitiatives,
            subject: who.to_string(),
            subject_label: self.who(who),
            reason,
            since: None,
            sources,
        })
    }

    /// "5 actieve initiatieven", "1 actief initiatief".
    fn active_initiatives(&self, n: u64) -> String {
        count(self.lang, n, ("actief initiatief", "actieve initiatieven"), ("active initiative", "active initiatives"))
    }

    /// The days on which a broker's count of active initiatives may change, up to today.
    fn count_days(&self, who: &str, mine: &Involved<'a>) -> BTreeSet<NaiveDate> {
        let mut days = Vec::new();
        for (_, i) in mine {
            days.extend(i.started().map(|s| s.date));
            days.extend(i.broker.values().filter(|b| b.broker == who).map(|b| b.src.date));
            days.extend(i.handed_over.values().map(|h| h.src.date));
            days.extend(i.stopped.values().map(|s| s.src.date));
        }
        if let Some(part) = self.p.directory.participants.get(who) {
            days.extend(part.base.as_ref().map(|b| b.src.date));
            days.extend(part.role_changes.values().map(|c| c.src.date));
        }
        self.check_days(days)
    }

    /// The first day of the current run of days on which a broker had too many initiatives.
    fn over_since(&self, who: &str, mine: &Involved<'a>) -> Option<NaiveDate> {
        let max = self.t.active_initiatives_max as usize;
        let holds = |d: NaiveDate| self.involved(who, mine, d).len() > max;
        runs(&self.count_days(who, mine), holds).last().filter(|(_, until)| until.is_none()).map(|(from, _)| *from)
    }

    fn too_many_history(&self, who: &str, mine: &Involved<'a>) -> Vec<Held> {
        let holds = |d: NaiveDate| self.too_many_on(who, mine, d).is_some();
        let mut out = Vec::new();
        for (from, until) in runs(&self.count_days(who, mine), holds) {
            let last = until.and_then(|u| u.pred_opt()).unwrap_or(self.today);
            let Some(w) = self.too_many_on(who, mine, last) else { continue };
            let label = self.who(who);
            let n = self.involved(who, mine, last).len();
            let max = self.t.active_initiatives_max;
            let more = self.active_initiatives(u64::from(max));
            let what = match (self.lang, until) {
                (_, None) => w.reason.clone(),
                (Lang::Nl, Some(_)) => {
                    format!("{label} was betrokken bij meer dan {more}, op het laatst bij {n}; de drempel is {max}.")
                }
                (Lang::En, Some(_)) => {
                    format!("{label} was involved in more than {more}, {n} at the end; the threshold is {max}.")
                }
            };
            let ended = until.map(|on| self.too_many_end(who, mine, on));
            out.push(self.held(w, from, until, &what, ended));
        }
        out
    }

    fn too_many_end(&self, who: &str, mine: &Involved<'a>, on: NaiveDate) -> (EndKind, Option<Src>, String) {
        let label = self.who(who);
        let part = self.p.directory.participants.get(who);
        if let Some(part) = part.filter(|p| !p.is_broker_on(Some(on))) {
            let src = on_day(&part.role_changes, on, |c| c.src);
            let clause = match self.lang {
                Lang::Nl => format!("{label} op {} geen {} meer was", self.day(on), self.role.short(self.lang)),
                Lang::En => format!("{label} was no longer a {} from {}", self.role.short(self.lang), self.day(on)),
            };
            return (EndKind::NoLongerBroker, src, clause);
        }
        // The event of the day that took an initiative off the count.
        let src = mine
            .iter()
            .flat_map(|(_, i)| {
                let stops = i.stopped.values().map(|s| s.src).chain(i.handed_over.values().map(|h| h.src));
                stops.chain(i.broker.values().filter(|b| b.broker == who && b.role == BrokerRole::LetGo).map(|b| b.src))
            })
            .filter(|s| s.date == on)
            .min();
        let n = self.involved(who, mine, on).len();
        let clause = match self.lang {
            Lang::Nl => format!("het aantal op {} daalde tot {n}", self.day(on)),
            Lang::En => format!("the number fell to {n} on {}", self.day(on)),
        };
        (EndKind::FewerInitiatives, src, clause)
    }

    // ---- no reflection for long ------------------------------------------------------------

    fn team_label(&self, (level, area): Team) -> String {
        match area {
            Some(a) => format!("{} {}", level.label(self.lang), self.p.directory.area_name(a)),
            None => level.label(self.lang).to_string(),
        }
    }

    /// The day a team's reflection gap is counted from on a day: its last reflection, else the
    /// opening of its first cycle; and whether it is a reflection.
    fn gap_from(t: &TeamDays, day: NaiveDate) -> Option<(Src, bool)> {
        let n = t.reflections.partition_point(|s| s.date <= day);
        if n > 0 {
            return Some((t.reflections[n - 1], true));
        }
        t.opened.first().filter(|s| s.date <= day).map(|s| (*s, false))
    }

    fn gap_on(&self, team: Team, t: &TeamDays, day: NaiveDate) -> Option<Warning> {
        // The team's most recent open cycle stands for the team.
        let (subject, latest, _) = t
            .cycles
            .iter()
            .filter(|(_, opened, closed)| opened.date <= day && closed.is_none_or(|c| c > day))
            .max_by_key(|(_, opened, _)| *opened)?;
        let (from, reflected) = Self::gap_from(t, day)?;
        let gap = (day - from.date).num_days();
        if gap <= i64::from(self.t.reflection_gap_days_max) {
            return None;
        }
        let team_name = self.team_label(team);
        let max = count(self.lang, self.t.reflection_gap_days_max, ("dag", "dagen"), ("day", "days"));
        let days = count(self.lang, gap as u64, ("dag", "dagen"), ("day", "days"));
        let on = self.day(from.date);
        let reason = match (self.lang, reflected) {
            (Lang::Nl, true) => {
                format!("Het team {team_name} heeft {days} niet gereflecteerd (laatste reflectie op {on}); de drempel is {max}.")
            }
            (Lang::Nl, false) => format!(
                "Het team {team_name} heeft nog niet gereflecteerd, {days} na de start van de eerste cyclus op {on}; de drempel is {max}."
            ),
            (Lang::En, true) => {
                format!("Team {team_name} has not reflected for {days} (last reflection on {on}); the threshold is {max}.")
            }
            (Lang::En, false) => format!(
                "Team {team_name} has not reflected yet, {days} after its first cycle opened on {on}; the threshold is {max}."
            ),
        };
        let mut sources = vec![from, *latest];
        sources.sort();
        sources.dedup();
        Some(Warning {
            kind: WarningKind::ReflectionGap,
            subject: subject.to_string(),
            subject_label: format!("team {team_name}"),
            reason,
            since: Some(from.date),
            sources,
        })
    }

    fn gap_history(&self, team: Team, t: &TeamDays) -> Vec<Held> {
        let max = u64::from(self.t.reflection_gap_days_max);
        let mut days = Vec::new();
        for d in t.opened.iter().chain(&t.reflections).map(|s| s.date) {
            days.push(d);
            days.extend(d.checked_add_days(Days::new(max + 1)));
        }
        days.extend(t.closed.iter().map(|s| s.date));
        let days = self.check_days(days);
        let holds = |d: NaiveDate| self.gap_on(team, t, d).is_some();
        let mut out = Vec::new();
        for (from, until) in runs(&days, holds) {
            let last = until.and_then(|u| u.pred_opt()).unwrap_or(self.today);
            let Some(w) = self.gap_on(team, t, last) else { continue };
            let Some((since, reflected)) = Self::gap_from(t, last) else { continue };
            let team_name = self.team_label(team);
            let what = match until {
                None => w.reason.clone(),
                Some(u) => {
                    let days = count(self.lang, (u - since.date).num_days() as u64, ("dag", "dagen"), ("day", "days"));
                    let max = count(self.lang, max, ("dag", "dagen"), ("day", "days"));
                    let since = self.day(since.date);
                    match (self.lang, reflected) {
                        (Lang::Nl, true) => format!(
                            "het team {team_name} reflecteerde {days} niet, na een reflectie op {since}; de drempel is {max}."
                        ),
                        (Lang::Nl, false) => format!(
                            "het team {team_name} reflecteerde {days} niet, na de start van de eerste cyclus op {since}; de drempel is {max}."
                        ),
                        (Lang::En, true) => format!(
                            "team {team_name} did not reflect for {days}, after a reflection on {since}; the threshold is {max}."
                        ),
                        (Lang::En, false) => format!(
                            "team {team_name} did not reflect for {days}, after its first cycle opened on {since}; the threshold is {max}."
                        ),
                    }
                }
            };
            let ended = until.map(|on| {
                let reflection = t.reflections.iter().filter(|s| s.date == on).min().copied();
                if let Some(src) = reflection {
                    let clause = match self.lang {
                        Lang::Nl => format!("het team op {} reflecteerde", self.day(on)),
                        Lang::En => format!("the team reflected on {}", self.day(on)),
                    };
                    return (EndKind::Reflected, Some(src), clause);
                }
                let closed = t.closed.iter().filter(|s| s.date == on).min().copied();
                match closed {
                    Some(src) => {
                        let clause = match self.lang {
                            Lang::Nl => format!("de cycli van het team op {} waren afgesloten", self.day(on)),
                            Lang::En => format!("the team's cycles were closed on {}", self.day(on)),
                        };
                        (EndKind::CyclesClosed, Some(src), clause)
                    }
                    None => (EndKind::Other, None, self.other(on)),
                }
            });
            out.push(self.held(w, from, until, &what, ended));
        }
        out
    }

    // ---- no organisation to anchor it ------------------------------------------------------

    /// The connections that name an initiative, known (both ends registered) on a day.
    fn connections_of(&self, stream: &str, day: NaiveDate) -> Vec<&'a Connection> {
        let all = self.connections.get(stream).map(Vec::as_slice).unwrap_or_default();
        all.iter()
            .copied()
            .filter(|c| c.src.date <= day && self.known(&c.from, day) && self.known(&c.to, day))
            .collect()
    }

    /// The organisation linked to an initiative on a day, as [`crate::Network::linked`] links
    /// participants: an initiator, or an end of a connection made for it.
    fn organisation_of(&self, stream: &str, i: &Initiative, day: NaiveDate) -> Option<(String, Src)> {
        let dir = &self.p.directory;
        let is_org = |who: &str| {
            let role = dir.participants.get(who).and_then(|p| p.role_on(Some(day)));
            self.known(who, day) && role == Some(ParticipantRole::Organisation)
        };
        let base = i.base.as_ref()?;
        if let Some(who) = base.initiators.iter().find(|w| is_org(w)) {
            return Some((who.clone(), base.src));
        }
        self.connections_of(stream, day)
            .into_iter()
            .find_map(|c| [&c.from, &c.to].into_iter().find(|w| is_org(w)).map(|w| (w.clone(), c.src)))
    }

    fn no_organisation_on(&self, stream: &str, i: &Initiative, day: NaiveDate) -> Option<Warning> {
        if !Self::active_on(i, day) || self.organisation_of(stream, i, day).is_some() {
            return None;
        }
        let start = i.started()?;
        let name = self.p.initiatives.name(stream);
        let months =
            count(self.lang, months_between(start.date, day) as u64, ("maand", "maanden"), ("month", "months"));
        let since = self.day(start.date);
        let reason = match self.lang {
            Lang::Nl => format!(
                "{name} loopt sinds {since} ({months}) zonder overdracht en zonder verbonden organisatie; er is geen drempel, elke maand zonder organisatie telt."
            ),
            Lang::En => format!(
                "{name} has run since {since} ({months}) without a hand-over and without a connected organisation; there is no threshold, every month without one counts."
            ),
        };
        Some(Warning {
            kind: WarningKind::NoOrganisation,
            subject: stream.to_string(),
            subject_label: name,
            reason,
            since: Some(start.date),
            sources: vec![start],
        })
    }

    fn no_organisation_history(&self, stream: &str, i: &Initiative) -> Vec<Held> {
        let Some(base) = i.base.as_ref() else { return Vec::new() };
        let dir = &self.p.directory;
        let mut days = vec![base.src.date];
        days.extend(i.stopped.values().map(|s| s.src.date));
        days.extend(i.handed_over.values().map(|h| h.src.date));
        let mut people: BTreeSet<&str> = base.initiators.iter().map(String::as_str).collect();
        for c in self.connections_of(stream, self.today) {
            days.push(c.src.date);
            people.insert(&c.from);
            people.insert(&c.to);
        }
        for who in people {
            let Some(part) = dir.participants.get(who) else { continue };
            days.extend(part.base.as_ref().map(|b| b.src.date));
            days.extend(part.role_changes.values().map(|c| c.src.date));
        }
        let holds = |d: NaiveDate| self.no_organisation_on(stream, i, d).is_some();
        let mut out = Vec::new();
        for (from, until) in runs(&self.check_days(days), holds) {
            let last = until.and_then(|u| u.pred_opt()).unwrap_or(self.today);
            let Some(w) = self.no_organisation_on(stream, i, last) else { continue };
            let name = &w.subject_label;
            let what = match (self.lang, until) {
                (_, None) => w.reason.clone(),
                (Lang::Nl, Some(_)) => {
                    format!("{name} liep zonder overdracht en zonder verbonden organisatie (geen drempel).")
                }
                (Lang::En, Some(_)) => {
                    format!("{name} ran without a hand-over and without a connected organisation (no threshold).")
                }
            };
            let ended = until.map(|on| {
                self.initiative_end(i, on).unwrap_or_else(|| match self.organisation_of(stream, i, on) {
                    Some((org, src)) => {
                        let org = self.who(&org);
                        let clause = match self.lang {
                            Lang::Nl => format!("{org} er op {} aan verbonden was", self.day(on)),
                            Lang::En => format!("{org} was connected to it on {}", self.day(on)),
                        };
                        (EndKind::OrganisationLinked, Some(src).filter(|s| s.date == on), clause)
                    }
                    None => (EndKind::Other, None, self.other(on)),
                })
            });
            out.push(self.held(w, from, until, &what, ended));
        }
        out
    }

    // ---- volunteers at the broker's request ------------------------------------------------

    /// Volunteers recruited at the broker's request: those still taking part (a risk), and those
    /// who left after a broker let go of an initiative they were linked to (the risk come true).
    fn volunteer_on(&self, who: &str, day: NaiveDate) -> Option<Warning> {
        let part = self.p.directory.participants.get(who)?;
        let base = part.base.as_ref().filter(|b| b.src.date <= day)?;
        let label = self.who(who);
        let request = self.role.recruitment(Recruitment::BrokerRequest, self.lang);
        let since = self.day(base.src.date);
        let warning = match part.left_on(Some(day)) {
            None => {
                let broker = self.role.the_short(self.lang);
                let reason = match self.lang {
                    Lang::Nl => format!(
                        "{label} doet sinds {since} mee {request}; zulke vrijwilligers haken vaak af als {broker} loslaat, dus draag de waardering over aan een vrijwilligersorganisatie (geen drempel)."
                    ),
                    Lang::En => format!(
                        "{label} has taken part since {since} {request}; such volunteers often drop out when {broker} lets go, so hand their appreciation over to a volunteer organisation (no threshold)."
                    ),
                };
                Warning {
                    kind: WarningKind::VolunteerAtBrokerRequest,
                    subject: who.to_string(),
                    subject_label: label,
                    reason,
                    since: Some(base.src.date),
                    sources: vec![base.src],
                }
            }
            Some(left) => {
                let (ini, b, days) = self.let_go_before(who, left.src.date, day)?;
                let name = self.p.initiatives.name(&ini);
                let broker = self.who(&b.broker);
                let (left_on, let_go_on) = (self.day(left.src.date), self.day(b.src.date));
                let days = count(self.lang, days, ("dag", "dagen"), ("day", "days"));
                let reason = match self.lang {
                    Lang::Nl => format!(
                        "{label} deed mee {request} en vertrok op {left_on}, {days} nadat {broker} {name} losliet op {let_go_on} (geen drempel)."
                    ),
                    Lang::En => format!(
                        "{label} took part {request} and left on {left_on}, {days} after {broker} let go of {name} on {let_go_on} (no threshold)."
                    ),
                };
                Warning {
                    kind: WarningKind::VolunteerAtBrokerRequest,
                    subject: who.to_string(),
                    subject_label: label,
                    reason,
                    since: Some(left.src.date),
                    sources: vec![base.src, b.src, left.src],
                }
            }
        };
        Some(warning)
    }

    /// The latest "let go" on or before `left` on an initiative the volunteer is linked to on
    /// `day`, and the days between them.
    fn let_go_before(&self, who: &str, left: NaiveDate, day: NaiveDate) -> Option<(String, &'a Broker, u64)> {
        let (ini, b) = self
            .linked_to(who, day)
            .into_iter()
            .flat_map(|(ini, i)| i.broker.values().map(move |b| (ini, b)))
            .filter(|(_, b)| b.role == BrokerRole::LetGo && b.src.date <= left)
            .max_by_key(|(_, b)| b.src)?;
        Some((ini.to_string(), b, (left - b.src.date).num_days().max(0) as u64))
    }

    /// The initiatives (existing on a day) a participant is linked to on that day, as
    /// [`crate::Network::linked`] links them: as an initiator, or at an end of a connection made
    /// for the initiative (both ends registered by then).
    fn linked_to(&self, who: &str, day: NaiveDate) -> Vec<(&'a str, &'a Initiative)> {
        if !self.known(who, day) {
            return Vec::new();
        }
        let mut out: BTreeMap<&str, &Initiative> = BTreeMap::new();
        for (ini, c) in self.links.get(who).map(Vec::as_slice).unwrap_or_default() {
            let linked = c.is_none_or(|c| c.src.date <= day && self.known(&c.from, day) && self.known(&c.to, day));
            let Some(i) = self.p.initiatives.items.get(ini).filter(|i| linked && i.exists_on(Some(day))) else {
                continue;
            };
            out.insert(ini, i);
        }
        out.into_iter().collect()
    }

    fn volunteer_history(&self, who: &str, part: &crate::directory::Participant) -> Vec<Held> {
        let Some(base) = part.base.as_ref() else { return Vec::new() };
        let mut days = vec![base.src.date];
        days.extend(part.left.values().map(|l| l.src.date));
        let holds =
            |d: NaiveDate| part.base.as_ref().is_some_and(|b| b.src.date <= d) && part.left_on(Some(d)).is_none();
        let mut out = Vec::new();
        for (from, until) in runs(&self.check_days(days), holds) {
            let last = until.and_then(|u| u.pred_opt()).unwrap_or(self.today);
            let Some(w) = self.volunteer_on(who, last) else { continue };
            let label = &w.subject_label;
            let request = self.role.recruitment(Recruitment::BrokerRequest, self.lang);
            let what = match (self.lang, until) {
                (_, None) => w.reason.clone(),
                (Lang::Nl, Some(_)) => format!(
                    "{label} deed mee {request}; zulke vrijwilligers haken vaak af als {} loslaat (geen drempel).",
                    self.role.the_short(self.lang)
                ),
                (Lang::En, Some(_)) => format!(
                    "{label} took part {request}; such volunteers often drop out when {} lets go (no threshold).",
                    self.role.the_short(self.lang)
                ),
            };
            let ended = until.map(|on| {
                let left = part.left.values().filter(|l| l.src.date == on).min_by_key(|l| l.src);
                let Some(left) = left else { return (EndKind::Other, None, self.other(on)) };
                let mut clause = match self.lang {
                    Lang::Nl => format!("{label} op {} vertrok", self.day(on)),
                    Lang::En => format!("{label} left on {}", self.day(on)),
                };
                if let Some((ini, b, days)) = self.let_go_before(who, on, on) {
                    let days = count(self.lang, days, ("dag", "dagen"), ("day", "days"));
                    let (broker, name, d) = (self.who(&b.broker), self.p.initiatives.name(&ini), self.day(b.src.date));
                    clause += &match self.lang {
                        Lang::Nl => format!(", {days} nadat {broker} {name} losliet op {d}"),
                        Lang::En => format!(", {days} after {broker} let go of {name} on {d}"),
                    };
                }
                (EndKind::Left, Some(left.src), clause)
            });
            let mut held = self.held(w, from, until, &what, ended);
            if let Some((_, b, _)) = until.and_then(|on| self.let_go_before(who, on, on)) {
                held.sources.push(b.src);
                held.sources.sort();
                held.sources.dedup();
            }
            out.push(held);
        }
        out
    }
}
