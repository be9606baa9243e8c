//! Bearer tokens and roles. Tokens are created with `parlog token create`, shown once, and kept
//! hashed (blake3) in `tokens.json` in the data folder; the server rereads the file when it
//! changes, so tokens made or revoked from the command line take effect at once.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{SecondsFormat, Utc};
use parlog_core::{Category, EventKind, ParticipantId, ParticipantRole, StreamId, Vocabulary};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::state::AppState;

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub participant: ParticipantId,
    pub role: Role,
    /// blake3 of the secret, hex.
    pub hash: String,
    pub created_at: String,
    #[serde(default)]
    pub revoked_at: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    tokens: Vec<TokenRecord>,
}

/// The token file, cached in memory and reread when it changes on disk.
pub struct Tokens {
    path: PathBuf,
    cache: RwLock<(Option<SystemTime>, Vec<TokenRecord>)>,
}

const TOKEN_PREFIX: &str = "plg_";

impl Tokens {
    pub fn new(data: &Path) -> Tokens {
        Tokens { path: data.join("tokens.json"), cache: RwLock::new((None, Vec::new())) }
    }

    fn load(&self) -> std::io::Result<Vec<TokenRecord>> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice::<TokenFile>(&b).map(|f| f.tokens).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn current(&self) -> std::io::Result<Vec<TokenRecord>> {
        let mtime = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        {
            let c = self.cache.read().expect("token cache lock");
            if c.0 == mtime && mtime.is_some() {
                return Ok(c.1.clone());
            }
        }
        let tokens = self.load()?;
        *self.cache.write().expect("token cache lock") = (mtime, tokens.clone());
        Ok(tokens)
    }

    fn save(&self, tokens: &[TokenRecord]) -> std::io::Result<()> {
        let body = serde_json::to_vec_pretty(&TokenFile { tokens: tokens.to_vec() }).expect("JSON");
        let tmp = self.path.with_extension("tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        *self.cache.write().expect("token cache lock") = (None, Vec::new());
        Ok(())
    }

    /// Creates a token; returns its record and the secret token, which is not kept.
    pub fn create(&self, participant: ParticipantId, role: Role) -> std::io::Result<(TokenRecord, String)> {
        let mut tokens = self.load()?;
        let id: String = hex(&random::<6>());
        let secret = hex(&random::<24>());
        let record = TokenRecord {
            id: id.clone(),
            participant,
            role,
            hash: blake3::hash(secret.as_bytes()).to_hex().to_string(),
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            revoked_at: None,
        };
        tokens.push(record.clone());
        self.save(&tokens)?;
        Ok((record, format!("{TOKEN_PREFIX}{id}_{secret}")))
    }

    pub fn list(&self) -> std::io::Result<Vec<TokenRecord>> {
        self.load()
    }

    /// Revokes a token by id; `Ok(false)` if there is no such token.
    pub fn revoke(&self, id: &str) -> std::io::Result<bool> {
        let mut tokens = self.load()?;
        let Some(t) = tokens.iter_mut().find(|t| t.id == id) else { return Ok(false) };
        if t.revoked_at.is_none() {
            t.revoked_at = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        self.save(&tokens)?;
        Ok(true)
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
        let tokens = self.current().map_err(|e| ApiError::Internal(format!("reading tokens: {e}")))?;
        let t = tokens.iter().find(|t| t.id == id && t.revoked_at.is_none()).ok_or_else(bad)?;
        let given = blake3::hash(secret.as_bytes());
        let stored = blake3::Hash::from_hex(&t.hash)
            .map_err(|_| ApiError::Internal(format!("token {id} has a damaged hash")))?;
        // blake3::Hash compares in constant time.
        if given != stored {
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
