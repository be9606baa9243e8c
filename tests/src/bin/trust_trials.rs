//! The larger tamper run of issue 10: `trust_trials [TRIALS] [SEED]` damages one file of a data
//! folder per trial (see `parlog_tests::trials`) and prints the counts: tried, held, refused,
//! found, and the two that must stay 0 (silent loss, a check that changed the folder). Exit 1
//! if either is not 0. `scripts/trust.sh` runs it with the crash test.

use std::process::ExitCode;

use parlog_tests::trials::{build_base, trial, Outcome};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let trials: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or_else(|| fastrand::u64(..));
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let base = match build_base(tmp.path(), 200) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("trust_trials: cannot build the base folder: {e}");
            return ExitCode::from(1);
        }
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut held, mut refused, mut found, mut silent, mut changed) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut by_file = std::collections::BTreeMap::<String, u64>::new();
    for i in 0..trials {
        let (d, outcome) = match trial(&base, &tmp.path().join("work"), &mut rng) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("trust_trials: trial {i} could not run: {e}");
                return ExitCode::from(1);
            }
        };
        *by_file.entry(d.file.split('/').next().unwrap_or("").to_string()).or_default() += 1;
        match outcome {
            Outcome::Held => held += 1,
            Outcome::Refused(_) => refused += 1,
            Outcome::Found(_) => found += 1,
            Outcome::SilentLoss(m) => {
                silent += 1;
                eprintln!("SILENT LOSS in trial {i} (seed {seed}): {} {}: {m}", d.file, d.what);
            }
            Outcome::CheckChanged(m) => {
                changed += 1;
                eprintln!("CHECK CHANGED THE FOLDER in trial {i} (seed {seed}): {} {}: {m}", d.file, d.what);
            }
        }
    }
    println!("tamper trials (seed {seed}): {trials} tried, {held} held, {refused} refused with a message, {found} found and named, {silent} silent loss, {changed} checks that changed a byte");
    println!("damaged files: {by_file:?}");
    if silent == 0 && changed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
