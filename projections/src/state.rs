//! [`Projections`]: every fold's state, fed together so that one pass over the log feeds them
//! all. The views over it are listed in [`crate::VIEWS`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::codebook::Codebook;
use crate::corrections::Corrections;
use crate::cycles::Cycles;
use crate::directory::Directory;
use crate::fact::Fact;
use crate::initiatives::Initiatives;
use crate::network::Network;
use crate::role::RoleHistory;
use crate::signals::Signals;

/// All projections, folded together so that one pass over the log feeds them all. Lessons and
/// warnings are views over these (they keep no state of their own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Projections {
    pub directory: Directory,
    pub corrections: Corrections,
    pub cycles: Cycles,
    pub role: RoleHistory,
    pub initiatives: Initiatives,
    pub signals: Signals,
    pub network: Network,
    pub activity: Activity,
    pub codebook: Codebook,
}

impl Projections {
    /// Changes whenever a projection's state or meaning changes: a checkpoint written by another
    /// version is not used, so the projections rebuild by themselves.
    pub const VERSION: &'static str = "projections-v7";

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

    /// The last day anything happened in the study (administrative events such as a forget do
    /// not count): "today" for views without an as-of day, so that views never depend on the
    /// wall clock.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.activity.last_day
    }
}
