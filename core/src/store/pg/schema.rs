//! The schema parlog keeps in PostgreSQL, and its migrations.
//!
//! Everything lives in the schema `parlog`. Migrations are numbered and applied in order, each in
//! one transaction under an advisory lock (so two processes starting together do not race), and
//! recorded in `parlog.migrations`. A database migrated by a newer parlog is refused, not used.
//!
//! The study is the first column of every key: it is the distribution key. With Citus the same
//! tables are distributed by `study` and co-located (see ARCHITECTURE.md), so that every
//! statement parlog sends names one study and runs on the one node that holds it.

/// The advisory lock key migrations take ("parlog" in ASCII).
pub(crate) const MIGRATION_LOCK: i64 = 0x7061_726c_6f67;

/// `(version, name, SQL)`, in order. Never edit a published migration: add one.
pub(crate) const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "studies and their events",
        r#"
CREATE TABLE parlog.studies (
    study text PRIMARY KEY CHECK (study ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(study) <= 40),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- One row per event. `record` is the stored form (format byte 1, parlog-core's `encode`), the
-- bytes the hash covers; the other columns repeat what readers look events up by, and verify
-- holds them to the record. The sealed part's ciphertext is apart so that a forget can remove
-- it (set to NULL) while the record, and so the chain, stays as it is.
CREATE TABLE parlog.events (
    study text NOT NULL REFERENCES parlog.studies (study),
    position bigint NOT NULL CHECK (position > 0),
    id uuid NOT NULL,
    stream text NOT NULL,
    stream_version bigint NOT NULL CHECK (stream_version > 0),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    record bytea NOT NULL,
    retry bytea NOT NULL CHECK (length(retry) = 64),
    ciphertext bytea,
    forgets text,
    PRIMARY KEY (study, position),
    UNIQUE (study, id),
    UNIQUE (study, stream, stream_version)
);
CREATE INDEX events_forgets ON parlog.events (study, forgets) WHERE forgets IS NOT NULL;
-- The log is append-only: a row is never deleted, and the one change allowed is removing the
-- ciphertext of a forgotten subject. A superuser can switch this off; verify finds what follows.
CREATE FUNCTION parlog.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'parlog events are never deleted';
    END IF;
    IF NEW.ciphertext IS NOT NULL
        OR (NEW.study, NEW.position, NEW.id, NEW.stream, NEW.stream_version, NEW.hash, NEW.record, NEW.retry, NEW.forgets)
           IS DISTINCT FROM
           (OLD.study, OLD.position, OLD.id, OLD.stream, OLD.stream_version, OLD.hash, OLD.record, OLD.retry, OLD.forgets)
    THEN
        RAISE EXCEPTION 'parlog events are never changed; only a forget removes a ciphertext';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON parlog.events
    FOR EACH ROW EXECUTE FUNCTION parlog.events_append_only();
"#,
    ),
    (
        2,
        "the head each study's writer committed last",
        r#"
-- Written in the same statement as each group's rows, so that rows lost from the end of a study
-- (a partial restore, a DELETE with the trigger switched off) are noticed when it is opened and by
-- verify, not taken for a shorter log.
ALTER TABLE parlog.studies
    ADD COLUMN head_position bigint NOT NULL DEFAULT 0 CHECK (head_position >= 0),
    ADD COLUMN head_hash bytea CHECK (head_hash IS NULL OR length(head_hash) = 32);
UPDATE parlog.studies s SET head_position = e.position, head_hash = e.hash
FROM (SELECT DISTINCT ON (study) study, position, hash FROM parlog.events ORDER BY study, position DESC) e
WHERE e.study = s.study;
"#,
    ),
];

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(crate) const CREATE_SCHEMA: &str = r#"
CREATE SCHEMA IF NOT EXISTS parlog;
CREATE TABLE IF NOT EXISTS parlog.migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"#;
