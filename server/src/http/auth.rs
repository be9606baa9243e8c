//! Bearer tokens and roles. Tokens are created with `parlog token create` or the API, shown
//! once, and kept hashed (blake3) in the token journal `tokens` in the data folder
//! (`auth/journal.rs`: its format and its contract with concurrent writers and readers, also in
//! other processes).

mod journal;

use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::BTreeMap;

use parlog_core::{Category, EventKind, ParticipantId, ParticipantRole, StreamId, StudySlug, Vocabulary};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::state::AppState;
use journal::{Entry, Journal};
pub use journal::{TokenFileError, TokenSummary, TornTail, JOURNAL_FILE, LEGACY_FILE};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Field notes, signals, initiatives, connections.
    Makelaar,
    /// Everything a makelaar may, plus cycles, reflections, method and role changes, codes, memos.
    Researcher,
    /// Reads projections and reports; no sealed text, no raw events.
    Viewer,
    /// Tokens, forget, verify; reads the log without sealed text.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Makelaar, Role::Researcher, Role::Viewer, Role::Admin];
    pub fn parse(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected one of: makelaar, researcher, viewer, admin"))
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Makelaar => "makelaar",
            Role::Researcher => "researcher",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }
    /// Whether this role may append events of a kind.
    pub fn may_append(self, kind: EventKind) -> bool {
        use EventKind::*;
        match self {
            Role::Researcher => kind != SubjectForgotten,
            Role::Makelaar => matches!(
                kind,
                ObservationRecorded
                    | SignalRaised
                    | SignalsCollectivised
                    | InitiativeStarted
                    | InitiativeStageChanged
                    | BrokerRoleSet
                    | InitiativeHandedOver
                    | InitiativeStopped
                    | ConnectionMade
                    | ParticipantRegistered
                    | EventAmended
                    | EventRetracted
            ),
            Role::Viewer | Role::Admin => false,
        }
    }
    /// Whether this role's caller (`participant`) may write to `stream`. Field notes are a
    /// makelaar's own record, sealed text about the people they meet: a makelaar writes to
    /// their own `notes:<participant>` stream only, so that no one can add to, amend or retract
    /// another makelaar's notes. Researchers and the other roles are not limited here.
    pub fn may_write_to(self, participant: &ParticipantId, stream: &StreamId) -> bool {
        self != Role::Makelaar || stream.category() != Category::Notes || stream.name() == participant.as_str()
    }
    /// Makelaars register the people and organisations of their initiatives, not staff.
    pub fn may_register(self, role: ParticipantRole) -> bool {
        match self {
            Role::Researcher => true,
            Role::Makelaar => {
                matches!(role, ParticipantRole::Resident | ParticipantRole::Volunteer | ParticipantRole::Organisation)
            }
            _ => false,
        }
    }
    pub fn reads_events(self) -> bool {
        self != Role::Viewer
    }
    pub fn reads_sealed(self) -> bool {
        matches!(self, Role::Makelaar | Role::Researcher)
    }
    pub fn allowed_kinds(self) -> Vec<&'static str> {
        EventKind::ALL.iter().filter(|k| self.may_append(**k)).map(|k| k.name()).collect()
    }
}

/// A participant role label, for messages.
pub fn role_label(r: ParticipantRole) -> &'static str {
    r.id()
}

/// Where a study's files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyLocation {
    /// The data folder itself: the one study of a folder made by the previous release, read as
    /// it is (its files were not moved, so that nothing can be half moved).
    Root,
    /// `studies/<slug>/` in the data folder.
    Folder,
}

/// A study in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyRecord {
    pub slug: StudySlug,
    pub name: String,
    pub municipality: String,
    pub location: StudyLocation,
    pub created_at: String,
    pub archived_at: Option<String>,
}

/// The longest study name and municipality, in characters.
pub const STUDY_NAME_CHARS_MAX: usize = 200;

/// A token as listed: who was given access, as what in which study, when, and whether it was
/// revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    pub id: String,
    pub participant: ParticipantId,
    /// The token's role in each study it may reach; no other study exists for it.
    pub grants: BTreeMap<StudySlug, Role>,
    /// Manages studies (creates, archives, grants) across the institute; reads no study's
    /// data unless it has a role there too.
    pub institute_admin: bool,
    /// blake3 of the secret, hex.
    pub hash: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// The tokens of a data folder, kept in the token journal (`journal.rs`) and cached in memory;
/// a request sees every create and revoke answered before it began, by this process or another.
pub struct Tokens {
    journal: Journal,
}

const TOKEN_PREFIX: &str = "plg_";
/// How often `create` draws a new id when the one drawn is taken (48 random bits: never, in
/// practice).
const TOKEN_ID_DRAWS_MAX: usize = 8;

impl Tokens {
    /// Reads the token journal of `data`, importing an old `tokens.json` first; refuses a
    /// damaged journal, naming the byte offset.
    pub fn open(data: &Path) -> Result<Tokens, TokenFileError> {
        Ok(Tokens { journal: Journal::open(data)? })
    }

    /// The study registry of `data`, read without writing anything.
    pub fn studies_read_only(data: &Path) -> Result<Vec<StudyRecord>, TokenFileError> {
        journal::studies_read_only(data)
    }

    /// Checks the token journal of `data` without writing anything: for `parlog verify`.
    pub fn verify(data: &Path) -> Result<TokenSummary, TokenFileError> {
        journal::verify(data)
    }

    /// `verify` as `parlog verify` reports: damage as findings (naming the file and the byte
    /// offset), the rest as notes.
    pub fn findings(data: &Path) -> (Vec<parlog_core::Finding>, Vec<String>) {
        journal::findings(data)
    }

    /// The studies in the registry, in the order created (archived ones too).
    pub fn studies(&self) -> Result<Vec<StudyRecord>, TokenFileError> {
        Ok(self.journal.current()?.studies.clone())
    }

    /// One study of the registry (archived too), without copying the others: every request to
    /// a study asks, and a server may hold a thousand.
    pub fn study(&self, slug: &StudySlug) -> Result<Option<StudyRecord>, TokenFileError> {
        Ok(self.journal.current()?.study(slug).cloned())
    }

    /// Adds a study to the registry. Refuses a slug that was ever used, and a second study at
    /// the folder's root. Answers once the entry is durable.
    pub fn create_study(
        &self,
        slug: StudySlug,
        name: &str,
        municipality: &str,
        location: StudyLocation,
    ) -> Result<StudyRecord, TokenFileError> {
        self.journal.write(|state| {
            if state.study(&slug).is_some() {
                return Err(TokenFileError::StudyExists { slug: slug.to_string() });
            }
            let record = StudyRecord {
                slug,
                name: name.to_string(),
                municipality: municipality.to_string(),
                location,
                created_at: journal::now(),
                archived_at: None,
            };
            Ok((Some(Entry::study_created(&record)), record))
        })
    }

    /// Archives a study: it still reads, and takes no more events. `Ok(false)` if there is no
    /// such study; archiving an archived study changes nothing.
    pub fn archive_study(&self, slug: &StudySlug) -> Result<bool, TokenFileError> {
        self.journal.write(|state| {
            Ok(match state.study(slug) {
                None => (None, false),
                Some(s) if s.archived_at.is_some() => (None, true),
                Some(_) => (Some(Entry::study_archived(slug)), true),
            })
        })
    }

    /// Creates a token with a role in each study of `grants` (which must be in the registry);
    /// returns its record and the secret token, which is not kept. Answers only once the token
    /// is durable.
    pub fn create(
        &self,
        participant: ParticipantId,
        grants: BTreeMap<StudySlug, Role>,
        institute_admin: bool,
    ) -> Result<(TokenRecord, String), TokenFileError> {
        let secret = hex(&random::<24>());
        let hash = blake3::hash(secret.as_bytes()).to_hex().to_string();
        let record = self.journal.write(|state| {
            if let Some(s) = grants.keys().find(|s| state.study(s).is_none()) {
                return Err(TokenFileError::NoSuchStudy { slug: s.to_string() });
            }
            let id = (0..TOKEN_ID_DRAWS_MAX)
                .map(|_| hex(&random::<6>()))
                .find(|id| !state.contains(id))
                .expect("48 random bits do not collide eight times");
            let record = TokenRecord {
                id,
                participant,
                grants,
                institute_admin,
                hash,
                created_at: journal::now(),
                revoked_at: None,
            };
            Ok((Some(Entry::issued(&record)), record))
        })?;
        let token = format!("{TOKEN_PREFIX}{}_{secret}", record.id);
        Ok((record, token))
    }

    /// Every token ever made, in the order made.
    pub fn list(&self) -> Result<Vec<TokenRecord>, TokenFileError> {
        Ok(self.journal.current()?.records.clone())
    }

    /// Revokes a token by id; `Ok(false)` if there is no such token. Revoking a revoked token
    /// changes nothing (the first revocation's time stays). In effect for every request that
    /// begins after it returns.
    pub fn revoke(&self, id: &str) -> Result<bool, TokenFileError> {
        self.journal.write(|state| {
            Ok(match state.find(id) {
                None => (None, false),
                Some((t, _)) if t.revoked_at.is_some() => (None, true),
                Some(_) => (Some(Entry::revoked(id, journal::now())), true),
            })
        })
    }

    /// Gives token `id` a role in `study` (replacing the role it had there). `Ok(false)` if
    /// there is no such token or it was revoked; giving the role it has changes nothing.
    pub fn grant(&self, id: &str, study: &StudySlug, role: Role) -> Result<bool, TokenFileError> {
        self.journal.write(|state| {
            if state.study(study).is_none() {
                return Err(TokenFileError::NoSuchStudy { slug: study.to_string() });
            }
            Ok(match state.find(id) {
                None => (None, false),
                Some((t, _)) if t.revoked_at.is_some() => (None, false),
                Some((t, _)) if t.grants.get(study) == Some(&role) => (None, true),
                Some(_) => (Some(Entry::granted(id, study, role)), true),
            })
        })
    }

    /// Takes token `id`'s role in `study` away. `Ok(false)` if the token has none there (or
    /// does not exist, or was revoked).
    pub fn ungrant(&self, id: &str, study: &StudySlug) -> Result<bool, TokenFileError> {
        self.journal.write(|state| {
            Ok(match state.find(id) {
                Some((t, _)) if t.revoked_at.is_none() && t.grants.contains_key(study) => {
                    (Some(Entry::ungranted(id, study)), true)
                }
                _ => (None, false),
            })
        })
    }

    /// The caller a bearer token belongs to, if it is valid and not revoked.
    pub fn check(&self, token: &str) -> Result<Caller, ApiError> {
        let bad = || {
            ApiError::Unauthorized(
                "the token is not valid or was revoked; ask an admin for a new one (`parlog token create`)".into(),
            )
        };
        let rest = token.strip_prefix(TOKEN_PREFIX).ok_or_else(bad)?;
        let (id, secret) = rest.split_once('_').ok_or_else(bad)?;
        let state = self.journal.current().map_err(|e| ApiError::Internal(format!("reading tokens: {e}")))?;
        let (t, stored) = state.find(id).filter(|(t, _)| t.revoked_at.is_none()).ok_or_else(bad)?;
        // blake3::Hash compares in constant time.
        if blake3::hash(secret.as_bytes()) != *stored {
            return Err(bad());
        }
        Ok(Caller {
            participant: t.participant.clone(),
            token_id: t.id.clone(),
            grants: t.grants.clone(),
            institute_admin: t.institute_admin,
        })
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the operating system provides randomness");
    b
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub participant: ParticipantId,
    pub token_id: String,
    /// The caller's role in each study it may reach.
    pub grants: BTreeMap<StudySlug, Role>,
    pub institute_admin: bool,
}

impl Caller {
    /// The caller's role in `study`; `None`: for this caller the study does not exist.
    pub fn role_in(&self, study: &StudySlug) -> Option<Role> {
        self.grants.get(study).copied()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = match header.and_then(|h| h.strip_prefix("Bearer ")) {
            Some(t) => t.trim(),
            None => {
                return Err(ApiError::Unauthorized(
                    "missing bearer token: send the header `Authorization: Bearer plg_…` with a token from `parlog token create`".into(),
                ))
            }
        };
        state.tokens.check(token)
    }
}
