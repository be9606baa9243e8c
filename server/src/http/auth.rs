//! Bearer tokens and roles. Tokens are created with `parlog token create` or the API, shown
//! once, and kept hashed (blake3) in the token journal `tokens` in the data folder
//! (`auth/journal.rs`: its format and its contract with concurrent writers and readers, also in
//! other processes).

mod journal;

use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use parlog_core::{Category, EventKind, ParticipantId, ParticipantRole, StreamId, Vocabulary};
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

/// A token as listed: who was given access, as what, when, and whether it was revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    pub id: String,
    pub participant: ParticipantId,
    pub role: Role,
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

    /// Checks the token journal of `data` without writing anything: for `parlog verify`.
    pub fn verify(data: &Path) -> Result<TokenSummary, TokenFileError> {
        journal::verify(data)
    }

    /// `verify` as `parlog verify` reports: damage as findings (naming the file and the byte
    /// offset), the rest as notes.
    pub fn findings(data: &Path) -> (Vec<parlog_core::Finding>, Vec<String>) {
        journal::findings(data)
    }

    /// Creates a token; returns its record and the secret token, which is not kept. Answers
    /// only once the token is durable.
    pub fn create(&self, participant: ParticipantId, role: Role) -> Result<(TokenRecord, String), TokenFileError> {
        let secret = hex(&random::<24>());
        let hash = blake3::hash(secret.as_bytes()).to_hex().to_string();
        let record = self.journal.write(|state| {
            let id = (0..TOKEN_ID_DRAWS_MAX)
                .map(|_| hex(&random::<6>()))
                .find(|id| !state.contains(id))
                .expect("48 random bits do not collide eight times");
            let record = TokenRecord { id, participant, role, hash, created_at: journal::now(), revoked_at: None };
            Ok((Some(Entry::created(&record)), record))
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
        Ok(Caller { participant: t.participant.clone(), role: t.role, token_id: t.id.clone() })
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
    pub role: Role,
    pub token_id: String,
}

impl Caller {
    pub fn require(&self, ok: bool, what: &str) -> Result<(), ApiError> {
        if ok {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("role {} may not {what}", self.role.as_str())))
        }
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
