//! Words for the notes index: lowercased, accents folded (é → e, ë → e, ĳ → ij, ß → ss), split
//! on anything that is not a letter or a digit. The query is split the same way, so a search
//! for "Café" finds "cafe" and "CAFÉ".

/// Characters of a word kept in the index: longer words (a pasted link, a row of digits) are
/// cut, and a query word is cut the same way, so they still match.
pub const TERM_CHARS_MAX: usize = 64;

/// Base letters of U+0100..=U+017F (Latin Extended-A), one entry per code point.
const LATIN_EXT_A: [&str; 128] = [
    "a", "a", "a", "a", "a", "a", // Ā ā Ă ă Ą ą
    "c", "c", "c", "c", "c", "c", "c", "c", // Ć … č
    "d", "d", "d", "d", // Ď ď Đ đ
    "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", // Ē … ě
    "g", "g", "g", "g", "g", "g", "g", "g", // Ĝ … ģ
    "h", "h", "h", "h", // Ĥ ĥ Ħ ħ
    "i", "i", "i", "i", "i", "i", "i", "i", "i", "i", // Ĩ … ı
    "ij", "ij", // Ĳ ĳ
    "j", "j", // Ĵ ĵ
    "k", "k", "k", // Ķ ķ ĸ
    "l", "l", "l", "l", "l", "l", "l", "l", "l", "l", // Ĺ … ł
    "n", "n", "n", "n", "n", "n", "n", "n", "n", // Ń … ŋ
    "o", "o", "o", "o", "o", "o", // Ō … ő
    "oe", "oe", // Œ œ
    "r", "r", "r", "r", "r", "r", // Ŕ … ř
    "s", "s", "s", "s", "s", "s", "s", "s", // Ś … š
    "t", "t", "t", "t", "t", "t", // Ţ … ŧ
    "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", // Ũ … ų
    "w", "w", // Ŵ ŵ
    "y", "y", "y", // Ŷ ŷ Ÿ
    "z", "z", "z", "z", "z", "z", // Ź … ž
    "s", // ſ
];

/// What a character becomes in a word: `None` for a separator, else its folded form (pushed to
/// `out`).
fn fold(c: char, out: &mut String) -> bool {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            return true;
        }
        return false;
    }
    let base = match c as u32 {
        0xC0..=0xC5 | 0xE0..=0xE5 => "a",
        0xC6 | 0xE6 => "ae",
        0xC7 | 0xE7 => "c",
        0xC8..=0xCB | 0xE8..=0xEB => "e",
        0xCC..=0xCF | 0xEC..=0xEF => "i",
        0xD0 | 0xF0 => "d",
        0xD1 | 0xF1 => "n",
        0xD2..=0xD6 | 0xD8 | 0xF2..=0xF6 | 0xF8 => "o",
        0xD9..=0xDC | 0xF9..=0xFC => "u",
        0xDD | 0xFD | 0xFF => "y",
        0xDE | 0xFE => "th",
        0xDF => "ss",
        n @ 0x100..=0x17F => LATIN_EXT_A[(n - 0x100) as usize],
        _ if c.is_alphanumeric() => {
            out.extend(c.to_lowercase());
            return true;
        }
        _ => return false,
    };
    out.push_str(base);
    true
}

/// Calls `each` with every word of `text`, folded, in order (repeats included).
///
/// Most words of Dutch notes are ASCII: a word of ASCII letters and digits is lowercased from
/// its bytes (and passed as a slice of `text` when it has no capital), and only a word with
/// another character goes through `fold`. Both give what `fold` gives for every character.
pub fn words(text: &str, mut each: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut word = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() && bytes[i].is_ascii() {
            i += 1;
            continue;
        }
        // A word starts at `i`: its ASCII run first.
        let start = i;
        let mut upper = false;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            upper |= bytes[i].is_ascii_uppercase();
            i += 1;
        }
        if i == bytes.len() || bytes[i].is_ascii() {
            // All ASCII: one byte a character, cut at the length kept.
            let w = &text[start..i.min(start + TERM_CHARS_MAX)];
            if upper {
                word.clear();
                word.push_str(w);
                word.make_ascii_lowercase();
                each(&word);
            } else {
                each(w);
            }
            continue;
        }
        // Another character in the word: fold it whole, character by character.
        word.clear();
        let mut chars = 0usize;
        i = bytes.len();
        for (at, c) in text[start..].char_indices() {
            if chars < TERM_CHARS_MAX {
                if fold(c, &mut word) {
                    chars += 1;
                    continue;
                }
            } else if fold(c, &mut String::new()) {
                // Past the length kept: the rest of a long word is dropped.
                continue;
            }
            i = start + at + c.len_utf8();
            break;
        }
        if !word.is_empty() {
            each(&word);
        }
    }
}

/// The folded words of some texts, each followed by a line break, in order and with repeats:
/// one string, not one per word, since a note has dozens of words and the index takes a million
/// notes. Repeats cost less than sorting them out here: the index skips a note it has just added
/// to a word's list.
pub fn terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut all = String::new();
    for t in texts {
        words(t, |w| {
            all.push_str(w);
            all.push('\n');
        });
    }
    all
}

/// A hasher for the index's words (FxHash, as rustc uses): several times faster than the
/// default for short keys. Words come from notes, so a writer could choose colliding ones; that
/// would make the index slower, never wrong, and only for the writer's own study.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The words of a query, folded, in the order given (repeats dropped, keeping the last word
/// last, since it is matched as a prefix).
pub fn query_words(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    words(q, |w| {
        out.retain(|x| x != w);
        out.push(w.to_string());
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(query_words("Café, ÉÉN ĳs-coöperatie"), ["cafe", "een", "ijs", "cooperatie"]);
        assert_eq!(query_words("straße Łódź"), ["strasse", "lodz"]);
        assert_eq!(query_words("!!! ..."), Vec::<String>::new());
    }

    /// The first way of splitting, one character at a time: the fast paths must give the same.
    fn words_slowly(text: &str) -> Vec<String> {
        let (mut out, mut word, mut chars) = (Vec::new(), String::new(), 0usize);
        for c in text.chars() {
            if chars < TERM_CHARS_MAX {
                if fold(c, &mut word) {
                    chars += 1;
                    continue;
                }
            } else if fold(c, &mut String::new()) {
                continue;
            }
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            chars = 0;
        }
        if !word.is_empty() {
            out.push(word);
        }
        out
    }

    #[test]
    fn fast_paths_split_as_folding_each_character_does() {
        let long = "x".repeat(70);
        let texts = [
            "Café, ÉÉN ĳs-coöperatie",
            "De WIJK-tafel 12 mei: 3 bewoners, 2x koffie.",
            "naïef Straße überall ŁÓDŹ ǅemal ΑΘΗΝΑ 東京 x²",
            "",
            "...",
            "a",
            "Ab",
            "é",
            "straße",
            "abcé",
            "éabc",
            "Abc-Déf-ghi",
            "tab\there\nand\r\nthere",
            "\u{00a0}nbsp\u{2003}em",
        ];
        for t in texts.iter().map(|t| t.to_string()).chain([
            long.clone(),
            format!("{long}é{long}"),
            format!("é{long}"),
            format!("{}ABC", "y".repeat(62)),
            format!("{}ééé", "y".repeat(62)),
            "ß".repeat(70),
        ]) {
            let mut fast = Vec::new();
            words(&t, |w| fast.push(w.to_string()));
            assert_eq!(fast, words_slowly(&t), "{t:?}");
        }
    }

    #[test]
    fn long_words_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(query_words(&long), ["x".repeat(TERM_CHARS_MAX)]);
    }
}
