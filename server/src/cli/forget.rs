//! `parlog forget`: destroy a data subject's key and sealed data; the log records who asked.

use clap::Args;
use parlog_core::{EventStore, ForgetError, LongText, ParticipantId, SubjectId};

use super::{open, Failure, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct ForgetArgs {
    /// Such as resident:r-017.
    subject: String,
    /// The participant who asks for it.
    #[arg(long)]
    by: String,
    #[arg(long)]
    reason: Option<String>,
}

pub fn run(study: &Selected, a: ForgetArgs) -> Result<i32> {
    let subject = SubjectId::parse(&a.subject).map_err(Failure::Input)?;
    let by = ParticipantId::parse(&a.by).map_err(|m| Failure::Input(format!("--by: {m}")))?;
    let reason =
        a.reason.map(|r| LongText::new(r).map_err(|m| Failure::Input(format!("--reason: {m}")))).transpose()?;
    let store = open(study)?;
    match store.forget(&subject, &by, reason) {
        Ok(a) if a.duplicate => println!("{subject} was already forgotten (event at position {})", a.position),
        Ok(a) => {
            println!("forgot {subject}: key and sealed data destroyed (event at position {}, id {})", a.position, a.id)
        }
        Err(ForgetError::UnknownSubject(s)) => return Err(Failure::Input(ForgetError::UnknownSubject(s).to_string())),
        Err(ForgetError::Store(e)) => return Err(e.into()),
    }
    Ok(0)
}
