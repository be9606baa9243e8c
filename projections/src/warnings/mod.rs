//! Practice warnings: the pitfalls the guide describes, recognised in the log. Not a fold: a pure
//! function of the projections and the view's options. "Today" is the as-of day or the last day
//! in the log, never the wall clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{BrokerRole, Lang, Level, ParticipantRole, Recruitment, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::activity::{Activity, CycleDates};
use crate::fact::Src;
use crate::initiatives::{Initiative, Status};
use crate::text::{months_between, tr};
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
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            WarningKind::BrokerStillLeads => tr(lang, "makelaar trekt nog steeds", "broker still leads"),
            WarningKind::TooManyInitiatives => tr(lang, "te veel initiatieven", "too many initiatives"),
            WarningKind::ReflectionGap => tr(lang, "lang niet gereflecteerd", "no reflection for long"),
            WarningKind::NoOrganisation => tr(lang, "geen organisatie voor borging", "no organisation to anchor it"),
            WarningKind::VolunteerAtBrokerRequest => {
                tr(lang, "vrijwilliger op verzoek van de makelaar", "volunteer at the broker's request")
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

impl Warning {
    /// All warnings on the view's day, sorted by kind, subject and reason.
    pub fn list(p: &Projections, o: &ViewOptions) -> Vec<Warning> {
        let Some(today) = p.activity.today(o.day) else { return Vec::new() };
        let c = Ctx { p, lang: o.lang, t: &o.thresholds, today };
        let mut out = Vec::new();
        out.extend(c.broker_still_leads());
        out.extend(c.too_many_initiatives());
        out.extend(c.reflection_gap());
        out.extend(c.no_organisation());
        out.extend(c.volunteers());
        out.sort_by(|a, b| (a.kind, &a.subject, &a.reason).cmp(&(b.kind, &b.subject, &b.reason)));
        out
    }
}

/// A team: the cycles of one level and (optional) area.
type Team<'a> = (Level, Option<&'a str>);

struct Ctx<'a> {
    p: &'a Projections,
    lang: Lang,
    t: &'a Thresholds,
    today: NaiveDate,
}

impl Ctx<'_> {
    fn who(&self, stream: &str) -> String {
        self.p.directory.who(stream)
    }

    /// Initiatives that exist and are active today.
    fn active(&self) -> impl Iterator<Item = (&String, &Initiative)> {
        let day = Some(self.today);
        self.p.initiatives.items.iter().filter(move |(_, i)| i.exists_on(day) && i.status_on(day) == Status::Active)
    }

    fn broker_still_leads(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        let day = Some(self.today);
        for (stream, i) in self.active() {
            let Some(start) = i.started() else { continue };
            let months = months_between(start.date, self.today);
            if months <= i64::from(self.t.lead_months_max) {
                continue;
            }
            for (broker, b) in i.brokers_on(day).into_iter().filter(|(_, b)| b.leads) {
                // The run of role settings that kept this broker leading, up to today.
                let mut run: Vec<Src> = Vec::new();
                let mut sets: Vec<_> =
                    i.broker.values().filter(|x| x.broker == broker && x.src.date <= self.today).collect();
                sets.sort_by_key(|x| x.src);
                for x in sets {
                    if x.leads {
                        run.push(x.src);
                    } else {
                        run.clear();
                    }
                }
                let name = self.p.initiatives.name(stream);
                let reason = match self.lang {
                    Lang::Nl => format!(
                        "{} trekt {name} nog steeds, {months} maanden na de start op {}; de drempel is {} maanden.",
                        self.who(broker),
                        start.date,
                        self.t.lead_months_max
                    ),
                    Lang::En => format!(
                        "{} still leads {name}, {months} months after it started on {}; the threshold is {} months.",
                        self.who(broker),
                        start.date,
                        self.t.lead_months_max
                    ),
                };
                let mut sources = vec![start];
                sources.extend(run.iter().copied());
                sources.push(b.src);
                sources.sort();
                sources.dedup();
                out.push(Warning {
                    kind: WarningKind::BrokerStillLeads,
                    subject: stream.clone(),
                    subject_label: name,
                    reason,
                    since: run.first().map(|s| s.date).or(Some(start.date)),
                    sources,
                });
            }
        }
        out
    }

    fn too_many_initiatives(&self) -> Vec<Warning> {
        let dir = &self.p.directory;
        let mut out = Vec::new();
        for (who, part) in &dir.participants {
            if !part.is_broker_on(Some(self.today)) || part.base.as_ref().is_none_or(|b| b.src.date > self.today) {
                continue;
            }
            let involved = Activity::involved(self.p, who, self.today);
            let n = involved.len();
            if n <= self.t.active_initiatives_max as usize {
                continue;
            }
            let names: Vec<String> = involved.iter().map(|i| self.p.initiatives.name(&i.initiative)).collect();
            let reason = match self.lang {
                Lang::Nl => format!(
                    "{} is betrokken bij {n} actieve initiatieven ({}); de drempel is {}.",
                    self.who(who),
                    names.join(", "),
                    self.t.active_initiatives_max
                ),
                Lang::En => format!(
                    "{} is involved in {n} active initiatives ({}); the threshold is {}.",
                    self.who(who),
                    names.join(", "),
                    self.t.active_initiatives_max
                ),
            };
            let mut sources: Vec<Src> = involved.iter().map(|i| i.src).collect();
            sources.sort();
            out.push(Warning {
                kind: WarningKind::TooManyInitiatives,
                subject: who.clone(),
                subject_label: self.who(who),
                reason,
                since: self.over_since(who),
                sources,
            });
        }
        out
    }

    /// The first day of the current run of days on which a broker had too many initiatives:
    /// the count can only change on days something happened to one of the initiatives.
    fn over_since(&self, who: &str) -> Option<NaiveDate> {
        let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
        for i in self.p.initiatives.items.values() {
            days.extend(i.started().map(|s| s.date));
            days.extend(i.broker.values().filter(|b| b.broker == who).map(|b| b.src.date));
            days.extend(i.handed_over.values().map(|h| h.src.date));
            days.extend(i.stopped.values().map(|s| s.src.date));
        }
        let max = self.t.active_initiatives_max as usize;
        let mut since = None;
        for d in days.into_iter().filter(|d| *d <= self.today) {
            let over = Activity::involved(self.p, who, d).len() > max;
            since = match (over, since) {
                (true, None) => Some(d),
                (true, s) => s,
                (false, _) => None,
            };
        }
        since
    }

    fn reflection_gap(&self) -> Vec<Warning> {
        let day = self.today;
        // Per team (level, area): its cycles that opened by today.
        let mut teams: BTreeMap<Team, Vec<(&String, &CycleDates)>> = BTreeMap::new();
        for (stream, c) in &self.p.activity.cycles {
            let Some(open) = c.opened.as_ref().filter(|o| o.src.date <= day) else { continue };
            teams.entry((open.level, open.area.as_deref())).or_default().push((stream, c));
        }
        let mut out = Vec::new();
        for ((level, area), cycles) in teams {
            let open: Vec<_> = cycles.iter().filter(|(_, c)| c.closed.values().all(|s| s.date > day)).collect();
            // The team's most recent open cycle stands for the team.
            let Some((subject, latest)) = open.iter().max_by_key(|(_, c)| c.opened.as_ref().map(|o| o.src)) else {
                continue;
            };
            let last_reflection = cycles
                .iter()
                .flat_map(|(_, c)| c.reflections.values())
                .filter(|s| s.date <= day)
                .max_by_key(|s| (s.date, s.position));
            let first_open = cycles
                .iter()
                .filter_map(|(_, c)| c.opened.as_ref().map(|o| o.src))
                .min_by_key(|s| (s.date, s.position));
            let Some(from) = last_reflection.or(first_open.as_ref()).copied() else { continue };
            let gap = (day - from.date).num_days();
            if gap <= i64::from(self.t.reflection_gap_days_max) {
                continue;
            }
            let team = match area {
                Some(a) => format!("{} {}", level.label(self.lang), self.p.directory.area_name(a)),
                None => level.label(self.lang).to_string(),
            };
            let max = self.t.reflection_gap_days_max;
            let reason = match (self.lang, last_reflection.is_some()) {
                (Lang::Nl, true) => format!(
                    "Het team {team} heeft {gap} dagen niet gereflecteerd (laatste reflectie op {}); de drempel is {max} dagen.",
                    from.date
                ),
                (Lang::Nl, false) => format!(
                    "Het team {team} heeft nog niet gereflecteerd, {gap} dagen na de start van de eerste cyclus op {}; de drempel is {max} dagen.",
                    from.date
                ),
                (Lang::En, true) => format!(
                    "Team {team} has not reflected for {gap} days (last reflection on {}); the threshold is {max} days.",
                    from.date
                ),
                (Lang::En, false) => format!(
                    "Team {team} has not reflected yet, {gap} days after its first cycle opened on {}; the threshold is {max} days.",
                    from.date
                ),
            };
            let mut sources = vec![from];
            sources.extend(latest.opened.as_ref().map(|o| o.src));
            sources.sort();
            sources.dedup();
            out.push(Warning {
                kind: WarningKind::ReflectionGap,
                subject: subject.to_string(),
                subject_label: format!("team {team}"),
                reason,
                since: Some(from.date),
                sources,
            });
        }
        out
    }

    fn no_organisation(&self) -> Vec<Warning> {
        let day = Some(self.today);
        let linked = self.p.network.linked(self.p, day);
        let mut out = Vec::new();
        for (stream, i) in self.active() {
            let Some(start) = i.started() else { continue };
            let has_org = linked.get(stream).is_some_and(|v| {
                v.iter().any(|l| {
                    self.p.directory.participants.get(&l.participant).and_then(|x| x.role_on(day))
                        == Some(ParticipantRole::Organisation)
                })
            });
            if has_org {
                continue;
            }
            let name = self.p.initiatives.name(stream);
            let months = months_between(start.date, self.today);
            let reason = match self.lang {
                Lang::Nl => format!(
                    "{name} loopt sinds {} ({months} maanden) zonder overdracht en zonder verbonden organisatie; er is geen drempel, elke maand zonder organisatie telt.",
                    start.date
                ),
                Lang::En => format!(
                    "{name} has run since {} ({months} months) without a hand-over and without a connected organisation; there is no threshold, every month without one counts.",
                    start.date
                ),
            };
            out.push(Warning {
                kind: WarningKind::NoOrganisation,
                subject: stream.clone(),
                subject_label: name,
                reason,
                since: Some(start.date),
                sources: vec![start],
            });
        }
        out
    }

    /// Volunteers recruited at the broker's request: those still taking part (a risk), and those
    /// who left after a broker let go of an initiative they were linked to (the risk come true).
    fn volunteers(&self) -> Vec<Warning> {
        let day = Some(self.today);
        let dir = &self.p.directory;
        let linked = self.p.network.linked(self.p, day);
        let mut out = Vec::new();
        for (who, part) in &dir.participants {
            let Some(base) = part.base.as_ref().filter(|b| b.src.date <= self.today) else { continue };
            if base.recruitment != Some(Recruitment::BrokerRequest) {
                continue;
            }
            let label = self.who(who);
            let request = Recruitment::BrokerRequest.label(self.lang);
            let warning = match part.left_on(day) {
                None => {
                    let reason = match self.lang {
                        Lang::Nl => format!(
                            "{label} doet sinds {} mee {request}; zulke vrijwilligers haken vaak af als de makelaar loslaat, dus draag de waardering over aan een vrijwilligersorganisatie (geen drempel).",
                            base.src.date
                        ),
                        Lang::En => format!(
                            "{label} has taken part since {} {request}; such volunteers often drop out when the broker lets go, so hand their appreciation over to a volunteer organisation (no threshold).",
                            base.src.date
                        ),
                    };
                    Warning {
                        kind: WarningKind::VolunteerAtBrokerRequest,
                        subject: who.clone(),
                        subject_label: label,
                        reason,
                        since: Some(base.src.date),
                        sources: vec![base.src],
                    }
                }
                Some(left) => {
                    // The latest "let go" on an initiative this volunteer is linked to, before
                    // they left.
                    let let_go = linked
                        .iter()
                        .filter(|(_, v)| v.iter().any(|l| &l.participant == who))
                        .flat_map(|(ini, _)| {
                            let items = &self.p.initiatives.items;
                            items.get(ini).into_iter().flat_map(|i| i.broker.values()).map(move |b| (ini, b))
                        })
                        .filter(|(_, b)| b.role == BrokerRole::LetGo && b.src.date <= left.src.date)
                        .max_by_key(|(_, b)| b.src);
                    let Some((ini, b)) = let_go else { continue };
                    let days = (left.src.date - b.src.date).num_days();
                    let name = self.p.initiatives.name(ini);
                    let broker = self.who(&b.broker);
                    let reason = match self.lang {
                        Lang::Nl => format!(
                            "{label} deed mee {request} en vertrok op {}, {days} dagen nadat {broker} {name} losliet op {} (geen drempel).",
                            left.src.date, b.src.date
                        ),
                        Lang::En => format!(
                            "{label} took part {request} and left on {}, {days} days after {broker} let go of {name} on {} (no threshold).",
                            left.src.date, b.src.date
                        ),
                    };
                    Warning {
                        kind: WarningKind::VolunteerAtBrokerRequest,
                        subject: who.clone(),
                        subject_label: label,
                        reason,
                        since: Some(left.src.date),
                        sources: vec![base.src, b.src, left.src],
                    }
                }
            };
            out.push(warning);
        }
        out
    }
}
