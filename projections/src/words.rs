//! How views, warnings and reports name the role the study is about: in the study's own words.
//!
//! A municipality gives the role its own title ("Buurtverbinder Zwolle", "Sociaal makelaar
//! Gouda") in its `RoleDescribed`. Wherever parlog's own sentences name the role (a section
//! title, a participant's role, a warning, the kind of an event), they use that title, as the log
//! held it on the view's day: the latest description by log position, so a study that renames
//! its role (a second `RoleDescribed`, or an amendment) is named by its newest word. Only a log
//! that describes no role gets the guide's fixed word ("sociaal makelaar", "community broker";
//! "makelaar", "broker" where the text uses the short form).
//!
//! In running text the title is used as a noun: a trailing name of the municipality is dropped
//! ("Buurtverbinder Zwolle" → "buurtverbinder", since the report already says where it is) and a
//! capital that only starts the title is lowered ("Sociaal makelaar" → "sociaal makelaar"; an
//! abbreviation such as "WIJ-coach" keeps its capitals). Sentences capitalise their first word
//! themselves ([`crate::retro`]'s `capitalise`), and Dutch gets its article from the noun: "de"
//! for a person ("de buurtverbinder"), "het" for the few person nouns that are neuter (ending in
//! "lid", or a diminutive in "-je").

use chrono::NaiveDate;
use parlog_core::{EventKind, Lang, ParticipantRole, Recruitment, Vocabulary};

use crate::text::tr;
use crate::Projections;

/// The role's name for the text of one view or report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleWord {
    /// The study's own title as a noun for running text; `None`: the log describes no role.
    noun: Option<String>,
}

impl RoleWord {
    /// The role's name as the log held it on `day` (`None`: the whole log).
    pub fn of(p: &Projections, day: Option<NaiveDate>) -> RoleWord {
        let latest = p
            .role
            .roles
            .values()
            .filter_map(|r| r.described.as_ref())
            .filter(|d| day.is_none_or(|x| d.src.date <= x))
            .max_by_key(|d| d.src);
        let municipality = p.directory.study().map(|(_, s)| s.municipality.as_str());
        match latest {
            Some(d) => RoleWord::from_title(&d.title, municipality),
            None => RoleWord::fixed(),
        }
    }

    /// The guide's fixed word, for a log that describes no role.
    pub fn fixed() -> RoleWord {
        RoleWord { noun: None }
    }

    /// A study's title for the role, as a noun; `municipality` is dropped from its end.
    pub fn from_title(title: &str, municipality: Option<&str>) -> RoleWord {
        let title = title.trim();
        let noun = municipality.and_then(|m| strip_suffix_ignoring_case(title, m.trim())).unwrap_or(title);
        let noun = noun.trim();
        if noun.is_empty() {
            return RoleWord::fixed();
        }
        RoleWord { noun: Some(lower_first(noun)) }
    }

    /// Whether the name is the study's own (else the fixed word).
    pub fn is_own(&self) -> bool {
        self.noun.is_some()
    }

    /// The role as a noun: the study's word, else "sociaal makelaar" / "community broker".
    pub fn noun(&self, lang: Lang) -> String {
        match &self.noun {
            Some(n) => n.clone(),
            None => tr(lang, "sociaal makelaar", "community broker").to_string(),
        }
    }

    /// The short form, where a text names the role again: the study's word, else "makelaar" /
    /// "broker".
    pub fn short(&self, lang: Lang) -> String {
        match &self.noun {
            Some(n) => n.clone(),
            None => tr(lang, "makelaar", "broker").to_string(),
        }
    }

    /// The noun with its article: "de sociaal makelaar", "the community broker".
    pub fn the(&self, lang: Lang) -> String {
        with_article(&self.noun(lang), lang)
    }

    /// The short form with its article: "de makelaar", "the broker".
    pub fn the_short(&self, lang: Lang) -> String {
        with_article(&self.short(lang), lang)
    }

    /// English possessive of the short form with its article: "the broker's".
    pub fn the_short_possessive_en(&self) -> String {
        possessive_en(&self.the_short(Lang::En))
    }

    /// A participant's role, naming the broker's role in the study's words.
    pub fn participant_role(&self, r: ParticipantRole, lang: Lang) -> String {
        match (r, lang) {
            (ParticipantRole::Makelaar, _) => self.noun(lang),
            (ParticipantRole::CityCoach, Lang::Nl) => format!("stadsbrede {} / teamcoach", self.short(lang)),
            _ => r.label(lang).to_string(),
        }
    }

    /// How someone came to take part, naming the broker in the study's words.
    pub fn recruitment(&self, r: Recruitment, lang: Lang) -> String {
        match (r, lang) {
            (Recruitment::BrokerRequest, Lang::Nl) => format!("op verzoek van {}", self.the_short(lang)),
            (Recruitment::BrokerRequest, Lang::En) => format!("at {} request", self.the_short_possessive_en()),
            _ => r.label(lang).to_string(),
        }
    }

    /// What an event is, naming the broker in the study's words.
    pub fn event_kind(&self, k: EventKind, lang: Lang) -> String {
        match (k, lang) {
            (EventKind::BrokerRoleSet, Lang::Nl) => format!("rol van {} vastgesteld", self.short(lang)),
            (EventKind::BrokerRoleSet, Lang::En) => format!("{} role set", possessive_en(&self.short(lang))),
            _ => k.label(lang).to_string(),
        }
    }
}

fn with_article(noun: &str, lang: Lang) -> String {
    match lang {
        Lang::Nl => format!("{} {noun}", article_nl(noun)),
        Lang::En => format!("the {noun}"),
    }
}

/// The Dutch definite article of a person noun: "de", but "het" for a noun whose last word is a
/// member ("-lid") or a diminutive ("-je").
fn article_nl(noun: &str) -> &'static str {
    let last = noun.split_whitespace().next_back().unwrap_or(noun).to_lowercase();
    if last.ends_with("lid") || last.ends_with("je") {
        "het"
    } else {
        "de"
    }
}

fn possessive_en(s: &str) -> String {
    if s.ends_with('s') {
        format!("{s}'")
    } else {
        format!("{s}'s")
    }
}

/// `title` without a trailing `suffix` (compared without case), and the space, "in" or dash
/// before it; `None` if it does not end so or nothing would be left.
fn strip_suffix_ignoring_case<'a>(title: &'a str, suffix: &str) -> Option<&'a str> {
    if suffix.is_empty() {
        return None;
    }
    let fold = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    let (t, s) = (fold(title), fold(suffix));
    // Only titles whose folded form keeps its length can be cut at the same byte; others (rare
    // letters whose lower case is longer) keep their whole title.
    if t.len() != title.len() || !t.ends_with(&s) {
        return None;
    }
    let rest = &title[..title.len() - suffix.len()];
    if !rest.ends_with(char::is_whitespace) {
        return None; // "Zwollenaar" does not end in the word "Zwolle"
    }
    let rest = rest.trim_end();
    let rest = rest.strip_suffix(" in").unwrap_or(rest);
    let rest = rest.trim_end_matches(|c: char| c.is_whitespace() || c == '-' || c == '–' || c == ',');
    (!rest.is_empty()).then_some(rest)
}

/// Lowers the first letter unless the first word has capitals after it (an abbreviation, a name
/// written in capitals).
fn lower_first(s: &str) -> String {
    let first_word = s.split(|c: char| c.is_whitespace()).next().unwrap_or(s);
    if first_word.chars().skip(1).any(char::is_uppercase) {
        return s.to_string();
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noun(title: &str, m: &str) -> String {
        RoleWord::from_title(title, Some(m)).noun(Lang::Nl)
    }

    #[test]
    fn a_title_becomes_a_noun_for_running_text() {
        assert_eq!(noun("Sociaal makelaar Gouda", "Gouda"), "sociaal makelaar");
        assert_eq!(noun("Buurtverbinder Zwolle", "Zwolle"), "buurtverbinder");
        assert_eq!(noun("Buurtverbinder in Zwolle", "zwolle"), "buurtverbinder");
        assert_eq!(noun("Wijkcoach", "Zwolle"), "wijkcoach");
        assert_eq!(noun("WIJ-coach Lelystad", "Lelystad"), "WIJ-coach");
        assert_eq!(noun("Zwollenaar", "Zwolle"), "zwollenaar");
        assert_eq!(noun("Zwolle", "Zwolle"), "zwolle");
        assert_eq!(RoleWord::from_title("  ", None), RoleWord::fixed());
    }

    #[test]
    fn articles_and_fallbacks() {
        let own = RoleWord::from_title("Buurtverbinder", None);
        assert_eq!(own.the(Lang::Nl), "de buurtverbinder");
        assert_eq!(own.the_short(Lang::En), "the buurtverbinder");
        assert_eq!(own.the_short_possessive_en(), "the buurtverbinder's");
        assert_eq!(RoleWord::from_title("Buurtteamlid", None).the(Lang::Nl), "het buurtteamlid");
        let fixed = RoleWord::fixed();
        assert_eq!(fixed.the(Lang::Nl), "de sociaal makelaar");
        assert_eq!(fixed.the_short(Lang::Nl), "de makelaar");
        assert_eq!(fixed.the(Lang::En), "the community broker");
        // The fallback says what the vocabulary says.
        for lang in [Lang::Nl, Lang::En] {
            for r in ParticipantRole::ALL {
                assert_eq!(fixed.participant_role(*r, lang), r.label(lang));
            }
            assert_eq!(fixed.recruitment(Recruitment::BrokerRequest, lang), Recruitment::BrokerRequest.label(lang));
            assert_eq!(fixed.event_kind(EventKind::BrokerRoleSet, lang), EventKind::BrokerRoleSet.label(lang));
        }
        assert_eq!(own.recruitment(Recruitment::BrokerRequest, Lang::Nl), "op verzoek van de buurtverbinder");
        assert_eq!(own.event_kind(EventKind::BrokerRoleSet, Lang::En), "buurtverbinder's role set");
    }
}
