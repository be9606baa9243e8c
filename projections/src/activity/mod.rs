//! Activity and workload: field notes per author, area and month; per makelaar and month the
//! initiatives they are involved in and the ones they still lead. Also the last day anything
//! happened (the "today" of views without an as-of day) and, for the warnings, when each cycle
//! opened, reflected and closed.
//!
//! **Memory:** field notes are by far the most frequent kind, so they are only counted: per
//! author, place as the note gives it and month. Authors and places are kept once in [`Names`]
//! and counted by index (a note is counted with two hash look-ups, not string comparisons);
//! views go back to the strings. Places are resolved to areas when a view is
//! made, so a later correction of an initiative's area moves its notes too. The month that holds
//! the as-of day counts whole; replay the log as of a day for an exact cut.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{BrokerRole, DomainEvent, Level};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};
use crate::initiatives::{Initiative, Status};
use crate::keyed::Keyed;
use crate::names::{Names, Sym};
use crate::tally::Tally;
use crate::text::month_of;
use crate::Projections;

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// The latest day an event of the study happened (occurred_at); kept equal to the last key
    /// of `days`. Administrative events ([`Fact::is_administrative`]) do not count: a forget
    /// years later does not make the study run to that day.
    pub last_day: Option<NaiveDate>,
    /// Events of the study per day they happened, so that `last_day` stays exact when events
    /// are removed.
    pub days: BTreeMap<NaiveDate, DayCount>,
    /// Field notes per author (participant stream), place (`area:…` or `initiative:…` as the note
    /// gives it, or "" when it gives neither) and month (first day); authors and places as
    /// indexes into `names`; one look-up per note (see [`Tally`]).
    pub notes: Tally<(Sym, Sym, NaiveDate)>,
    pub names: Names,
    /// Per cycle stream: when it opened (with level and area), reflected and closed.
    pub cycles: Keyed<CycleDates>,
}

/// The events of one day: how many, and the highest position among those added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub events: u64,
    /// Kept when that event is removed while others of the day remain (a counter cannot tell the
    /// next one); the retracted event stays in the log, so the reference still resolves.
    pub last_position: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleDates {
    pub opened: Option<CycleOpen>,
    pub reflections: BTreeMap<u64, Src>,
    pub closed: BTreeMap<u64, Src>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleOpen {
    pub level: Level,
    pub area: Option<String>,
    pub src: Src,
}

/// An active initiative a makelaar is involved in on a day: their latest role is not "let go".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Involvement {
    pub initiative: String,
    pub role: BrokerRole,
    pub leads: bool,
    /// The `BrokerRoleSet` that set the current role.
    pub src: Src,
}

/// The place of a note as it is counted: the area if it names one, else the initiative, else "".
fn place(o: &parlog_core::ObservationRecorded) -> &str {
    o.area.as_ref().or(o.initiative.as_ref()).map(|s| s.as_str()).unwrap_or("")
}

/// The participant stream of an author, `participant:<id>`, written into `buf` so that counting
/// a note allocates nothing. Ids are at most `ID_CHARS_MAX` bytes; a longer one (impossible for a
/// checked id) is cut, which only merges its counts.
fn participant_key<'a>(author: &str, buf: &'a mut [u8; PARTICIPANT_KEY_BYTES_MAX]) -> &'a str {
    const PREFIX: &[u8] = b"participant:";
    let n = author.len().min(PARTICIPANT_KEY_BYTES_MAX - PREFIX.len());
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    buf[PREFIX.len()..PREFIX.len() + n].copy_from_slice(&author.as_bytes()[..n]);
    std::str::from_utf8(&buf[..PREFIX.len() + n]).unwrap_or("participant:")
}

const PARTICIPANT_KEY_BYTES_MAX: usize = 12 + parlog_core::limits::ID_CHARS_MAX;

impl Activity {
    pub fn add(&mut self, f: &Fact) {
        if f.is_administrative() {
            return;
        }
        let date = f.date();
        let day = self.days.entry(date).or_default();
        day.events += 1;
        day.last_position = day.last_position.max(f.position);
        if self.last_day.is_none_or(|d| d < date) {
            self.last_day = Some(date);
        }
        let src = f.src();
        match &f.data {
            DomainEvent::ObservationRecorded(o) => {
                let mut buf = [0u8; PARTICIPANT_KEY_BYTES_MAX];
                let who = self.names.sym(participant_key(f.author.as_str(), &mut buf));
                let at = self.names.sym(place(o));
                self.notes.bump((who, at, month_of(src.date)), true);
            }
            DomainEvent::CycleOpened(c) => {
                let area = c.area.as_ref().map(|a| a.to_string());
                self.cycles.or_default(f.stream.as_str()).opened = Some(CycleOpen { level: c.level, area, src });
            }
            DomainEvent::ReflectionRecorded(_) => {
                self.cycles.or_default(f.stream.as_str()).reflections.insert(f.position, src);
            }
            DomainEvent::CycleClosed(_) => {
                self.cycles.or_default(f.stream.as_str()).closed.insert(f.position, src);
            }
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        if f.is_administrative() {
            return;
        }
        let d = f.date();
        if let Some(n) = self.days.get_mut(&d) {
            n.events = n.events.saturating_sub(1);
            if n.events == 0 {
                self.days.remove(&d);
            }
        }
        self.last_day = self.days.keys().next_back().copied();
        let cycle = self.cycles.get_mut(f.stream.as_str());
        match (&f.data, cycle) {
            (DomainEvent::ObservationRecorded(o), _) => {
                let mut buf = [0u8; PARTICIPANT_KEY_BYTES_MAX];
                let who = self.names.find(participant_key(f.author.as_str(), &mut buf));
                if let (Some(who), Some(at)) = (who, self.names.find(place(o))) {
                    self.notes.bump((who, at, month_of(d)), false);
                }
            }
            (DomainEvent::CycleOpened(_), Some(c)) => c.opened = None,
            (DomainEvent::ReflectionRecorded(_), Some(c)) => drop(c.reflections.remove(&f.position)),
            (DomainEvent::CycleClosed(_), Some(c)) => drop(c.closed.remove(&f.position)),
            _ => {}
        }
    }

    /// The day views treat as today: the as-of day, else the last day in the log.
    pub fn today(&self, day: Option<NaiveDate>) -> Option<NaiveDate> {
        day.or(self.last_day)
    }

    /// A source for the last day anything happened on or before a day (or at all): that day
    /// and the highest position seen on it.
    pub fn last_src(&self, day: Option<NaiveDate>) -> Option<Src> {
        let (date, n) = match day {
            Some(d) => self.days.range(..=d).next_back(),
            None => self.days.iter().next_back(),
        }?;
        Some(Src { position: n.last_position, date: *date })
    }

    /// A source for the first day anything happened: that day and the highest position on it.
    pub fn first_src(&self) -> Option<Src> {
        let (date, n) = self.days.iter().next()?;
        Some(Src { position: n.last_position, date: *date })
    }

    /// The active initiatives a makelaar (participant stream) is involved in on a day: those that
    /// exist and are active, where the makelaar's latest role is not "let go". By initiative.
    pub fn involved(p: &Projections, broker: &str, day: NaiveDate) -> Vec<Involvement> {
        Self::involved_among(p.initiatives.items.iter(), broker, day)
    }

    /// The same among some initiatives (those a makelaar has a role in, say), in their order.
    pub fn involved_among<'a>(
        items: impl Iterator<Item = (&'a String, &'a Initiative)>,
        broker: &str,
        day: NaiveDate,
    ) -> Vec<Involvement> {
        let mut out = Vec::new();
        for (stream, i) in items {
            if !i.exists_on(Some(day)) || i.status_on(Some(day)) != Status::Active {
                continue;
            }
            if let Some(b) = i.broker_on(broker, Some(day)).filter(|b| b.role != BrokerRole::LetGo) {
                out.push(Involvement { initiative: stream.clone(), role: b.role, leads: b.leads, src: b.src });
            }
        }
        out
    }
}
