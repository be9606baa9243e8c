//! parlog-projections: read models derived from the log.
//!
//! **Invariant:** projections are pure. `add` and `remove` take an event and change the state,
//! with no I/O, no clock and no randomness; views are functions of the state and their options.
//! The same log prefix therefore gives the same bytes out. Only [`Engine`] reads events, and only
//! through a [`Source`].
//!
//! Each fold is a folder: `mod.rs` holds its state with `add` and `remove`, `view.rs` its JSON
//! and text views; [`VIEWS`] lists every view once.

mod activity;
pub mod agreement;
mod codebook;
pub mod compare;
mod corrections;
pub mod csv;
mod cycles;
mod directory;
mod engine;
mod fact;
mod initiatives;
mod keyed;
mod lessons;
mod names;
mod network;
mod registry;
pub mod retro;
mod role;
mod signals;
mod source;
mod state;
mod tally;
pub mod text;
mod warnings;
mod words;

pub use activity::Activity;
pub use codebook::{Codebook, Coding};
pub use corrections::Corrections;
pub use cycles::{Chain, Cycle, CycleBase, Cycles, InsightRecord, Link, Note, Reflection, Spiral, Step};
pub use directory::Directory;
pub use engine::{check_checkpoint, AsOf, Engine, EngineError};
pub use fact::{Fact, Src};
pub use initiatives::{Initiative, Initiatives, Status};
pub use lessons::{Lesson, ThemeLessons};
pub use names::{Names, Sym};
pub use network::Network;
pub use registry::{UnknownProjection, ViewDef, ViewOptions, CHART_NAMES, PROJECTION_NAMES, VIEWS};
pub use role::{FieldDiff, MethodChange, ReflectionRef, Role, RoleField, RoleHistory, RoleState};
pub use signals::Signals;
pub use source::{MemorySource, NotALog, Source};
pub use state::Projections;
pub use warnings::{EndKind, Ending, Held, Thresholds, Warning, WarningKind};
pub use words::RoleWord;
