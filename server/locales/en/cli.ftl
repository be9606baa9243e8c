# The parlog command line in English. The Dutch file (../nl/cli.ftl) holds the same messages in
# the same order; a test holds them to each other and to the source (server/src/cli/lang.rs).

## Commands and options: cmd-<command path>, its long help as .long, each option by its id.

cmd-parlog = An event-sourced, tamper-evident log for participatory action research
    .data = The data folder.
    .store = Where the studies' events are kept: the embedded store in the data folder (the default; a folder given here is the data folder), or a PostgreSQL database such as postgres://parlog@db.example/parlog, which then holds every study's events while the data folder keeps the tokens, the study registry and each study's subject keys.
    .master_key_file = The master key file that wraps the subject keys (by default DATA.master-key beside the data folder, or a passphrase in PARLOG_MASTER_PASSPHRASE).
    .study = The study a command acts on (`parlog study list` shows them); needed only when the data folder holds more than one.
    .lang = The language of what parlog says and of the views and reports it prints: nl or en (by default English when the locale, LC_ALL, LC_MESSAGES or LANG, is English, else Dutch). JSON is in Dutch unless --lang says otherwise.
cmd-help = Print this help or the help of the given command
    .subcommand = The command.
arg-help = Print help
arg-version = Print the version
cmd-init = Create the data folder (does nothing if it exists); add studies with `parlog study create`.
cmd-study = Create, list or archive the studies of the data folder.
cmd-study-create = Create a study: its own log, hash chain, subject keys and projections, in studies/SLUG/ of the data folder (made if there is none).
    .slug = 1 to 40 lower-case letters, digits and single hyphens, such as `delft` or `den-haag-2025`; it names the study in commands and addresses, for good.
    .name = The study's name, as people see it.
    .municipality = The municipality it takes place in.
cmd-study-list = List the studies: slug, name, municipality, state and where its files are.
cmd-study-archive = Archive a study: it can still be read, verified and exported, and takes no more events.
    .slug = The study's slug.
cmd-append = Append events from FILE (or standard input with `-`): NDJSON or a JSON array, one atomic batch. Prints each event's position and id.
    .file = NDJSON or a JSON array of events; `-` for standard input.
    .author = The author of events that do not name one.
    .json = Print the result as JSON.
cmd-log = List events of the log: position, id, when, stream, kind and author.
    .from = First position to show.
    .limit = Most events to show.
    .stream = Only this stream, such as initiative:papierwinkel.
    .kind = Only this kind, such as ObservationRecorded.
    .json = One JSON object a line (the API's event form).
cmd-show = Show one event, by its id or its position, with its sealed part if it can be opened.
    .event = An event id, or a position in the log (`parlog log` lists both).
    .json = The API's JSON form of the event, with the sealed part opened.
cmd-notes = List the study's field notes, reflections and memos, newest first: search by words (in sealed text too) and filter; a page at a time.
    .search = Words that must occur (case and accents do not matter; the last word may be the start of a word).
    .area = Only notes in this area (and the areas under it), such as area:noord.
    .initiative = Only notes about this initiative, such as initiative:buurtkamer.
    .cycle = Only notes of this cycle.
    .author = Only notes by this participant.
    .code = Only notes with this code, as a whole or in a passage (a code merged into it counts).
    .health = Only field notes with this Positive Health dimension, such as mental_wellbeing.
    .kind = Only this kind: observation, reflection or memo (may repeat, or with commas).
    .from = Only notes about this day or later (YYYY-MM-DD).
    .to = Only notes about this day or earlier (YYYY-MM-DD).
    .retracted = Retracted notes: exclude (default), include or only.
    .limit = Most notes to show (default 50, at most 200).
    .before = Only notes before this position: the next page (the footer names it).
    .json = The API's answer as JSON.
    .format = csv: as CSV for a spreadsheet (RFC 4180, UTF-8).
cmd-verify = Check the whole data folder without changing it: the hash chain, commits, the indexes, both copies of the key file and every sealed part. Exit 1 naming every finding.
cmd-repair = Mend what can be mended without losing an acknowledged event: restore a damaged copy of the key file from the other, rebuild damaged indexes, move a damaged last group out of the log. Every byte taken out is kept in the quarantine folder. Says what it will change first, and asks.
    .yes = Do it without asking (for scripts).
cmd-keys = The master key that wraps the subject keys.
cmd-keys-rotate-master = Wrap every subject key under a new master key (both copies of the key file are rewritten). Give the new key as a file that does not exist yet (a fresh random key is written to it) or a passphrase in an environment variable. Keep the new key where the old one was looked for, or name it from now on.
    .new_key_file = A new master key file to create.
    .new_passphrase_env = The name of an environment variable that holds the new passphrase.
cmd-export = Write the log as NDJSON with full envelopes, hashes and sealed bytes.
    .out = Output file; standard output if absent.
    .with_keys = Also write the subjects' keys, so that sealed data can be read after import. Treat such an export as personal data.
    .format = parlog: parlog's own backup form (NDJSON, every event; the default). qdpx: a REFI-QDA project for ATLAS.ti, MAXQDA, NVivo or QualCoder (codes, notes as text sources with their coded passages, memos, participants as users, areas and initiatives as cases). qdc: the codebook alone (REFI-QDA).
cmd-import = Import an export. Checks the chain; importing the same file again changes nothing.
    .file = The export, as `parlog export` writes it.
    .format = parlog: an export of parlog (the default). qdpx: a REFI-QDA project exported by parlog and coded in another tool: new codes, codings and memos are added as the researcher's events (matched by GUID: an unchanged file adds nothing). Shows what it will add and asks first.
    .author = With --format qdpx: the researcher the new codes, codings and memos are by (a registered participant with role researcher).
    .yes = With --format qdpx: add without asking (for scripts).
cmd-forget = Destroy a data subject's key and sealed data, for good; the log records who asked and when. Asks first on a terminal.
    .subject = The data subject, such as resident:r-017.
    .by = The participant who asks for it.
    .reason = Why, in a sentence (kept in the log).
    .yes = Do it without asking (for scripts).
cmd-demo = Load the demo log (the Gouda story) into the data folder, or a demo-style file of your own (a JSON array of events that may use `@label` ids).
    .file = A demo-style JSON file instead of the built-in demo.
cmd-project = Show a projection, by name, as text, JSON or CSV (an unknown name lists the projections).
    .name = The projection, such as cycles, role, initiatives, signals, lessons, network, activity, warnings or codebook.
    .as_of = Only what happened on or before this day (by when it happened in the field), such as 2017-12-31.
    .recorded = With --as-of: go by when events were recorded (the server's clock) instead.
    .as_of_position = Only the log up to and including this position.
    .since = For the role: show what changed since this day.
    .json = The projection as JSON.
    .format = json, or csv: the projection's main table for spreadsheets (RFC 4180, UTF-8, formulas made harmless); Dutch column names unless --lang says otherwise.
    .rebuild = Replay the whole log instead of starting from the checkpoint.
    .lead_months_max = Warnings: a makelaar still leading an initiative this many months after its start.
    .active_initiatives_max = Warnings: more active initiatives per makelaar than this.
    .reflection_gap_days_max = Warnings: no reflection in a team for more days than this.
cmd-compare = Compare studies side by side: the role, initiatives, method changes and lessons by theme, each statement citing its study and events (HTML, Markdown or JSON).
    .studies = The studies, by slug, separated by commas, in the order of the columns (at most 16).
    .format = html (the default), md or json.
    .out = Write to this file instead of standard output.
cmd-retrospective = Write the handreiking-style retrospective (Markdown, one self-contained HTML file, or an OpenDocument text with its charts that LibreOffice and Word open and edit).
    .format = md, html or odt (odt needs --out).
    .as_of = Only what happened on or before this day (by when it happened in the field), such as 2017-12-31.
    .recorded = With --as-of: go by when events were recorded (the server's clock) instead.
    .as_of_position = Only the log up to and including this position.
    .area = Only this area (and the areas under it), such as area:noord.
    .out = Write to this file instead of standard output.
cmd-serve = Run the HTTP server with the web interface.
    .addr = Address to listen on; loopback by default.
    .demo = Load the demo log into an empty data folder, and print sign-in links for demo users (made once; later starts say how to make new ones).
    .idle_close_secs = Close a study's store and projections after this many seconds without a request (its checkpoint is saved first); the next request opens it again.
    .open_studies_max = Studies open at once at most; past it the least recently used idle one is closed.
cmd-token = Create, list or revoke API tokens, and give them roles in studies.
cmd-token-create = Create a token; it is shown once and stored hashed. With --role it has that role in the study chosen with --study (or the only one), for a participant that study's log registers; add roles in other studies with `grant`.
    .participant = The participant id the token acts as (the author of what it appends).
    .role = makelaar, researcher, viewer or admin (the study's admin: verify, forget, its tokens).
    .institute_admin = The token manages studies across the data folder (creates, archives, grants); it reads no study's data unless it has a role there too.
cmd-token-grant = Give a token a role in the study chosen with --study (or the only one), replacing the role it had there.
    .id = The token's id (`parlog token list` shows them).
    .role = makelaar, researcher, viewer or admin.
cmd-token-ungrant = Take a token's role in the study chosen with --study (or the only one) away.
    .id = The token's id (`parlog token list` shows them).
cmd-token-list = List tokens (without their secrets), with their roles per study.
cmd-token-revoke = Revoke a token by id: it reaches no study any more.
    .id = The token's id (`parlog token list` shows them).
cmd-stats = Counts of events, streams and kinds.
    .json = The counts as JSON.
cmd-migrate = Copy studies with their chains from one store to another (a data folder's embedded store or a PostgreSQL database, either way), checking the head on both sides; never overwrites.
    .long =
        Copy studies with their chains from one store to another (a data folder's embedded store or a PostgreSQL database, either way), checking the head on both sides; never overwrites.

        Every event keeps its id, times, position and hash; the subject keys go along into the target's key files, wrapped with the target's master key. Afterwards each study's head (position and hash) must be the same on both sides. The source is not changed.

        Where the keys go: a study's folder studies/<slug>/ holds its log in the embedded store and its subject keys with PostgreSQL, so the source and the target each need a data folder of their own. Into PostgreSQL: `parlog migrate --from ./parlog-data --to postgres://… --to-data ./parlog-pg`, then work with `parlog --data ./parlog-pg --store postgres://…`. Back: `parlog migrate --from postgres://… --from-data ./parlog-pg --to ./parlog-back`.

        Every study (all of the source's, or the one --study names) is looked at first: a target study that has events is refused (exit 2) and nothing is written. A study enters the target's registry last, once its copy is checked; a copy that stopped half way is taken up again by the same command. Tokens are not copied: give people access to the target with `parlog token create`.
    .from = Where the studies are: a data folder (its embedded store), or a postgres:// address (then --from-data names the data folder with its registry and keys).
    .to = Where they go: a data folder (made if there is none), or a postgres:// address (then --to-data names the data folder that gets the registry and the keys).
    .from_data = With a postgres:// --from: the data folder of those studies (their registry and their key folders studies/<slug>/); by default --data.
    .to_data = With a postgres:// --to: the data folder that gets the studies' registry entries and key folders studies/<slug>/ (made if there is none), another one than the source's; by default --data.

## clap's headings, notes and errors

help-usage = Usage:
help-options-value = [OPTIONS]
help-command-value = COMMAND
help-commands = Commands
help-options = Options
help-arguments = Arguments
help-env = [environment: { $name }]
help-default = [default: { $value }]
help-values = [possible values: { $values }]
clap-value-missing = a value is required for '{ $arg }' but none was given
clap-value-invalid = invalid value '{ $value }' for '{ $arg }'
clap-values = {" "}(possible values: { $values })
clap-value-refused = invalid value '{ $value }' for '{ $arg }': { $why }
clap-unknown-argument = unexpected argument '{ $arg }'
clap-unknown-command = unknown command '{ $command }'
clap-missing = these required arguments were not given: { $args }
clap-missing-command = '{ $command }' needs a command, one of: { $commands }
clap-conflict = the argument '{ $arg }' cannot be used with '{ $other }'
clap-repeated = the argument '{ $arg }' cannot be given more than once
clap-too-many = unexpected value '{ $value }' for '{ $arg }'; no more were expected
clap-no-equals = '{ $arg }' needs its value after an equals sign
clap-did-you-mean = tip: did you mean { $similar }?
clap-more = For more information, try '{ $help }'.

## Errors and what to do

error-prefix = error:
list-none = none
store-locked = { $what } is in use by another parlog process; stop it, or use another --data folder
store-not-initialised = no parlog data folder at { $folder }; run `parlog init` (or `parlog --data DIR init`) first
store-read-only = this study was read without opening it, because another process holds it; nothing was written
store-folder-conflict = --store names the folder { $store } and --data (or PARLOG_DATA) the folder { $data }: a folder given to --store is the data folder; give one of them
hint-corrupt = ; run `parlog verify` to name every damaged place
hint-damaged-last-group = ; run `parlog repair` to move the damaged bytes to quarantine
hint-keys-damaged = ; run `parlog repair` to restore it from the other copy
hint-postgres = ; check that PostgreSQL runs and that --store (PARLOG_STORE) names the right database, then try again (an append sent again with the same event ids is stored once)
hint-use-forget = ; to forget a data subject, use `parlog forget`
studies-not-initialised = no parlog data folder at { $folder }; run `parlog init` (or `parlog --data DIR init`) first
studies-not-empty = { $folder } is not empty and is not a parlog data folder; choose an empty or new folder
studies-none = the data folder { $folder } holds no study yet; create one with `parlog study create SLUG --name "…" --municipality "…"`, or load the demo with `parlog demo`
studies-ambiguous = the data folder holds { $count } studies ({ $slugs }); name one with --study SLUG (or PARLOG_STUDY); `parlog study list` shows them
studies-unknown = there is no study "{ $slug }" in this data folder (it holds: { $known }); `parlog study create` makes one
studies-orphan = study { $slug }: its folder { $folder } holds events but is not in the registry; move it out of the data folder, or choose another slug
studies-orphan-database = study { $slug }: { $database } holds { $events } events of a study of that name that is not in this data folder's registry (another data folder's study, or one left from before); choose another slug, or use the data folder it belongs to
studies-wrong-store-postgres = study { $study }: its events are kept in { $kept }, in { $folder }, but this command runs on { $runs }; give --store with the database's postgres:// address (or set PARLOG_STORE), or copy the study out of it with `parlog migrate`
studies-wrong-store-embedded = study { $study }: its events are kept in { $kept }, in { $folder }, but this command runs on { $runs }; run the command without --store (and without PARLOG_STORE), or copy the study into the database with `parlog migrate`
studies-not-in-database = study { $study } is in the registry of this data folder, but { $database } holds no study of that name; check that --store (PARLOG_STORE) names the database this data folder's studies are kept in, or bring the study back (`parlog migrate` from a copy, or a restore of a PostgreSQL backup)
studies-no-key-folder = study { $study }: its key folder { $folder } is missing, so its subject keys cannot be read; restore it from a backup of the data folder
studies-name = { $what } is empty or longer than { $max } characters
study-exists = a study named "{ $slug }" exists already (`parlog study list` shows them); choose another slug
study-no-such = there is no study { $slug }; `parlog study list` shows them
study-archived = study { $slug } is archived: it can be read, verified and exported, and takes no more events
study-root = (the data folder's own study)
study-held = study { $study } is open in another parlog process, such as a running `parlog serve`, which is its one writer while it runs. Make the change through the web interface or the server's API ({ $api }) instead, or stop the server and run this command again. Commands that only read (log, show, notes, project, retrospective, stats, export, verify) work beside it.
read-beside-server = note: study { $study } is open in a running parlog server; read without changing anything, as it was when this command started
cannot-write = cannot write { $path }: { $why }
cannot-read = cannot read { $path }: { $why }
cannot-read-stdin = cannot read standard input: { $why }
cannot-create = cannot create { $path }: { $why }
wrote = wrote { $path }
not-json = not JSON: { $why }
nothing-changed = nothing changed
event-refused = event { $index }: { $why }
progress = events ({ $speed }, { $left } left)
recovered = parlog: recovery: { $what }
recovered-key-copy = parlog: recovery: `{ $copy }` was missing or empty and was written again from the other copy of the key file
recovered-keys-migrated = parlog: the key file was in the first format (keys in the clear); it is now wrapped with the master key
store-embedded = the embedded store
store-embedded-read-only = the embedded store, read beside a running server
store-postgres = PostgreSQL at { $address }
kept-nothing = nowhere yet
kept-embedded = the embedded store (a log in the study's folder)
kept-postgres = PostgreSQL (the study's folder holds its keys)
master-key-file = the master key file { $file }
master-key-passphrase = the passphrase in { $var }

## Tables

col-position = position
col-id = id
col-occurred = occurred at
col-stream = stream
col-kind = kind
col-author = author
col-slug = study
col-name = name
col-municipality = municipality
col-state = state
col-place = files
col-token = token
col-participant = participant
col-roles = roles
col-created = created

## init, study

init-postgres = events are kept in { $store }; its parlog schema is ready
init-made = data folder made: { $folder }; add a study with `parlog study create SLUG --name "…" --municipality "…"` (or load the demo with `parlog demo`)
init-exists = { $folder } is a data folder already; nothing changed
study-created = study { $slug } created: { $name } ({ $folder })
study-list-empty = no studies yet; `parlog study create SLUG --name "…"` makes one
study-state-active = active
study-state-archived = archived { $at }
study-place-root = the data folder itself (made by an earlier release)
study-place-postgres = {" "}(keys); events in PostgreSQL
study-place-missing = ; MISSING from the database
study-only-in-database = note: the database also holds study { $slug }, which this data folder's registry does not list

## append, log, show, stats, export, import, demo

append-not-array = the input starts with '[' but is not a JSON array: { $why }
append-empty = no events in the input; give NDJSON (one event a line) or a JSON array
append-duplicate = already stored
show-bad-position = { $given } is not a position; positions start at 1 (`parlog log` lists them)
show-bad-event = expected an event id or a position (a number, as `parlog log` lists them): { $why }
show-no-id = no event with id { $id }; `parlog log` lists the ids
show-no-position = no event at position { $position }: the log holds { $head ->
        [one] 1 event
       *[other] { $head } events
    }; `parlog log` lists them
show-position = position
show-id = id
show-kind = kind
show-kind-value = { $kind } (schema { $schema })
show-stream = stream
show-stream-value = { $stream } (version { $version })
show-occurred = occurred at
show-recorded = recorded at
show-author = author
show-causation = causation
show-payload = payload
show-sealed-for = sealed for
show-sealed = sealed
show-sealed-no-key = not readable here: this data folder has no key for { $subject } (the log was imported without --with-keys)
show-sealed-damaged = damaged: { $why }; run `parlog verify` for the whole folder
show-sealed-forgotten = forgotten: the data of { $subject } was destroyed at { $at } at the request of { $by } (event at position { $position })
show-hash = hash
show-previous = previous
stats-events = events
stats-streams = streams
stats-head = head
stats-on-disk = on disk
stats-on-disk-value = { $mib } MiB ({ $store })
stats-kinds = by kind:
export-cannot-write = cannot write the export: { $why }
export-done = exported { $events ->
        [one] 1 event
       *[other] { $events } events
    } to { $path }
import-bad-line = { $path } line { $line }: { $why }
import-empty = the file is empty; expected a parlog export
import-no-header = expected a header { $header } as written by `parlog export`
import-bad-key = the key of { $subject } is not 32 bytes of base64
import-incomplete = the header announces { $total } events but the file holds { $seen }; the file is incomplete ({ $added } events imported)
import-forgotten = not imported, because they were forgotten here: the keys of { $subjects ->
        [one] 1 subject
       *[other] { $subjects } subjects
    } ({ $names }) and { $sealed ->
        [one] 1 sealed part
       *[other] { $sealed } sealed parts
    }; forgetting is final
import-done = imported { $added } new events ({ $present } already present); head at position { $position } { $hash }
export-qdpx-done = wrote { $path }: { $texts } notes and memos, { $codes } codes, { $codings } coded passages (REFI-QDA project)
export-qdpx-left-out = left out: the text of { $texts } notes that cannot be read here (a forgotten subject's, or without key), and { $codings } codings on them
export-qdc-done = wrote { $path }: { $codes } codes (REFI-QDA codebook)
import-qdpx-needs-author = name the researcher the imported codes, codings and memos are by: --author PARTICIPANT
import-qdpx-needs-yes = import --format qdpx adds events to the log; run it on a terminal to see them and be asked, or add --yes (for scripts)
import-qdpx-nothing = nothing new in the project: every code, coding and memo in it is in the log already
import-qdpx-codes = new codes ({ $count }):
import-qdpx-codings = new codings ({ $count }):
import-qdpx-memos = new memos ({ $count }):
import-qdpx-range = characters { $start } to { $end }
import-qdpx-ask = Add these { $events } events to the log? Type yes to go ahead:
import-qdpx-done = added { $added } events; head at position { $position }
import-qdpx-ignored-elements = ignored: { $count } × <{ $name }> (parlog does not keep these)
import-qdpx-ignored-colours = ignored: the colours of { $count } codes (parlog keeps no colours)
import-qdpx-ignored-folders = ignored: { $count } code folders (isCodable="false"); parlog's codes are flat
import-qdpx-ignored-whole = ignored: { $count } codings of a whole source; code a passage instead
import-qdpx-ignored-renamed = ignored: code “{ $from }” is named “{ $to }” in the file; rename it in parlog (CodeRenamed) if that is meant
import-qdpx-ignored-memo = ignored: memo “{ $title }” was changed in the file; an import does not change memos
import-qdpx-ignored-empty-memo = ignored: memo “{ $name }” has no text
import-qdpx-ignored-source = ignored: source { $name } is not a note of this study (nothing is coded on it)
demo-built-in = the built-in demo
demo-not-array = { $name }: not a JSON array of events: { $why }
demo-loaded = { $name }: { $added } events added, { $present } already present; study { $study } has { $events } events
demo-no-study-started = { $name } has no StudyStarted event to name a study after; create the study first with `parlog study create SLUG --name "…"`
demo-study-created = created study { $slug } ({ $name }, { $municipality })

## forget

forget-needs-yes = forget destroys the key and sealed data of { $subject } for good; run it on a terminal to be asked, or add --yes (for scripts)
forget-ask = This destroys the key and the sealed data of { $subject } in study { $study } for good: it cannot be undone. The log records that { $by } asked for it. Type { $subject } or yes to go ahead:
forget-already = { $subject } was already forgotten (event at position { $position })
forget-done = forgot { $subject }: key and sealed data destroyed (event at position { $position }, id { $id })
forget-unknown = no data subject { $subject } in this study: no sealed data names it; check the id (such as resident:r-017)

## verify, repair, keys

verify-note = note:
verify-damaged = damaged:
verify-study = study { $study }:
verify-no-studies = ok: no studies yet
verify-only-in-database = the database also holds study { $slug }, which this data folder's registry does not list; it was not checked
verify-failed-because = verify failed: { $why }
verify-chain-damaged = the chain in { $database }, position { $position }: { $why }
verify-ok = ok: { $events ->
        [one] 1 event
       *[other] { $events } events
    }, head { $head }; { $keys ->
        [one] 1 subject key
       *[other] { $keys } subject keys
    }; sealed parts: { $open } open, { $forgotten } forgotten, { $nokey } without a key here
verify-ok-postgres = ok: { $events ->
        [one] 1 event
       *[other] { $events } events
    }, head { $head }; { $keys ->
        [one] 1 subject key
       *[other] { $keys } subject keys
    }; events in PostgreSQL at { $database }
verify-failed = verify failed: { $findings ->
        [one] 1 finding
       *[other] { $findings } findings
    }; { $events } events up to the last intact commit
verify-failed-postgres = verify failed: { $findings ->
        [one] 1 finding
       *[other] { $findings } findings
    }; { $events } events up to the first damage
verify-orphan = { $folder }: not a study in the registry (an interrupted `parlog study create` leaves an empty one, which the next create of that slug takes over); it was not checked
finding-position = , position { $position }
finding-offset = , offset { $offset }
checkpoint-damaged = the projections' checkpoint is damaged: { $why }
checkpoint-fix = It is a cache: the next `parlog serve` or `parlog project` moves it to quarantine and rebuilds it from the log
repair-on-postgres = repair mends the files of the embedded store (its log, indexes and the copies of the key file); with --store postgres://… the events are in PostgreSQL, which keeps its own files and mends them itself: it recovers from its write-ahead log when it restarts, and damage beyond that is mended with PostgreSQL's tools or a restore of a backup. Run `parlog --store … verify` to check every study's chain in the database and its key files; restore a damaged key file (studies/<slug>/keys or keys.copy) from a backup of the data folder
repair-check-failed = the check before repair failed: { $why }
repair-nothing = nothing to repair
repair-found = found:
repair-plan = repair will: restore a damaged or missing copy of the key file from the other; move indexes that do not match the log to quarantine and rebuild them; move a damaged or unfinished last group of the log to quarantine. Every byte it takes out is kept in { $folder }/quarantine/ and listed in its journal.txt. Damage that later events follow is not mended (restore a backup).
repair-needs-yes = repair changes the data folder: run it on a terminal to be asked, or add --yes
repair-ask = go ahead? [y/N]
repair-moved = moved:
repair-done = repair done: { $moved } item(s) moved to quarantine; head at position { $position }
keys-file-exists = { $file } exists; name a new file, so that the old key is not overwritten before the key file is rewrapped
keys-env-missing = the environment variable { $var } is not set; put the new passphrase in it
keys-give-new = give --new-key-file FILE or --new-passphrase-env VAR
keys-rewrapped = study { $study }: the subject keys are now wrapped with { $key }
keys-already = study { $study }: already wrapped with { $key }
keys-from-now-file = from now on, give --master-key-file { $file } (or PARLOG_MASTER_KEY_FILE), or move it to { $default }; keep the old key until you have checked with `parlog verify`
keys-from-now-passphrase = from now on, set PARLOG_MASTER_PASSPHRASE to the new passphrase

## token

token-created = token { $id } for { $participant } ({ $roles }): shown once, keep it safe
token-granted = token { $id } is { $role } in study { $study }
token-no-role = token { $id } has no role in study { $study }; `parlog token list` shows the roles
token-ungranted = token { $id } has no role in study { $study } any more
token-list-empty = no tokens yet; `parlog token create --participant ID --role ROLE` makes one (ROLE: makelaar, researcher, viewer or admin), shown once
token-state-active = active
token-state-revoked = revoked { $at }
token-revoked = revoked { $id }
token-none = no active token with id { $id }; `parlog token list` shows them
token-no-roles = no role in any study
token-unknown-participant = study { $study } has no participant { $participant }: a token acts as a participant that the study's log registers (ParticipantRegistered). { $count ->
        [0] The study registers no participant yet; append a ParticipantRegistered event for { $participant } first.
        [one] It registers 1: { $known }.
       *[other] It registers { $count }: { $known }{ $more ->
            [0] {""}
           *[other] , and { $more } more (`parlog project network` lists them)
        }.
    }

## serve

serve-limits = --open-studies-max and --idle-close-secs must be at least 1
serve-runtime = cannot start the runtime: { $why }
serve-listening = parlog serves on { $url }
serve-sign-in = Sign in with a token: `parlog token create --participant ID --role ROLE` (in another terminal, also while this runs) makes one and shows it once; open { $url }#token=TOKEN, or paste the token on the sign-in page at { $url }. { $tokens ->
        [0] There are no tokens yet.
        [one] There is 1 active token (`parlog token list`).
       *[other] There are { $tokens } active tokens (`parlog token list`).
    }
serve-demo-loaded = loaded the demo log into study { $study } ({ $events } events)
serve-demo-links = demo sign-in links (new tokens, shown once):
serve-demo-kept = { $count ->
        [one] 1 demo user already has a token
       *[other] { $count } demo users already have a token
    } from an earlier start: { $users }. A token is shown only once, so its link cannot be shown again: make a new one with `parlog --study { $study } token create --participant makelaar-noord-a --role makelaar` (and revoke the old one with `parlog token revoke ID`).

## migrate

migrate-data-flag = --{ $flag }-data is for a postgres:// --{ $flag } only: a folder given to --{ $flag } is its own data folder
migrate-side-folder = the data folder { $folder }
migrate-side-postgres = PostgreSQL at { $address } (data folder { $folder })
migrate-same-folder = the source and the target would share the data folder { $folder }: a study's folder studies/<slug>/ holds its log in the embedded store and its keys with PostgreSQL, so it cannot be both; give the target a data folder of its own: --to-data DIR with a postgres:// --to, or another folder as --to
migrate-nothing = { $source } holds no study; nothing to copy
migrate-study = study { $study }: { $why }
migrate-refused = { $refusals }; migrate never overwrites a study, and nothing was changed
migrate-done = copied { $studies ->
        [one] 1 study
       *[other] { $studies } studies
    } from { $source } to { $target }; the subject keys are wrapped with { $key }. The source is unchanged: check the target with `parlog verify` before you retire the source. Tokens stay in the source's data folder; give people access to the target with `parlog token create`
migrate-folder-other-store = its folder { $folder } in the target's data folder holds { $kept }, not a study of { $target }
migrate-orphan-rows = { $database } already holds { $events } events of a study of that name, whose keys are not in this data folder (another data folder's study); choose another database, or give the data folder it belongs to
migrate-target-holds = the target already holds it with { $events } events ({ $target })
migrate-target-other = the target holds { $events } events of a study of that name that is not in its registry and not a copy of this one ({ $target })
migrate-resume = study { $study }: the target holds the first { $events } events from an interrupted copy; going on
migrate-stopped = study { $study }: the copy stopped: { $why }; what was copied stays in the target, outside its registry, and running the same `parlog migrate` again goes on from there
migrate-heads-differ = study { $study }: after the copy the source's head is position { $source } and the target's position { $target }; the target is not in its registry; run `parlog verify` on both
migrate-copied = study { $study }: { $events } events copied; head at position { $position } { $hash } on both sides
retro-odt-needs-out = an OpenDocument text is a zip package, not text for a terminal: give --out FILE.odt

## notes
notes-footer = { $shown } of { $total } { $total ->
        [one] note
       *[other] notes
    }
notes-footer-more = { $shown } of { $total } notes; the next page: parlog notes … --before { $before }
notes-text-forgotten = (text forgotten)
notes-text-withheld = (text not readable)
notes-retracted = [retracted]
