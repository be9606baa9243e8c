//! `parlog agreement`: inter-coder agreement per pair of coders and code (`crate::agreement`),
//! as text or as the API's JSON. The command line holds the keys, so the passages the coders
//! disagree on are quoted; beside a running server it reads the study as `log` does.

use clap::Args;
use parlog_core::ParticipantId;
use parlog_projections::{AsOf, Engine};

use super::{open_read, Failure, Result};
use crate::notes::NotesIndex;
use crate::studies::Selected;

#[derive(Args)]
pub struct AgreementArgs {
    #[arg(long, requires = "b")]
    a: Option<String>,
    #[arg(long, requires = "a")]
    b: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn run(study: &Selected, args: AgreementArgs) -> Result<i32> {
    let coder = |flag: &str, v: &Option<String>| {
        v.as_deref().map(|p| ParticipantId::parse(p).map_err(|m| Failure::Input(format!("--{flag}: {m}")))).transpose()
    };
    let (a, b) = (coder("a", &args.a)?, coder("b", &args.b)?);
    if a.is_some() && a == b {
        return Err(Failure::Input(t!("agreement-same-coder")));
    }
    let lang = super::lang::of_output(args.json);
    let store = open_read(study)?;
    let engine = Engine::as_of(&store, AsOf::Head).map_err(|e| Failure::Check(e.to_string()))?;
    let ix = NotesIndex::build(&store)?;
    let pair = a.as_ref().zip(b.as_ref()).map(|(a, b)| (a.as_str(), b.as_str()));
    let v = crate::agreement::report(&store, &engine.state, &ix, pair, true, lang)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        print!("{}", crate::agreement::text(&v, lang));
    }
    Ok(0)
}
