//! What a projection sees of an event: the envelope and its current payload (after amendments).

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId, ParticipantId, RecordedEvent, StreamId, StreamRule, Timestamp};
use serde::{Deserialize, Serialize};

/// An event as projections see it. For an amended event, `data` is the latest amendment's
/// payload and `revision` counts the amendments.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub position: u64,
    pub id: EventId,
    pub stream: StreamId,
    pub occurred: Timestamp,
    pub recorded: Timestamp,
    pub author: ParticipantId,
    pub causation: Vec<EventId>,
    pub data: DomainEvent,
    pub sealed: bool,
    pub revision: u32,
    /// For a reflection: the sources of the field notes it cites that the log prefix holds (not
    /// retracted, and included in the view), in the order cited. The engine finds them, so that
    /// projections need not keep every note to resolve citations. Empty for other kinds.
    pub cited: Vec<Src>,
    /// For a coded excerpt: the data subjects of the sealed text it codes (empty when its source
    /// has no sealed part). The engine finds them, so that the codebook can forget the coding
    /// with the text. Empty for other kinds.
    pub coded_subjects: Vec<String>,
}

impl Fact {
    pub fn from_recorded(e: &RecordedEvent, data: DomainEvent) -> Fact {
        Fact {
            position: e.position.0,
            id: e.id,
            stream: e.stream.clone(),
            occurred: e.occurred_at,
            recorded: e.recorded_at,
            author: e.author.clone(),
            causation: e.causation.clone(),
            data,
            sealed: e.sealed.is_some(),
            revision: 0,
            cited: Vec::new(),
            coded_subjects: Vec::new(),
        }
    }

    /// As [`Fact::from_recorded`], taking the event's strings instead of copying them.
    pub fn from_owned(e: RecordedEvent, data: DomainEvent) -> Fact {
        Fact {
            position: e.position.0,
            id: e.id,
            stream: e.stream,
            occurred: e.occurred_at,
            recorded: e.recorded_at,
            author: e.author,
            causation: e.causation,
            data,
            sealed: e.sealed.is_some(),
            revision: 0,
            cited: Vec::new(),
            coded_subjects: Vec::new(),
        }
    }

    pub fn src(&self) -> Src {
        Src { position: self.position, date: self.occurred.date() }
    }

    pub fn date(&self) -> NaiveDate {
        self.occurred.date()
    }

    /// Whether the event is administrative: written by the store itself (its kind's stream rule
    /// is `System`, such as `SubjectForgotten`), not by the research. Its time is the server's
    /// clock when someone managed the data, not a day of the study, so it moves no study's
    /// period or "today". (Tokens and imports write no event of their own; corrections are the
    /// researchers' statements and count on the day of the event they correct, through the
    /// engine.)
    pub fn is_administrative(&self) -> bool {
        matches!(self.data.kind().stream_rule(), StreamRule::System(_))
    }
}

/// A reference to the event a statement rests on: its position and the day it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Src {
    pub position: u64,
    pub date: NaiveDate,
}
