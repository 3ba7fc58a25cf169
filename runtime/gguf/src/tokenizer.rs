//! The GPT-2-style byte-level BPE tokenizer stored in GGUF metadata.
//!
//! Encoding is delegated to Hugging Face's `tokenizers` crate (pure-Rust
//! build), whose BPE model is assembled from `tokenizer.ggml.tokens` and
//! `tokenizer.ggml.merges` (merge rank = position in the list). Control and
//! user-defined tokens (`tokenizer.ggml.token_type` 3 and 4, e.g.
//! `<|im_start|>`) are registered as added tokens, so they are matched as
//! whole tokens in the input before pre-tokenization and BPE.
//! Decoding is done here: byte-level BPE tokens spell bytes through GPT-2's
//! byte-to-printable-character table, which [`Tokenizer::decode_bytes`]
//! inverts.

use std::collections::HashMap;

use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior};

use crate::chat_template::render_chat_template;
use crate::error::{GgufError, Result};
use crate::file::GgufFile;

/// `tokenizer.ggml.token_type` values (llama.cpp's numbering).
pub mod token_type {
    pub const NORMAL: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const CONTROL: i32 = 3;
    pub const USER_DEFINED: i32 = 4;
    pub const UNUSED: i32 = 5;
    pub const BYTE: i32 = 6;
}

/// Split regex of Qwen2/Qwen3 tokenizers (`tokenizer.ggml.pre = "qwen2"`).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Split regex of Llama-3 tokenizers (`tokenizer.ggml.pre = "llama-bpe"`).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// A tokenizer built from a GGUF file's `tokenizer.*` metadata.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    tokens: Vec<String>,
    token_types: Vec<i32>,
    ids: HashMap<String, u32>,
    byte_of_char: HashMap<char, u8>,
    bos_id: Option<u32>,
    eos_id: Option<u32>,
    pad_id: Option<u32>,
    add_bos: bool,
    chat_template: Option<String>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab", &self.tokens.len())
            .field("bos_id", &self.bos_id)
            .field("eos_id", &self.eos_id)
            .finish_non_exhaustive()
    }
}

fn tok_err(reason: impl std::fmt::Display) -> GgufError {
    GgufError::Tokenizer {
        reason: reason.to_string(),
    }
}

/// GPT-2's byte <-> printable character table: printable Latin-1 bytes map to
/// themselves, the remaining bytes (controls, space, ...) to U+0100 onwards in
/// byte order, so every byte sequence has a visible, whitespace-free spelling.
fn char_to_byte_table() -> HashMap<char, u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut table = HashMap::with_capacity(256);
    let mut next = 256u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            char::from(b)
        } else {
            let c = char::from_u32(next).unwrap_or(char::REPLACEMENT_CHARACTER);
            next += 1;
            c
        };
        table.insert(c, b);
    }
    table
}

fn optional_id(f: &GgufFile, key: &str) -> Result<Option<u32>> {
    match f.get(key) {
        None => Ok(None),
        Some(_) => f.get_u32(key).map(Some),
    }
}

fn pre_tokenizer(pre: &str) -> Result<PreTokenizerWrapper> {
    // ByteLevel(add_prefix_space, trim_offsets, use_regex): with use_regex it
    // applies GPT-2's split pattern itself.
    let gpt2 = || ByteLevel::new(false, true, true);
    let split_then_bytes = |regex: &str| -> Result<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(regex.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(tok_err)?;
        Ok(Sequence::new(vec![
            split.into(),
            ByteLevel::new(false, true, false).into(),
        ])
        .into())
    };
    match pre {
        "gpt2" | "default" => Ok(gpt2().into()),
        // llama.cpp's "smollm": each digit on its own, then the GPT-2 pattern.
        "smollm" => Ok(Sequence::new(vec![Digits::new(true).into(), gpt2().into()]).into()),
        "qwen2" => split_then_bytes(QWEN2_SPLIT),
        "llama-bpe" => split_then_bytes(LLAMA3_SPLIT),
        other => Err(tok_err(format!(
            "unsupported pre-tokenizer {other:?} (tokenizer.ggml.pre; supported: gpt2, smollm, qwen2, llama-bpe)"
        ))),
    }
}

impl Tokenizer {
    /// Builds the tokenizer from `tokenizer.ggml.*` keys. Requires
    /// `tokenizer.ggml.model == "gpt2"`; `tokenizer.ggml.pre` (default
    /// `"gpt2"`) selects the pre-tokenizer.
    pub fn from_gguf(f: &GgufFile) -> Result<Self> {
        let model = f.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(tok_err(format!(
                "tokenizer.ggml.model is {model:?}; only \"gpt2\" (byte-level BPE) is supported"
            )));
        }
        let pre = match f.get("tokenizer.ggml.pre") {
            Some(_) => f.get_str("tokenizer.ggml.pre")?,
            None => "gpt2",
        };
        let tokens: Vec<String> = f
            .get_str_array("tokenizer.ggml.tokens")?
            .into_iter()
            .map(str::to_string)
            .collect();
        let n = tokens.len();
        let token_types: Vec<i32> = match f.get("tokenizer.ggml.token_type") {
            None => vec![token_type::NORMAL; n],
            Some(_) => f
                .get_i64_array("tokenizer.ggml.token_type")?
                .into_iter()
                .map(|t| i32::try_from(t).unwrap_or(token_type::NORMAL))
                .collect(),
        };
        if token_types.len() != n {
            return Err(tok_err(format!(
                "tokenizer.ggml.token_type has {} entries for {n} tokens",
                token_types.len()
            )));
        }
        let merges = f
            .get_str_array("tokenizer.ggml.merges")?
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| {
                        tok_err(format!("tokenizer.ggml.merges[{i}] = {m:?} has no space"))
                    })
            })
            .collect::<Result<Vec<_>>>()?;

        // First occurrence wins if a vocabulary repeats a string.
        let mut ids: HashMap<String, u32> = HashMap::with_capacity(n);
        for (i, t) in tokens.iter().enumerate() {
            let id = u32::try_from(i).map_err(|_| tok_err("vocabulary exceeds u32 ids"))?;
            ids.entry(t.clone()).or_insert(id);
        }
        let vocab: Vocab = ids.iter().map(|(k, &v)| (k.clone(), v)).collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(tok_err)?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer(pre)?));
        let added = |kind: i32, special: bool| -> Vec<AddedToken> {
            tokens
                .iter()
                .zip(&token_types)
                .filter(|(_, &t)| t == kind)
                .map(|(s, _)| AddedToken::from(s.clone(), special))
                .collect()
        };
        inner.add_special_tokens(&added(token_type::CONTROL, true));
        inner.add_tokens(&added(token_type::USER_DEFINED, false));

        Ok(Tokenizer {
            inner,
            bos_id: optional_id(f, "tokenizer.ggml.bos_token_id")?,
            eos_id: optional_id(f, "tokenizer.ggml.eos_token_id")?,
            pad_id: optional_id(f, "tokenizer.ggml.padding_token_id")?,
            add_bos: match f.get("tokenizer.ggml.add_bos_token") {
                Some(_) => f.get_bool("tokenizer.ggml.add_bos_token")?,
                None => false,
            },
            chat_template: match f.get("tokenizer.chat_template") {
                Some(_) => Some(f.get_str("tokenizer.chat_template")?.to_string()),
                None => None,
            },
            tokens,
            token_types,
            ids,
            byte_of_char: char_to_byte_table(),
        })
    }

    /// Tokenizes `text`. Control / user-defined tokens written literally in
    /// the text (e.g. `<|im_start|>`) become their single ids. No BOS is
    /// prepended (see [`Tokenizer::add_bos_token`]).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode(text, false).map_err(tok_err)?;
        Ok(enc.get_ids().to_vec())
    }

    /// The bytes the ids spell. Control and user-defined tokens contribute
    /// their text; ids outside the vocabulary contribute nothing.
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &id in ids {
            let Some(tok) = self.tokens.get(id as usize) else {
                continue;
            };
            let raw = matches!(
                self.token_types.get(id as usize),
                Some(&token_type::CONTROL | &token_type::USER_DEFINED)
            );
            if raw {
                out.extend_from_slice(tok.as_bytes());
                continue;
            }
            for c in tok.chars() {
                match self.byte_of_char.get(&c) {
                    Some(&b) => out.push(b),
                    // Not a byte-level character: keep it as UTF-8.
                    None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                }
            }
        }
        out
    }

    /// Decodes ids to text (invalid UTF-8, e.g. a cut multi-byte character,
    /// becomes U+FFFD). Special tokens are kept as their text.
    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned()
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The token's stored (byte-level) spelling.
    pub fn token_str(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The id of a token by its stored spelling (e.g. `"<|im_start|>"`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Whether `id` is a control token (`<|im_end|>`, `<|endoftext|>`, ...).
    pub fn is_control(&self, id: u32) -> bool {
        self.token_types.get(id as usize) == Some(&token_type::CONTROL)
    }

    /// `tokenizer.ggml.bos_token_id`.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos_id
    }

    /// `tokenizer.ggml.eos_token_id` (for SmolLM2-Instruct: `<|im_end|>`).
    pub fn eos_id(&self) -> Option<u32> {
        self.eos_id
    }

    /// `tokenizer.ggml.padding_token_id`.
    pub fn pad_id(&self) -> Option<u32> {
        self.pad_id
    }

    /// `tokenizer.ggml.add_bos_token` (false if absent): whether the model
    /// expects BOS prepended to prompts.
    pub fn add_bos_token(&self) -> bool {
        self.add_bos
    }

    /// The raw Jinja `tokenizer.chat_template`, if the file has one.
    pub fn chat_template(&self) -> Option<&str> {
        self.chat_template.as_deref()
    }

    /// Formats a conversation as a prompt string.
    ///
    /// Renders the file's own `tokenizer.chat_template` (Jinja, via
    /// `minijinja`, with Hugging Face's `trim_blocks`/`lstrip_blocks`
    /// settings and `bos_token`/`eos_token` variables). If the file has no
    /// template, falls back to plain ChatML:
    /// `<|im_start|>{role}\n{content}<|im_end|>\n` per message, plus
    /// `<|im_start|>assistant\n` when `add_generation_prompt`.
    /// For SmolLM2-Instruct the template also inserts its default system
    /// prompt when the first message is not a system message.
    pub fn apply_chat_template<R: AsRef<str>, C: AsRef<str>>(
        &self,
        messages: &[(R, C)],
        add_generation_prompt: bool,
    ) -> Result<String> {
        let msgs: Vec<(&str, &str)> = messages
            .iter()
            .map(|(r, c)| (r.as_ref(), c.as_ref()))
            .collect();
        match &self.chat_template {
            Some(t) => {
                let tok = |id: Option<u32>| id.and_then(|i| self.token_str(i)).unwrap_or("");
                render_chat_template(
                    t,
                    &msgs,
                    add_generation_prompt,
                    tok(self.bos_id),
                    tok(self.eos_id),
                )
            }
            None => Ok(chatml(&msgs, add_generation_prompt)),
        }
    }
}

/// Plain ChatML, the format of SmolLM2's (and Qwen's) templates.
pub fn chatml(messages: &[(&str, &str)], add_generation_prompt: bool) -> String {
    let mut s = String::new();
    for (role, content) in messages {
        s.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
    }
    if add_generation_prompt {
        s.push_str("<|im_start|>assistant\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_is_a_bijection() {
        let t = char_to_byte_table();
        assert_eq!(t.len(), 256);
        let mut seen = [false; 256];
        for &b in t.values() {
            seen[b as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(t[&'Ġ'], b' '); // GPT-2 spells a space as U+0120
        assert_eq!(t[&'Ċ'], b'\n');
        assert_eq!(t[&'a'], b'a');
    }

    /// A toy vocabulary: single byte-level characters, a few merges and two
    /// control tokens, in a synthetic GGUF file.
    fn toy() -> Tokenizer {
        use crate::meta::MetaValue;
        use crate::test_writer::{str_array, write_gguf};
        let mut tokens = vec!["<|s|>", "<|e|>"];
        let singles = ["h", "e", "l", "o", "Ġ", "w", "r", "d", "!", "1", "2"];
        tokens.extend(singles);
        tokens.extend(["he", "ll", "hell", "hello", "Ġw", "Ġwor", "or", "12"]);
        let merges = [
            "h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "1 2",
        ];
        let mut types = vec![MetaValue::I32(token_type::CONTROL); 2];
        types.resize(tokens.len(), MetaValue::I32(token_type::NORMAL));
        let meta = vec![
            ("tokenizer.ggml.model", MetaValue::String("gpt2".into())),
            ("tokenizer.ggml.pre", MetaValue::String("smollm".into())),
            ("tokenizer.ggml.tokens", str_array(&tokens)),
            ("tokenizer.ggml.merges", str_array(&merges)),
            (
                "tokenizer.ggml.token_type",
                MetaValue::Array {
                    elem_type: crate::meta::MetaType::I32,
                    values: types,
                },
            ),
            ("tokenizer.ggml.bos_token_id", MetaValue::U32(0)),
            ("tokenizer.ggml.eos_token_id", MetaValue::U32(1)),
        ];
        let f = GgufFile::from_bytes(write_gguf(&meta, &[])).unwrap();
        Tokenizer::from_gguf(&f).unwrap()
    }

    #[test]
    fn toy_vocab_merges_by_rank_and_matches_specials() {
        let t = toy();
        let id = |s: &str| t.token_id(s).unwrap();
        // "hello" merges fully; " world" -> "Ġwor" + "l" + "d" (no "Ġworl" merge).
        assert_eq!(
            t.encode("<|s|>hello world!<|e|>").unwrap(),
            vec![0, id("hello"), id("Ġwor"), id("l"), id("d"), id("!"), 1]
        );
        // smollm splits digits individually, so the "1 2" merge never applies.
        assert_eq!(t.encode("12").unwrap(), vec![id("1"), id("2")]);
        assert_eq!(t.decode(&t.encode("hello world!").unwrap()), "hello world!");
        assert_eq!(t.decode(&[0, id("he"), 1]), "<|s|>he<|e|>");
        assert_eq!(
            (t.bos_id(), t.eos_id(), t.pad_id()),
            (Some(0), Some(1), None)
        );
        // No template in the file: plain ChatML.
        assert_eq!(
            t.apply_chat_template(&[("user", "x")], false).unwrap(),
            "<|im_start|>user\nx<|im_end|>\n"
        );
    }

    #[test]
    fn rejects_non_gpt2_model() {
        use crate::meta::MetaValue;
        use crate::test_writer::write_gguf;
        let meta = vec![("tokenizer.ggml.model", MetaValue::String("llama".into()))];
        let f = GgufFile::from_bytes(write_gguf(&meta, &[])).unwrap();
        let e = Tokenizer::from_gguf(&f).unwrap_err().to_string();
        assert!(e.contains("llama"), "{e}");
    }

    #[test]
    fn chatml_format() {
        let s = chatml(&[("user", "Hi")], true);
        assert_eq!(s, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }
}
