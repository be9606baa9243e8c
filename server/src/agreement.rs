//! Inter-coder agreement as the API and the command line show it: the computation
//! (`parlog_projections::agreement`) over the codebook's codings, with each compared note's text
//! (its length in code points, and the words of the passages the coders disagree on) read from
//! the notes index. Shared by `http/agreement.rs` and `cli/agreement.rs`.
//!
//! A note's text is sealed, so only a role that reads sealed text sees the disagreeing words;
//! the counts need the length only. Notes whose text is forgotten are left out (their codings
//! are forgotten with them, see the codebook), and said so.

use std::collections::BTreeMap;

use parlog_core::{EventId, EventStore, Lang, StoreError};
use parlog_projections::agreement::{self, Agreement};
use parlog_projections::Projections;
use serde_json::{json, Value};

use crate::notes::NotesIndex;
use crate::notes::{note_text, opened};

/// At most this many characters of a disagreeing passage are shown.
pub const PASSAGE_CHARS_MAX: usize = 240;
/// At most this many disagreeing passages per code and pair are listed (the counts cover all).
pub const DISAGREEMENTS_PER_CODE_MAX: usize = 50;

/// A compared note: where it is, and its text if it may be shown.
struct NoteText {
    position: u64,
    chars: u32,
    text: Option<Vec<char>>,
}

/// The agreement of every pair of coders (or of the pair `only`, participant ids) as JSON.
pub fn report<S: EventStore + ?Sized>(
    store: &S,
    p: &Projections,
    ix: &NotesIndex,
    only: Option<(&str, &str)>,
    reads_sealed: bool,
    lang: Lang,
) -> Result<Value, StoreError> {
    let codings = p.codebook.codings(None);
    let mut notes: BTreeMap<EventId, Option<NoteText>> = BTreeMap::new();
    for c in &codings {
        if notes.contains_key(&c.note) {
            continue;
        }
        let text = match ix.find(c.note) {
            Some(doc) => match ix.current(store, doc)? {
                Some(cur) => {
                    let words = opened(&cur.sealed);
                    let forgotten = matches!(cur.sealed, parlog_core::SealedView::Forgotten { .. });
                    match note_text(&cur.data, words) {
                        Some(t) if !forgotten => Some(NoteText {
                            position: cur.event.position.0,
                            chars: t.chars().count() as u32,
                            text: reads_sealed.then(|| t.chars().collect()),
                        }),
                        _ => None,
                    }
                }
                None => None,
            },
            None => None,
        };
        notes.insert(c.note, text);
    }
    let pair = only.map(|(a, b)| (format!("participant:{a}"), format!("participant:{b}")));
    let result: Agreement = agreement::compute(
        &codings,
        |id| notes.get(&id).and_then(|n| n.as_ref()).map(|n| n.chars),
        pair.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
    );
    let who = |stream: &str| {
        let id = stream.strip_prefix("participant:").unwrap_or(stream).to_string();
        let name = ix.participant_id(&id).and_then(|n| ix.participant_label(n)).map(str::to_string);
        json!({"id": id, "name": name})
    };
    let position = |id: &EventId| notes.get(id).and_then(|n| n.as_ref()).map(|n| n.position);
    let pairs: Vec<Value> = result
        .pairs
        .iter()
        .map(|pa| {
            let codes: Vec<Value> = pa
                .codes
                .iter()
                .map(|c| {
                    let shown: Vec<Value> = c
                        .disagreements
                        .iter()
                        .take(DISAGREEMENTS_PER_CODE_MAX)
                        .map(|d| {
                            let words =
                                notes.get(&d.note).and_then(|n| n.as_ref()).and_then(|n| n.text.as_ref()).map(|t| {
                                    let end = (d.end as usize).min(t.len());
                                    let start = (d.start as usize).min(end);
                                    let mut s: String = t[start..end].iter().take(PASSAGE_CHARS_MAX).collect();
                                    if end - start > PASSAGE_CHARS_MAX {
                                        s.push('…');
                                    }
                                    s
                                });
                            json!({
                                "note": d.note, "position": position(&d.note), "start": d.start, "end": d.end,
                                "coded_by": who(&d.coded_by)["id"], "text": words,
                            })
                        })
                        .collect();
                    json!({
                        "code": c.code, "name": c.name,
                        "both": c.both, "only_a": c.only_a, "only_b": c.only_b, "neither": c.neither,
                        "percent_agreement": round(c.percent_agreement * 100.0),
                        "kappa": c.kappa.map(round3),
                        "coded_agreement": c.coded_agreement.map(|x| round(x * 100.0)),
                        "disagreements_total": c.disagreements.len(),
                        "disagreements": shown,
                    })
                })
                .collect();
            json!({
                "a": who(&pa.a), "b": who(&pa.b),
                "notes": pa.notes.iter().map(|n| json!({"id": n, "position": position(n)})).collect::<Vec<_>>(),
                "left_out": pa.left_out,
                "characters": pa.characters,
                "codes": codes,
            })
        })
        .collect();
    Ok(json!({"pairs": pairs, "about": about(lang)}))
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// How the figures are counted, in the reader's language.
pub fn about(lang: Lang) -> &'static str {
    match lang {
        Lang::Nl => {
            "Per paar codeurs en per code, over de tekens van de notities die beiden codeerden: \
                     overeenstemming in procenten (beide of geen van beiden), Cohens kappa (gecorrigeerd voor toeval) \
                     en overeenstemming op gecodeerde tekst (tekens die beiden codeerden, van alle tekens die een van \
                     beiden codeerde). Kappa en het percentage zijn hoog zodra veel tekst door niemand is gecodeerd; \
                     de laatste maat niet."
        }
        Lang::En => {
            "Per pair of coders and per code, over the characters of the notes both coded: percentage \
                     agreement (both or neither), Cohen's kappa (corrected for chance) and agreement on coded text \
                     (characters both coded, of all characters either coded). Kappa and the percentage are high \
                     whenever much text is coded by no one; the last measure is not."
        }
    }
}

/// The report as text for a terminal.
pub fn text(v: &Value, lang: Lang) -> String {
    let nl = lang == Lang::Nl;
    let mut out = String::new();
    let pairs = v["pairs"].as_array().cloned().unwrap_or_default();
    if pairs.is_empty() {
        out.push_str(if nl {
            "Geen twee codeurs hebben dezelfde notitie gecodeerd: er is geen overeenstemming te berekenen.\n"
        } else {
            "No two coders coded the same note: there is no agreement to compute.\n"
        });
        return out;
    }
    let name = |w: &Value| w["name"].as_str().or(w["id"].as_str()).unwrap_or("?").to_string();
    for p in &pairs {
        let notes = p["notes"].as_array().map_or(0, |a| a.len());
        out.push_str(&format!(
            "{} – {}: {notes} {}, {} {}\n",
            name(&p["a"]),
            name(&p["b"]),
            if nl {
                if notes == 1 {
                    "notitie"
                } else {
                    "notities"
                }
            } else if notes == 1 {
                "note"
            } else {
                "notes"
            },
            p["characters"],
            if nl { "tekens" } else { "characters" },
        ));
        if let Some(n) = p["left_out"].as_array().filter(|a| !a.is_empty()) {
            out.push_str(&format!(
                "  {} {}\n",
                n.len(),
                if nl {
                    "notitie(s) weggelaten: de tekst is vergeten of niet te lezen"
                } else {
                    "note(s) left out: text forgotten or not readable"
                }
            ));
        }
        out.push_str(if nl {
            "  code                          overeenst.  kappa   op gecodeerde tekst\n"
        } else {
            "  code                          agreement   kappa   on coded text\n"
        });
        for c in p["codes"].as_array().into_iter().flatten() {
            let kappa = c["kappa"].as_f64().map_or("–".to_string(), |k| format!("{k:.2}"));
            let coded = c["coded_agreement"].as_f64().map_or("–".to_string(), |x| format!("{x:.1}%"));
            let label: String = c["name"].as_str().unwrap_or("").chars().take(28).collect();
            out.push_str(&format!(
                "  {label:<29} {:>9.1}%  {kappa:>6}   {coded}\n",
                c["percent_agreement"].as_f64().unwrap_or(0.0)
            ));
            for d in c["disagreements"].as_array().into_iter().flatten() {
                let by = d["coded_by"].as_str().unwrap_or("?");
                let words = d["text"].as_str().map(|t| format!(": «{t}»")).unwrap_or_default();
                out.push_str(&format!(
                    "      #{} [{}–{}] {} {by}{words}\n",
                    d["position"],
                    d["start"],
                    d["end"],
                    if nl { "alleen door" } else { "only by" },
                ));
            }
        }
        out.push('\n');
    }
    out.push_str(v["about"].as_str().unwrap_or(""));
    out.push('\n');
    out
}
