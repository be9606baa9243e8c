//! parlog-projections: read models derived from the log.
//!
//! **Invariant:** projections are pure. `add` and `remove` take an event and change the state,
//! with no I/O, no clock and no randomness; views are functions of the state and their options.
//! The same log prefix therefore gives the same bytes out. Only [`Engine`] reads the store.

mod activity;
mod codebook;
mod corrections;
mod cycles;
mod directory;
mod engine;
mod fact;
mod initiatives;
mod keyed;
mod lessons;
mod names;
mod network;
pub mod retro;
mod role;
mod signals;
mod tally;
pub mod text;
mod warnings;

use chrono::NaiveDate;
use parlog_core::Lang;
use serde::{Deserialize, Serialize};

pub use activity::Activity;
pub use codebook::Codebook;
pub use corrections::Corrections;
pub use cycles::{Cycle, CycleBase, Cycles, InsightRecord, Note, Reflection, Spiral, Step};
pub use directory::Directory;
pub use engine::{check_checkpoint, AsOf, Engine, EngineError};
pub use fact::{Fact, Src};
pub use initiatives::{Initiative, Initiatives, Status};
pub use lessons::{Lesson, Lessons, ThemeLessons};
pub use names::{Names, Sym};
pub use network::Network;
pub use role::{FieldDiff, MethodChange, ReflectionRef, Role, RoleField, RoleHistory, RoleState};
pub use signals::Signals;
pub use warnings::{Thresholds, Warning, WarningKind};

/// All projections, folded together so that one pass over the log feeds them all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Projections {
    pub directory: Directory,
    pub corrections: Corrections,
    pub cycles: Cycles,
    pub role: RoleHistory,
    pub initiatives: Initiatives,
    pub signals: Signals,
    pub lessons: Lessons,
    pub network: Network,
    pub activity: Activity,
    pub codebook: Codebook,
}

/// The names of the projections, as used by `parlog project NAME` and the API.
pub const PROJECTION_NAMES: [&str; 10] =
    ["cycles", "role", "initiatives", "signals", "lessons", "network", "activity", "warnings", "codebook", "directory"];

/// The names of the charts, as used by `GET /api/v1/charts/{name}`.
pub const CHART_NAMES: [&str; 4] = ["role", "cycles", "initiatives", "signals"];

/// How to show a view.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub lang: Lang,
    /// The day the view treats as "today"; `None` means the last day in the log.
    pub day: Option<NaiveDate>,
    /// For the role: the earlier day of a diff.
    pub since: Option<NaiveDate>,
    pub thresholds: Thresholds,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions { lang: Lang::Nl, day: None, since: None, thresholds: Thresholds::default() }
    }
}

/// A view asked for by a name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("unknown projection {0:?}; expected one of: {names}", names = PROJECTION_NAMES.join(", "))]
pub struct UnknownProjection(pub String);

impl Projections {
    /// Changes whenever a projection's state or meaning changes: a checkpoint written by another
    /// version is not used, so the projections rebuild by themselves.
    pub const VERSION: &'static str = "projections-v5";

    pub fn add(&mut self, f: &Fact) {
        self.directory.add(f);
        self.cycles.add(f);
        self.role.add(f);
        self.initiatives.add(f);
        self.signals.add(f);
        self.network.add(f);
        self.activity.add(f);
        self.codebook.add(f);
    }

    pub fn remove(&mut self, f: &Fact) {
        self.directory.remove(f);
        self.cycles.remove(f);
        self.role.remove(f);
        self.initiatives.remove(f);
        self.signals.remove(f);
        self.network.remove(f);
        self.activity.remove(f);
        self.codebook.remove(f);
    }

    /// The last day anything happened in the log: "today" for views without an as-of day, so
    /// that views never depend on the wall clock.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.activity.last_day
    }

    /// A view as JSON.
    pub fn view(&self, name: &str, o: &ViewOptions) -> Result<serde_json::Value, UnknownProjection> {
        let d = &self.directory;
        Ok(match name {
            "cycles" => self.cycles.view(self, o),
            "role" => self.role.view(self, o),
            "initiatives" => self.initiatives.view(d, o.day, o.lang),
            "signals" => self.signals.view(self, o),
            "lessons" => self.lessons.view(self, o),
            "network" => self.network.view(self, o),
            "activity" => self.activity.view(self, o),
            "warnings" => warnings::view(self, o),
            "codebook" => self.codebook.view(self, o),
            "directory" => self.directory.view(self, o),
            other => return Err(UnknownProjection(other.to_string())),
        })
    }

    /// A view as text for the terminal.
    pub fn text(&self, name: &str, o: &ViewOptions) -> Result<String, UnknownProjection> {
        let d = &self.directory;
        Ok(match name {
            "cycles" => self.cycles.text(self, o),
            "role" => self.role.text(self, o),
            "initiatives" => self.initiatives.text(d, o.day, o.lang),
            "signals" => self.signals.text(self, o),
            "lessons" => self.lessons.text(self, o),
            "network" => self.network.text(self, o),
            "activity" => self.activity.text(self, o),
            "warnings" => warnings::text(self, o),
            "codebook" => self.codebook.text(self, o),
            "directory" => self.directory.text(self, o),
            other => return Err(UnknownProjection(other.to_string())),
        })
    }
}
