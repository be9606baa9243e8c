//! Identifiers. Each is a newtype whose constructor checks the form, so a value of the type is
//! always valid and never needs checking again.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::limits::ID_CHARS_MAX;

/// Place of an event in the global log: gapless, starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Position(pub u64);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Unique id of an event, chosen by the client (for idempotent retries) or by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub Uuid);

impl EventId {
    pub fn new_random() -> Self {
        EventId(Uuid::new_v4())
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Uuid::parse_str(s.trim()).map(EventId).map_err(|_| {
            format!("expected an event id (a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8), got {s:?}")
        })
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EventId::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn check_slug(s: &str, what: &str, example: &str) -> Result<(), String> {
    // Fast path over bytes for the usual valid id (every stored id is read through here); any
    // other input takes the path below, which writes the message.
    let ok_byte = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.');
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= ID_CHARS_MAX && b[0].is_ascii_alphanumeric() && b.iter().all(ok_byte) {
        return Ok(());
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
    if s.is_empty() || s.chars().count() > ID_CHARS_MAX {
        return Err(format!("expected {what} of 1 to {ID_CHARS_MAX} characters such as {example:?}, got {s:?}"));
    }
    if !s.chars().all(ok_char) || !s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "expected {what} of lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, such as {example:?}, got {s:?}"
        ));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident, $what:expr, $example:expr, $check:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(s)?;
                Ok($name(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        // Hashes and compares as its text (a derived newtype impl does), so maps keyed by it
        // can be searched with a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A participant (author of events): a researcher, makelaar, resident, organisation, ….
    ParticipantId,
    "a participant id",
    "makelaar-noord-1",
    |s| check_slug(s, "a participant id", "makelaar-noord-1")
);

string_id!(
    /// A study: the unit of tenancy (its own log, chain, subject keys and checkpoint). The slug
    /// names its folder (`studies/<slug>/`) and its routes (`/api/v1/studies/<slug>/…`), so it is
    /// short and plain: 1 to 40 lower-case letters, digits and single hyphens, starting with a
    /// letter and not ending with a hyphen.
    StudySlug,
    "a study slug",
    "gouda",
    check_study_slug
);

/// The longest study slug: it is a folder name and a path segment, and is typed by hand.
pub const STUDY_SLUG_CHARS_MAX: usize = 40;

fn check_study_slug(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = (1..=STUDY_SLUG_CHARS_MAX).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a study slug of 1 to {STUDY_SLUG_CHARS_MAX} lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen, such as \"gouda\" or \"delft-2025\", got {s:?}"
        ))
    }
}

impl StudySlug {
    /// The slugs `parse` accepts, as an anchored regular expression (with the length, which
    /// it does not say: at most `STUDY_SLUG_CHARS_MAX`).
    pub fn pattern() -> String {
        "^[a-z](-?[a-z0-9])*$".into()
    }

    /// A slug made from a name ("Den Haag" → "den-haag", "Súdwest-Fryslân" → "sudwest-fryslan"),
    /// or `None` when the name has no letter to start one with.
    pub fn from_name(name: &str) -> Option<StudySlug> {
        let mut out = String::new();
        for c in name.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                if out.is_empty() && !c.is_ascii_alphabetic() {
                    continue;
                }
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(STUDY_SLUG_CHARS_MAX);
        StudySlug::parse(out.trim_end_matches('-')).ok()
    }
}

/// The letter without its accent, for the accented letters of the languages spoken in the
/// Netherlands and its neighbours; anything else as it is.
fn fold_accent(c: char) -> std::iter::Once<char> {
    const FROM: &str = "àáâãäåèéêëìíîïòóôõöùúûüýÿçñÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÇÑ";
    const TO: &str = "aaaaaaeeeeiiiiooooouuuuyycnAAAAAAEEEEIIIIOOOOOUUUUYCN";
    std::iter::once(FROM.chars().position(|f| f == c).and_then(|i| TO.chars().nth(i)).unwrap_or(c))
}

string_id!(
    /// A data subject whose personal data may be sealed in events and later forgotten:
    /// `participant:<id>` or `resident:<id>`. The id itself must be a pseudonym, never a name.
    SubjectId,
    "a data subject id",
    "resident:r-017",
    check_subject
);

string_id!(
    /// A stream: `<category>:<name>`, such as `initiative:papierwinkel`. The category says what
    /// kind of thing the stream is about (see `Category`).
    StreamId,
    "a stream id",
    "initiative:papierwinkel",
    check_stream
);

fn check_subject(s: &str) -> Result<(), String> {
    const HINT: &str = "expected a data subject id `participant:<id>` or `resident:<id>` such as \"resident:r-017\"";
    let Some((kind, rest)) = s.split_once(':') else {
        return Err(format!("{HINT}, got {s:?}"));
    };
    if kind != "participant" && kind != "resident" {
        return Err(format!("{HINT}, got {s:?}"));
    }
    check_slug(rest, "a data subject id", "resident:r-017").map_err(|_| format!("{HINT}, got {s:?}"))
}

fn check_stream(s: &str) -> Result<(), String> {
    let Some((cat, rest)) = s.split_once(':') else {
        return Err(format!(
            "expected a stream id `<category>:<name>` such as \"initiative:papierwinkel\" (categories: {}), got {s:?}",
            Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
        ));
    };
    Category::parse(cat)?;
    check_slug(rest, "a stream name", "papierwinkel").map_err(|e| format!("stream {s:?}: {e}"))
}

impl StreamId {
    pub fn category(&self) -> Category {
        let cat = self.0.split_once(':').map(|(c, _)| c).unwrap_or_default();
        Category::parse(cat).expect("a StreamId is checked on construction")
    }
    /// The part after the category: `papierwinkel` in `initiative:papierwinkel`.
    pub fn name(&self) -> &str {
        self.0.split_once(':').map(|(_, n)| n).unwrap_or_default()
    }
}

impl SubjectId {
    pub fn for_participant(p: &ParticipantId) -> Self {
        SubjectId(format!("participant:{p}"))
    }
}

/// What a stream is about. A stream's category fixes which event kinds may be written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Study,
    Participant,
    Area,
    Cycle,
    Role,
    Notes,
    Signals,
    Initiative,
    Network,
    Code,
    Coding,
    Memo,
    Privacy,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::Study,
        Category::Participant,
        Category::Area,
        Category::Cycle,
        Category::Role,
        Category::Notes,
        Category::Signals,
        Category::Initiative,
        Category::Network,
        Category::Code,
        Category::Coding,
        Category::Memo,
        Category::Privacy,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Study => "study",
            Category::Participant => "participant",
            Category::Area => "area",
            Category::Cycle => "cycle",
            Category::Role => "role",
            Category::Notes => "notes",
            Category::Signals => "signals",
            Category::Initiative => "initiative",
            Category::Network => "network",
            Category::Code => "code",
            Category::Coding => "coding",
            Category::Memo => "memo",
            Category::Privacy => "privacy",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Category::ALL.iter().copied().find(|c| c.as_str() == s).ok_or_else(|| {
            format!(
                "unknown stream category {s:?}; expected one of: {}",
                Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// The 32-byte blake3 hash that links an event to the one before it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub const ZERO: Hash = Hash([0; 32]);
    pub fn to_hex(&self) -> String {
        crate::envelope::hex(&self.0)
    }
    pub fn from_hex(s: &str) -> Result<Self, String> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(format!("expected a hash of 64 hexadecimal digits, got {s:?}"));
        }
        let mut out = [0u8; 32];
        for (i, chunk) in bytes.chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).map_err(|_| format!("not hexadecimal: {s:?}"))?;
            out[i] = u8::from_str_radix(hex, 16).map_err(|_| format!("not hexadecimal: {s:?}"))?;
        }
        Ok(Hash(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hash::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

// ---- JSON schemas: the forms the parsers above accept, for the API's OpenAPI document ---------

/// What `check_slug` accepts, as a regular expression (without anchors).
fn slug_pattern() -> String {
    format!("[a-z0-9][a-z0-9._-]{{0,{}}}", ID_CHARS_MAX - 1)
}

impl ParticipantId {
    /// The ids `parse` accepts, as an anchored regular expression.
    pub fn pattern() -> String {
        format!("^{}$", slug_pattern())
    }
}

impl StreamId {
    /// The ids of these categories that `parse` accepts, as an anchored regular expression.
    pub fn pattern(categories: &[Category]) -> String {
        let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
        format!("^({}):{}$", names.join("|"), slug_pattern())
    }
}

impl SubjectId {
    /// The ids `parse` accepts, as an anchored regular expression.
    pub fn pattern() -> String {
        format!("^(participant|resident):{}$", slug_pattern())
    }
}

macro_rules! string_schema {
    ($name:ident, $schema:expr) => {
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $schema
            }
        }
    };
}

string_schema!(EventId, schemars::json_schema!({"type": "string", "format": "uuid"}));
string_schema!(ParticipantId, schemars::json_schema!({"type": "string", "pattern": ParticipantId::pattern()}));
string_schema!(
    StudySlug,
    schemars::json_schema!({"type": "string", "pattern": StudySlug::pattern(), "minLength": 1, "maxLength": STUDY_SLUG_CHARS_MAX})
);
string_schema!(SubjectId, schemars::json_schema!({"type": "string", "pattern": SubjectId::pattern()}));
string_schema!(StreamId, schemars::json_schema!({"type": "string", "pattern": StreamId::pattern(&Category::ALL)}));

#[cfg(test)]
mod study_slug_tests {
    use super::StudySlug;

    #[test]
    fn slugs_are_plain_and_names_fold_into_them() {
        for ok in ["gouda", "den-haag", "a", "delft-2025", &"a".repeat(40)] {
            assert!(StudySlug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Gouda", "1gouda", "-a", "a-", "a--b", "a_b", "a.b", &"a".repeat(41)] {
            assert!(StudySlug::parse(bad).is_err(), "{bad}");
        }
        let from = |n: &str| StudySlug::from_name(n).map(|s| s.to_string());
        assert_eq!(from("Den Haag").as_deref(), Some("den-haag"));
        assert_eq!(from("Súdwest-Fryslân").as_deref(), Some("sudwest-fryslan"));
        assert_eq!(from("  's-Hertogenbosch ").as_deref(), Some("s-hertogenbosch"));
        assert_eq!(from("2025 Delft").as_deref(), Some("delft"));
        assert_eq!(from("123 --"), None);
    }
}
