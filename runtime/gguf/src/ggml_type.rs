//! ggml tensor element types as numbered in GGUF tensor infos, with their
//! block geometry (elements per block, bytes per block) where known.

use std::fmt;

/// A ggml tensor type id. Ids this crate does not know keep their number in
/// [`GgmlType::Other`] so a file using them still opens; only dequantizing such
/// a tensor fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
    I8,
    I16,
    I32,
    I64,
    F64,
    BF16,
    /// Any other id (IQ*, TQ*, MXFP4, future types).
    Other(u32),
}

impl GgmlType {
    /// Maps a GGUF type id to a type (never fails; unknown ids become `Other`).
    pub fn from_id(id: u32) -> Self {
        use GgmlType::*;
        match id {
            0 => F32,
            1 => F16,
            2 => Q4_0,
            3 => Q4_1,
            6 => Q5_0,
            7 => Q5_1,
            8 => Q8_0,
            9 => Q8_1,
            10 => Q2K,
            11 => Q3K,
            12 => Q4K,
            13 => Q5K,
            14 => Q6K,
            15 => Q8K,
            24 => I8,
            25 => I16,
            26 => I32,
            27 => I64,
            28 => F64,
            30 => BF16,
            other => Other(other),
        }
    }

    /// The GGUF type id.
    pub fn id(self) -> u32 {
        use GgmlType::*;
        match self {
            F32 => 0,
            F16 => 1,
            Q4_0 => 2,
            Q4_1 => 3,
            Q5_0 => 6,
            Q5_1 => 7,
            Q8_0 => 8,
            Q8_1 => 9,
            Q2K => 10,
            Q3K => 11,
            Q4K => 12,
            Q5K => 13,
            Q6K => 14,
            Q8K => 15,
            I8 => 24,
            I16 => 25,
            I32 => 26,
            I64 => 27,
            F64 => 28,
            BF16 => 30,
            Other(id) => id,
        }
    }

    /// `(elements per block, bytes per block)`, or `None` for unknown types.
    /// Plain types are blocks of one element.
    pub fn block_layout(self) -> Option<(u64, u64)> {
        use GgmlType::*;
        Some(match self {
            F32 => (1, 4),
            F16 => (1, 2),
            BF16 => (1, 2),
            F64 => (1, 8),
            I8 => (1, 1),
            I16 => (1, 2),
            I32 => (1, 4),
            I64 => (1, 8),
            Q4_0 => (32, 18),  // f16 d + 16 bytes of nibbles
            Q4_1 => (32, 20),  // f16 d + f16 m + 16 bytes of nibbles
            Q5_0 => (32, 22),  // f16 d + 4 bytes high bits + 16 bytes nibbles
            Q5_1 => (32, 24),  // f16 d + f16 m + 4 + 16
            Q8_0 => (32, 34),  // f16 d + 32 i8
            Q8_1 => (32, 36),  // f16 d + f16 s + 32 i8
            Q2K => (256, 84),  // 16 scales + 64 qs + f16 d + f16 dmin
            Q3K => (256, 110), // 32 hmask + 64 qs + 12 scales + f16 d
            Q4K => (256, 144), // f16 d + f16 dmin + 12 scales + 128 qs
            Q5K => (256, 176), // f16 d + f16 dmin + 12 scales + 32 qh + 128 qs
            Q6K => (256, 210), // 128 ql + 64 qh + 16 scales + f16 d
            Q8K => (256, 292), // f32 d + 256 i8 + 16 i16 bsums
            Other(_) => return None,
        })
    }

    /// Short name as ggml spells it (`"Q4_1"`, `"F32"`, `"type#39"` for unknown).
    pub fn name(self) -> String {
        use GgmlType::*;
        match self {
            F32 => "F32".into(),
            F16 => "F16".into(),
            Q4_0 => "Q4_0".into(),
            Q4_1 => "Q4_1".into(),
            Q5_0 => "Q5_0".into(),
            Q5_1 => "Q5_1".into(),
            Q8_0 => "Q8_0".into(),
            Q8_1 => "Q8_1".into(),
            Q2K => "Q2_K".into(),
            Q3K => "Q3_K".into(),
            Q4K => "Q4_K".into(),
            Q5K => "Q5_K".into(),
            Q6K => "Q6_K".into(),
            Q8K => "Q8_K".into(),
            I8 => "I8".into(),
            I16 => "I16".into(),
            I32 => "I32".into(),
            I64 => "I64".into(),
            F64 => "F64".into(),
            BF16 => "BF16".into(),
            Other(id) => format!("type#{id}"),
        }
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trip() {
        for id in 0..64 {
            assert_eq!(GgmlType::from_id(id).id(), id);
        }
    }
}
