//! `parlog project NAME`: a projection as text or JSON, live or as of a day or position.

use std::path::Path;

use clap::Args;
use parlog_core::AnyStore;
use parlog_projections::{AsOf, Engine, EngineError};

use super::{Failure, Result};
use crate::request::{view_name, RawView, RequestError, ViewFormat, ViewRequest};
use crate::studies::Selected;

/// Which part of the log; shared by `project` and `retrospective`. The values are checked by
/// `request::ViewRequest`, as the API's are; the language is the command line's (`--lang`).
#[derive(Args, Clone)]
pub struct ViewArgs {
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, requires = "as_of")]
    pub recorded: bool,
    #[arg(long)]
    pub as_of_position: Option<String>,
}

impl ViewArgs {
    /// The flags as the shared parser takes them.
    pub fn raw(&self) -> RawView {
        RawView {
            as_of: self.as_of.clone(),
            basis: self.recorded.then(|| "recorded".to_string()),
            as_of_position: self.as_of_position.clone(),
            ..RawView::default()
        }
    }
}

#[derive(Args)]
pub struct ProjectArgs {
    name: String,
    #[command(flatten)]
    view: ViewArgs,
    #[arg(long)]
    since: Option<String>,
    #[arg(long, conflicts_with = "format")]
    json: bool,
    #[arg(long)]
    format: Option<String>,
    #[arg(long)]
    rebuild: bool,
    #[arg(long)]
    lead_months_max: Option<String>,
    #[arg(long)]
    active_initiatives_max: Option<String>,
    #[arg(long)]
    reflection_gap_days_max: Option<String>,
}

/// Bad flags are bad input (exit 2), named as flags.
pub fn request_failure(e: RequestError) -> Failure {
    Failure::Input(e.with_flags())
}

fn engine_err(e: EngineError) -> Failure {
    match e {
        EngineError::Store(s) => s.into(),
        e => Failure::Check(e.to_string()),
    }
}

/// The projections for a part of the log: the live ones (from the checkpoint in the data folder,
/// caught up and saved again), or a fresh replay for an as-of view, and for a study read beside
/// a running server (the checkpoint is the server's to write).
pub fn projections(store: &AnyStore, data: &Path, as_of: AsOf, rebuild: bool) -> Result<Engine> {
    match as_of {
        AsOf::Head if store.is_snapshot() => Engine::as_of(store, AsOf::Head).map_err(engine_err),
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

/// Checks the request before it opens the store: bad input is refused without touching the data.
pub fn run(study: impl FnOnce() -> Result<Selected>, a: ProjectArgs) -> Result<i32> {
    let raw = RawView {
        since: a.since,
        lead_months_max: a.lead_months_max,
        active_initiatives_max: a.active_initiatives_max,
        reflection_gap_days_max: a.reflection_gap_days_max,
        format: a.format.clone(),
        ..a.view.raw()
    };
    let (mut request, format) = ViewRequest::parse_view(&raw).map_err(request_failure)?;
    // Without --json or --format: text for the terminal.
    let format = (a.json || a.format.is_some()).then_some(format);
    // JSON and CSV are files for programs and spreadsheets: Dutch unless --lang says otherwise,
    // so that they do not change with the locale of whoever runs the command, and are the bytes
    // the API gives for the same language.
    request.options.lang = super::lang::of_output(format.is_some());
    let name = view_name(&a.name).map_err(request_failure)?;
    let study = study()?;
    let store = super::open_read(&study)?;
    let engine = projections(&store, &study.folder, request.as_of, a.rebuild)?;
    let opts = request.options;
    match format {
        Some(ViewFormat::Json) => {
            let v = engine.state.view(name, &opts).expect("name checked");
            println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
        }
        Some(ViewFormat::Csv) => print!("{}", engine.state.csv(name, &opts).expect("name checked")),
        None => print!("{}", engine.state.text(name, &opts).expect("name checked")),
    }
    Ok(0)
}
