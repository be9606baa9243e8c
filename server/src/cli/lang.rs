//! The command line's language: Dutch or English, for everything the CLI itself says (clap's
//! help, errors with what to do, confirmations, tables' headings) and for the text of the views
//! and reports it prints.
//!
//! **Which language.** `--lang nl|en` (or `PARLOG_LANG`), else the locale: the first of
//! `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty, as POSIX orders them. A locale
//! of English (`en`, `en_US.UTF-8`, `en-GB`) gives English; any other locale, `C` and `POSIX`
//! included, and none at all give Dutch: parlog is made for Dutch municipalities, whose staff
//! rarely set an English locale on purpose, and a server's `C` locale says nothing about its
//! reader. The language is known before clap parses the command line, since clap's help is
//! in it too: `choose_from` reads the arguments for `--lang` itself.
//!
//! **The texts** are Fluent files (Mozilla's Project Fluent, `fluent-bundle`), one per language:
//! `server/locales/{nl,en}/cli.ftl`, compiled into the binary. Fluent gives each language its
//! own plural rules (`{ $n -> [one] … *[other] … }`) and word order, which format strings
//! cannot. `t!("id", name = value, …)` formats a message; a message's attributes are reached as
//! `"id.attribute"`. Both files hold the same messages (a test holds them to each other and to
//! every `t!` in the source, and every command and option has its help in both).
//!
//! What is not translated: machine-readable output (JSON), identifiers (roles, kinds, slugs,
//! event ids), and the facts parlog-core and the HTTP layer state (a damaged frame, a field that
//! does not validate): those are shared with the HTTP API and the server's log, which speak
//! English; the CLI puts them in a sentence of its own language with what to do.

use std::ffi::OsString;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
pub use parlog_core::Lang;

/// The Fluent sources, by language.
pub const SOURCES: [(Lang, &str); 2] =
    [(Lang::Nl, include_str!("../../locales/nl/cli.ftl")), (Lang::En, include_str!("../../locales/en/cli.ftl"))];

/// The language of this run, chosen once at its start.
static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// Sets the language of this run (the first call wins).
pub fn choose(lang: Lang) {
    let _ = CHOSEN.set(lang);
}

/// The language of this run: Dutch until one is chosen.
pub fn current() -> Lang {
    CHOSEN.get().copied().unwrap_or_default()
}

/// The language `--lang` (or `PARLOG_LANG`) named, if one did: set once from the command line.
static EXPLICIT: OnceLock<Option<Lang>> = OnceLock::new();

pub fn set_explicit(lang: Option<Lang>) {
    let _ = EXPLICIT.set(lang);
}

/// The language of a view or report the command prints: the command line's for what people
/// read; for JSON, what `--lang` named, else Dutch as ever, so that a script's output does not
/// change with the locale of whoever runs it.
pub fn of_output(json: bool) -> Lang {
    match json {
        true => EXPLICIT.get().copied().flatten().unwrap_or(Lang::Nl),
        false => current(),
    }
}

/// `nl` or `en`, as `--lang` takes them.
pub fn parse(s: &str) -> Option<Lang> {
    match s {
        "nl" => Some(Lang::Nl),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The language of a locale name such as `en_US.UTF-8`: English for English, else Dutch.
pub fn of_locale(locale: &str) -> Lang {
    let language = locale.split(['_', '-', '.', '@']).next().unwrap_or("");
    if language.eq_ignore_ascii_case("en") {
        Lang::En
    } else {
        Lang::Nl
    }
}

/// The language a command line asks for: its `--lang` (a value clap would refuse is passed
/// over here, and clap then says what is wrong), else `PARLOG_LANG`, else the locale from
/// `LC_ALL`, `LC_MESSAGES` and `LANG`. `env` reads an environment variable.
pub fn choose_from(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Lang {
    let flag = args.iter().enumerate().skip(1).find_map(|(i, a)| {
        let a = a.to_str()?;
        if a == "--" {
            return Some(None);
        }
        if let Some(v) = a.strip_prefix("--lang=") {
            return Some(parse(v));
        }
        (a == "--lang").then(|| args.get(i + 1).and_then(|v| v.to_str()).and_then(parse))
    });
    if let Some(Some(lang)) = flag {
        return lang;
    }
    let set = |name: &str| env(name).and_then(|v| v.into_string().ok()).filter(|v| !v.is_empty());
    if let Some(lang) = set("PARLOG_LANG").as_deref().and_then(parse) {
        return lang;
    }
    ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|n| set(n)).map(|l| of_locale(&l)).unwrap_or(Lang::Nl)
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static NL: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let (cell, tag) = match lang {
        Lang::Nl => (&NL, "nl"),
        Lang::En => (&EN, "en"),
    };
    cell.get_or_init(|| {
        let source = SOURCES.iter().find(|(l, _)| *l == lang).expect("a source per language").1;
        // The files are part of the binary and a test parses them: an error here is a bug.
        let resource = FluentResource::try_new(source.to_string()).expect("the Fluent file parses");
        let mut bundle = FluentBundle::new_concurrent(vec![tag.parse().expect("a language tag")]);
        // No Unicode isolation marks around values: a terminal would show them.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).expect("the Fluent file has no duplicate messages");
        bundle
    })
}

/// The message `id` (or `id.attribute`) in `lang`, if there is one.
pub fn text_in(lang: Lang, id: &str, args: Option<&FluentArgs>) -> Option<String> {
    let bundle = bundle(lang);
    let (message, attribute) = match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    };
    let message = bundle.get_message(message)?;
    let pattern = match attribute {
        Some(a) => message.get_attribute(a)?.value(),
        None => message.value()?,
    };
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    debug_assert!(errors.is_empty(), "{id}: {errors:?}");
    Some(text.into_owned())
}

/// Whether `lang` has the message `id` (or `id.attribute`) with a text.
pub fn has(lang: Lang, id: &str) -> bool {
    let bundle = bundle(lang);
    let (message, attribute) = match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    };
    let Some(message) = bundle.get_message(message) else { return false };
    match attribute {
        Some(a) => message.get_attribute(a).is_some(),
        None => message.value().is_some(),
    }
}

/// The message `id` in this run's language; the id itself if there is none (a test sees that
/// every id used is in both files).
pub fn text(id: &str, args: Option<&FluentArgs>) -> String {
    text_in(current(), id, args).unwrap_or_else(|| id.to_string())
}

/// Formats a message of the command line's language: `t!("id")`, `t!("id", name = value, …)`;
/// values are strings or numbers (numbers choose plural forms).
macro_rules! t {
    ($id:literal) => {
        $crate::cli::lang::text($id, None)
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = fluent_bundle::FluentArgs::new();
        $(args.set(stringify!($name), $value);)+
        $crate::cli::lang::text($id, Some(&args))
    }};
}

/// The ids of the messages and attributes of a Fluent source (`id`, `id.attribute`), in order:
/// for the test that both languages have the same.
pub fn ids(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut message = None;
    for line in source.lines() {
        let is_id = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if let Some((name, _)) = line.split_once(" =").filter(|(n, _)| is_id(n) && !n.contains(' ')) {
            message = Some(name.to_string());
            out.push(name.to_string());
        } else if let Some((attr, _)) = line.trim_start().strip_prefix('.').and_then(|l| l.split_once(" =")) {
            if line.starts_with(' ') && is_id(attr) {
                if let Some(m) = &message {
                    out.push(format!("{m}.{attr}"));
                }
            }
        } else if line.starts_with('#') || (!line.is_empty() && !line.starts_with(' ')) {
            message = None;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_lang_then_the_environment() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| OsString::from(v))
        };
        let none = env(&[]);
        assert_eq!(choose_from(&args(&["parlog", "log"]), none), Lang::Nl);
        assert_eq!(choose_from(&args(&["parlog", "log"]), env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(choose_from(&args(&["parlog", "log"]), env(&[("LANG", "C.UTF-8")])), Lang::Nl);
        assert_eq!(choose_from(&args(&["parlog", "log"]), env(&[("LANG", "de_DE.UTF-8")])), Lang::Nl);
        let both = env(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "nl_NL.UTF-8")]);
        assert_eq!(choose_from(&args(&["parlog", "log"]), both), Lang::Nl);
        let messages = env(&[("LANG", "nl_NL.UTF-8"), ("LC_MESSAGES", "en_GB.UTF-8"), ("LC_ALL", "")]);
        assert_eq!(choose_from(&args(&["parlog", "log"]), messages), Lang::En);
        assert_eq!(choose_from(&args(&["parlog", "--lang", "en", "log"]), none), Lang::En);
        assert_eq!(choose_from(&args(&["parlog", "log", "--lang=en"]), none), Lang::En);
        let en = env(&[("LANG", "en_US.UTF-8")]);
        assert_eq!(choose_from(&args(&["parlog", "--lang", "nl", "log"]), en), Lang::Nl);
        assert_eq!(choose_from(&args(&["parlog", "--lang", "de", "log"]), en), Lang::En);
        assert_eq!(choose_from(&args(&["parlog", "log"]), env(&[("PARLOG_LANG", "en"), ("LANG", "nl_NL")])), Lang::En);
        assert_eq!(choose_from(&args(&["parlog", "append", "--", "--lang", "en"]), none), Lang::Nl);
    }
}
