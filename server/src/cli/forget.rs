//! `parlog forget`: destroy a data subject's key and sealed data; the log records who asked.
//! It cannot be undone, so it asks first on a terminal (the subject's id or "yes" goes ahead),
//! and a script says `--yes`.

use clap::Args;
use parlog_core::{EventStore, ForgetError, LongText, ParticipantId, SubjectId};

use super::{open, Failure, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct ForgetArgs {
    subject: String,
    #[arg(long)]
    by: String,
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    yes: bool,
}

pub fn run(study: &Selected, a: ForgetArgs) -> Result<i32> {
    let subject = SubjectId::parse(&a.subject).map_err(Failure::Input)?;
    let by = ParticipantId::parse(&a.by).map_err(|m| Failure::Input(format!("--by: {m}")))?;
    let reason =
        a.reason.map(|r| LongText::new(r).map_err(|m| Failure::Input(format!("--reason: {m}")))).transpose()?;
    if !a.yes && !super::on_terminal() {
        return Err(Failure::Input(t!("forget-needs-yes", subject = subject.to_string())));
    }
    let store = open(study)?;
    // Asked only when there is something to destroy: an unknown subject is refused below, and
    // one forgotten before is said to be.
    let has_key = store.subject_keys().iter().any(|(s, _)| *s == subject);
    if has_key && !a.yes {
        let question = t!(
            "forget-ask",
            subject = subject.to_string(),
            study = super::shown_slug(study.slug.as_ref()),
            by = by.to_string()
        );
        let shown = subject.to_string();
        if !super::confirm(&question, &[shown.as_str(), "yes", "ja"])? {
            println!("{}", t!("nothing-changed"));
            return Ok(2);
        }
    }
    match store.forget(&subject, &by, reason) {
        Ok(a) if a.duplicate => {
            println!("{}", t!("forget-already", subject = subject.to_string(), position = a.position.0))
        }
        Ok(a) => println!(
            "{}",
            t!("forget-done", subject = subject.to_string(), position = a.position.0, id = a.id.to_string())
        ),
        Err(ForgetError::UnknownSubject(s)) => {
            return Err(Failure::Input(t!("forget-unknown", subject = s.to_string())));
        }
        Err(ForgetError::Store(e)) => return Err(e.into()),
    }
    Ok(0)
}
