//! Value types used inside payloads: checked texts, lists, dates and times. Their
//! deserializers produce the messages users see, so each says what was expected and what came.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::{LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, SHORT_TEXT_CHARS_MAX};

/// A text of at most `MAX` characters that is not blank.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

/// A name, a theme, a title: at most [`SHORT_TEXT_CHARS_MAX`] characters.
pub type ShortText = Text<SHORT_TEXT_CHARS_MAX>;
/// A plan, a reflection, a note: at most [`LONG_TEXT_CHARS_MAX`] characters.
pub type LongText = Text<LONG_TEXT_CHARS_MAX>;

impl<const MAX: usize> Text<MAX> {
    pub fn new(s: impl Into<String>) -> Result<Self, String> {
        let s = s.into();
        let chars = s.chars().count();
        if s.trim().is_empty() {
            return Err("expected a text, got an empty one; leave the field out if it has no value".into());
        }
        if chars > MAX {
            return Err(format!(
                "text is {chars} characters, over the limit of {MAX}; shorten it or split it over several events"
            ));
        }
        Ok(Text(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Text::new(s).map_err(serde::de::Error::custom)
    }
}

/// A list of at most [`LIST_ITEMS_MAX`] items. Absent in JSON means empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> List<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<T>::deserialize(d)?;
        if v.len() > LIST_ITEMS_MAX {
            return Err(serde::de::Error::custom(format!(
                "list has {} items, over the limit of {LIST_ITEMS_MAX}",
                v.len()
            )));
        }
        Ok(List(v))
    }
}

/// A moment with its UTC offset, as written in the field (RFC 3339).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl Timestamp {
    /// Now, in UTC, to the microsecond (the stored precision).
    pub fn now_utc() -> Self {
        Timestamp::from_parts(Utc::now().timestamp_micros(), 0).expect("now is in range")
    }
    /// Parses RFC 3339; finer than microseconds is cut off, since that is what is stored.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| format!("expected an RFC 3339 date and time such as 2018-01-01T09:00:00+01:00, got {s:?}"))?;
        Timestamp::from_parts(t.timestamp_micros(), t.offset().local_minus_utc())
            .ok_or_else(|| format!("date and time out of range: {s:?}"))
    }
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }
    /// Microseconds since 1970-01-01 UTC: the stored form.
    pub fn micros(&self) -> i64 {
        self.0.timestamp_micros()
    }
    pub fn offset_secs(&self) -> i32 {
        self.0.offset().local_minus_utc()
    }
    pub fn from_parts(micros: i64, offset_secs: i32) -> Option<Self> {
        let utc = DateTime::<Utc>::from_timestamp_micros(micros)?;
        let off = FixedOffset::east_opt(offset_secs)?;
        Some(Timestamp(utc.with_timezone(&off)))
    }
    pub fn date(&self) -> NaiveDate {
        self.0.date_naive()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar day (ISO 8601, `2018-01-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    pub fn parse(s: &str) -> Result<Self, String> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Date)
            .map_err(|_| format!("expected a date such as 2018-01-01, got {s:?}"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---- JSON schemas: what the deserializers above accept, for the API's OpenAPI document --------

impl<const MAX: usize> Text<MAX> {
    /// Matches a text that holds something besides white space: a character outside what Rust's
    /// `trim` removes (Unicode White_Space), spelled out because `\S` differs between regular
    /// expression dialects (Python's counts U+001C to U+001F as space, Rust's `trim` does not).
    pub const NOT_BLANK_PATTERN: &'static str =
        "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
}

impl<const MAX: usize> schemars::JsonSchema for Text<MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Text{MAX}").into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "minLength": 1, "maxLength": MAX, "pattern": Self::NOT_BLANK_PATTERN})
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for List<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("List_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "array", "maxItems": LIST_ITEMS_MAX, "items": generator.subschema_for::<T>()})
    }
}

impl schemars::JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time", "example": "2018-01-01T09:00:00+01:00"})
    }
}

impl schemars::JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date", "example": "2018-01-01"})
    }
}
