//! `parlog project NAME`: a projection as text or JSON, live or as of a day or position.

use std::path::Path;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use parlog_core::{Lang, SledStore};
use parlog_projections::{AsOf, Engine, EngineError, Thresholds, ViewOptions};

use super::{Failure, Result};

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    Nl,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Nl => Lang::Nl,
            LangArg::En => Lang::En,
        }
    }
}

/// Which part of the log to use; shared by `project` and `retrospective`.
#[derive(Args, Clone)]
pub struct AsOfArgs {
    /// Only what happened on or before this day (by `occurred_at`, when it happened in the field),
    /// such as 2017-12-31.
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// With --as-of: go by when events were recorded (`recorded_at`, the server clock) instead.
    #[arg(long, requires = "as_of")]
    pub recorded: bool,
    /// Only the log up to and including this position.
    #[arg(long, conflicts_with = "as_of")]
    pub as_of_position: Option<u64>,
}

impl AsOfArgs {
    pub fn as_of(&self) -> AsOf {
        match (self.as_of, self.as_of_position) {
            (Some(d), _) if self.recorded => AsOf::Recorded(d),
            (Some(d), _) => AsOf::Occurred(d),
            (None, Some(p)) => AsOf::Position(p),
            (None, None) => AsOf::Head,
        }
    }
}

#[derive(Args)]
pub struct ProjectArgs {
    /// cycles, role, initiatives, signals, lessons, network, activity, warnings or codebook.
    name: String,
    #[command(flatten)]
    as_of: AsOfArgs,
    /// For the role: show what changed since this day.
    #[arg(long, value_parser = parse_day)]
    since: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "nl", env = "PARLOG_LANG")]
    lang: LangArg,
    #[arg(long)]
    json: bool,
    /// Replay the whole log instead of starting from the checkpoint.
    #[arg(long)]
    rebuild: bool,
    /// Warnings: a makelaar still leading an initiative this many months after its start.
    #[arg(long)]
    lead_months_max: Option<u32>,
    /// Warnings: more active initiatives per makelaar than this.
    #[arg(long)]
    active_initiatives_max: Option<u32>,
    /// Warnings: no reflection in a team for more days than this.
    #[arg(long)]
    reflection_gap_days_max: Option<u32>,
}

pub fn parse_day(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("expected a day such as 2017-12-31, got {s:?}"))
}

fn engine_err(e: EngineError) -> Failure {
    match e {
        EngineError::Store(s) => s.into(),
        e => Failure::Check(e.to_string()),
    }
}

/// The projections for a part of the log: the live ones (from the checkpoint in the data folder,
/// caught up and saved again), or a fresh replay for an as-of view.
pub fn projections(store: &SledStore, data: &Path, as_of: AsOf, rebuild: bool) -> Result<Engine> {
    match as_of {
        AsOf::Head => {
            let mut engine = Engine::open(store, &data.join("projections")).map_err(engine_err)?;
            if rebuild {
                engine.rebuild(store).map_err(engine_err)?;
            }
            engine.save_checkpoint().map_err(engine_err)?;
            Ok(engine)
        }
        other => Engine::as_of(store, other).map_err(engine_err),
    }
}

pub fn run(store: &SledStore, data: &Path, a: ProjectArgs) -> Result<i32> {
    let as_of = a.as_of.as_of();
    let engine = projections(store, data, as_of, a.rebuild)?;
    let d = Thresholds::default();
    let thresholds = Thresholds {
        lead_months_max: a.lead_months_max.unwrap_or(d.lead_months_max),
        active_initiatives_max: a.active_initiatives_max.unwrap_or(d.active_initiatives_max),
        reflection_gap_days_max: a.reflection_gap_days_max.unwrap_or(d.reflection_gap_days_max),
    };
    let opts = ViewOptions { lang: a.lang.into(), day: as_of.day(), since: a.since, thresholds };
    if a.json {
        let v = engine.state.view(&a.name, &opts).map_err(|e| Failure::Input(e.to_string()))?;
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        print!("{}", engine.state.text(&a.name, &opts).map_err(|e| Failure::Input(e.to_string()))?);
    }
    Ok(0)
}
