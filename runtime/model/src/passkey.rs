//! Passkey retrieval: a seeded haystack of filler sentences with a 5-digit pass key hidden at a chosen
//! depth, asked for at the end through the model's chat template. The simplest long-context test that a
//! sparse policy still finds a needle.

use crate::error::{ModelError, Result};
use crate::generate::{generate_from, prefill_prompt, GenerateOptions, GenerateReport, Prefilled};
use crate::model::Model;
use crate::policies::PolicySpec;
use crate::synthetic::mix64;
use sdec_gguf::Tokenizer;
use serde::{Deserialize, Serialize};

/// Filler sentences (written for this crate): plain, repetitive, and free of digits.
const FILLER: [&str; 12] = [
    "The river runs slowly past the old mill and the willows lean over the water.",
    "In the market square the traders set out baskets of apples, onions and bread.",
    "A light wind moves the clouds across the hills while the sheep keep grazing.",
    "The library stays quiet in the afternoon, and the clock ticks above the door.",
    "Fishing boats come back to the harbour at dusk with their nets folded on deck.",
    "On the mountain path the hikers stop to drink water and look at the valley.",
    "The baker opens the shop before sunrise and the smell of bread fills the street.",
    "Children walk to school along the canal, counting the ducks on the way.",
    "In winter the lake freezes at the edges and the reeds turn pale and brittle.",
    "The train to the coast leaves every hour and stops at each small village.",
    "Bees move between the flowers in the garden behind the stone cottage.",
    "The lighthouse keeper climbs the stairs each evening to light the great lamp.",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasskeyTask {
    pub passkey: String,
    /// Where the needle sits, as a fraction of the haystack (0 = start, 1 = end).
    pub depth: f64,
    /// The full prompt after the chat template, and its token ids.
    pub prompt: String,
    pub prompt_ids: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasskeyResult {
    pub task_passkey: String,
    pub answer: String,
    pub correct: bool,
    pub report: GenerateReport,
}

/// A 5-digit pass key and a haystack of about `target_tokens` prompt tokens with the key at `depth`.
pub fn build_passkey(
    tok: &Tokenizer,
    target_tokens: usize,
    depth: f64,
    seed: u64,
) -> Result<PasskeyTask> {
    if !(0.0..=1.0).contains(&depth) {
        return Err(ModelError::Config(format!(
            "passkey depth {depth} outside [0, 1]"
        )));
    }
    let passkey = format!("{}", 10000 + mix64(seed ^ 0x5EED) % 90000);
    let needle = format!("The pass key is {passkey}. Remember it. {passkey} is the pass key.");
    let question = "What is the pass key? Answer with the number only.";
    let render = |hay: &[&str]| -> Result<String> {
        let user = format!("There is a pass key hidden in the following text. Find it and remember it.\n\n{}\n\n{question}", hay.join(" "));
        let mut p = tok.apply_chat_template(&[("user", user.as_str())], true)?;
        p.push_str("The pass key is");
        Ok(p)
    };
    // Grow the haystack by sentences until the prompt reaches the target length.
    let overhead = tok.encode(&render(&[needle.as_str()])?)?.len();
    let per_sentence = FILLER
        .iter()
        .map(|s| tok.encode(s).map(|v| v.len()))
        .sum::<std::result::Result<usize, _>>()? as f64
        / FILLER.len() as f64;
    let n =
        ((target_tokens.saturating_sub(overhead)) as f64 / per_sentence.max(1.0)).round() as usize;
    let mut hay: Vec<&str> = (0..n as u64)
        .map(|i| FILLER[(mix64(seed.wrapping_add(i)) % FILLER.len() as u64) as usize])
        .collect();
    let at = ((n as f64) * depth).round() as usize;
    hay.insert(at.min(hay.len()), &needle);
    let prompt = render(&hay)?;
    let prompt_ids = tok.encode(&prompt)?;
    Ok(PasskeyTask {
        passkey,
        depth,
        prompt,
        prompt_ids,
    })
}

/// Runs `policy` on the task (greedy, up to `max_new_tokens`, stopping at end-of-sequence) and checks
/// that the pass key appears in the answer.
pub fn run_passkey(
    model: &Model,
    tok: &Tokenizer,
    task: &PasskeyTask,
    policy: &PolicySpec,
    max_new_tokens: usize,
) -> Result<PasskeyResult> {
    let pre = prefill_prompt(
        model,
        &task.prompt_ids,
        GenerateOptions::default().prefill_chunk,
    )?;
    run_passkey_from(model, tok, task, pre, policy, max_new_tokens)
}

/// [`run_passkey`] from a prefill of `task.prompt_ids` (clone one [`Prefilled`] to try many policies).
pub fn run_passkey_from(
    model: &Model,
    tok: &Tokenizer,
    task: &PasskeyTask,
    pre: Prefilled,
    policy: &PolicySpec,
    max_new_tokens: usize,
) -> Result<PasskeyResult> {
    if pre.prompt_ids != task.prompt_ids {
        return Err(ModelError::Config(
            "the prefill is not of this passkey prompt".into(),
        ));
    }
    let opts = GenerateOptions {
        stop_tokens: stop_tokens(tok),
        ..Default::default()
    };
    let mut report = generate_from(model, pre, policy, max_new_tokens, opts)?;
    report.text = tok.decode(&report.generated_ids);
    let answer = report.text.clone();
    Ok(PasskeyResult {
        task_passkey: task.passkey.clone(),
        correct: answer.contains(&task.passkey),
        answer,
        report,
    })
}

/// End-of-turn tokens of a chat model: its EOS and `<|im_end|>` when present.
pub fn stop_tokens(tok: &Tokenizer) -> Vec<u32> {
    let mut v: Vec<u32> = [tok.eos_id(), tok.token_id("<|im_end|>")]
        .into_iter()
        .flatten()
        .collect();
    v.dedup();
    v
}
