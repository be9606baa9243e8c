//! The report's title, subtitle and cover: the period, the as-of day, the area, and the log
//! prefix the report rests on (its last position and that position's hash).

use parlog_core::Lang;

use super::context::Ctx;
use super::LogInfo;

pub(super) struct Cover {
    pub title: String,
    pub subtitle: String,
    /// Label / value lines.
    pub lines: Vec<(String, String)>,
}

pub(super) fn cover(c: &Ctx, log: &LogInfo) -> Cover {
    let p = c.p;
    let study = p.directory.study().map(|(_, s)| s);
    let title = study.map(|s| s.title.clone()).unwrap_or_else(|| c.t("Retrospectief", "Retrospective").to_string());
    let subtitle = match (c.lang, study) {
        (Lang::Nl, Some(s)) => {
            format!("Handreiking uit het logboek van het participatief actieonderzoek in {}", s.municipality)
        }
        (Lang::En, Some(s)) => {
            format!("A practice guide from the log of the participatory action research in {}", s.municipality)
        }
        (Lang::Nl, None) => "Handreiking uit het logboek".to_string(),
        (Lang::En, None) => "A practice guide from the log".to_string(),
    };
    let mut lines = Vec::new();
    let start = p.activity.first_src().map(|s| s.date).or(study.map(|s| s.src.date));
    lines.push((
        c.t("Periode", "Period").to_string(),
        format!(
            "{} – {}",
            start.map(|d| c.day(d)).unwrap_or_else(|| "?".into()),
            c.today.map(|d| c.day(d)).unwrap_or_else(|| "?".into())
        ),
    ));
    if let Some(d) = log.as_of_day {
        let basis = if log.by_recorded {
            c.t("vastgelegd tot en met", "recorded up to and including")
        } else {
            c.t("gebeurd tot en met", "happened up to and including")
        };
        lines.push((c.t("Peildatum", "As of").to_string(), format!("{basis} {}", c.day(d))));
    }
    if let Some(a) = &c.o.area {
        lines.push((c.t("Gebied", "Area").to_string(), p.directory.area_name(a)));
    }
    lines.push((
        c.t("Logboek tot en met positie", "Log up to and including position").to_string(),
        log.position.to_string(),
    ));
    lines.push((c.t("Hash van die positie", "Hash at that position").to_string(), log.head_hash.to_hex()));
    Cover { title, subtitle, lines }
}
