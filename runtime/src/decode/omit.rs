//! Stages of a decode step that `sdec bench decode --omit` leaves out, to see in the step's own
//! graph what each costs (the difference to the whole step), where isolated kernel timings miss
//! the launch gaps and the overlap between neighbours. A step with an omitted stage computes
//! wrong values; only its time means something.

/// A stage of every layer (or of the step's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The q, k, v projection (with its RMSNorm).
    Qkv,
    /// RoPE and the KV-cache append (for Llama on the generated path they are part of the q|k|v
    /// product: leaving out either `qkv` or `rope` leaves out both).
    Rope,
    /// The policy's attention launches (and, for LycheeDecode, its selection).
    Attention,
    /// LycheeDecode's selection alone: the top-k of the retrieval heads' block scores and the
    /// index update (on its side stream, beside the o projection and the MLP).
    Select,
    /// The output projection.
    O,
    /// The gate and up projections (with RMSNorm and SwiGLU).
    GateUp,
    /// The down projection.
    Down,
    /// The final norm and the LM head.
    LmHead,
    /// The greedy token of each row.
    Argmax,
}

/// The set of stages a step leaves out (empty: the whole step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omitted(u16);

impl Omitted {
    pub fn of(stages: &[Stage]) -> Self {
        Omitted(stages.iter().fold(0, |bits, &s| bits | 1 << s as u16))
    }
    /// Whether the step runs `stage`.
    pub fn runs(self, stage: Stage) -> bool {
        self.0 & (1 << stage as u16) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_stages_are_the_ones_named() {
        let o = Omitted::of(&[Stage::Rope, Stage::Argmax]);
        assert!(!o.runs(Stage::Rope) && !o.runs(Stage::Argmax));
        assert!(o.runs(Stage::Qkv) && o.runs(Stage::Attention) && o.runs(Stage::LmHead));
        assert_eq!(Omitted::default(), Omitted::of(&[]));
        assert!(Omitted::of(&[]).runs(Stage::Down) && Omitted::default().runs(Stage::Argmax));
    }
}
