//! Tests of [`GgufFile`] on synthetic files from the test-only writer.

use proptest::prelude::*;

use crate::dequant::quantize;
use crate::ggml_type::GgmlType;
use crate::meta::{MetaType, MetaValue};
use crate::test_writer::{f32_bytes, str_array, write_gguf, TestTensor};
use crate::{GgufError, GgufFile};

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 2001) as f32 / 1000.0
                - 1.0
        })
        .collect()
}

/// A small file using every metadata type and each supported tensor type.
fn small_file() -> Vec<u8> {
    let meta = vec![
        ("general.architecture", MetaValue::String("llama".into())),
        ("t.u8", MetaValue::U8(200)),
        ("t.i8", MetaValue::I8(-5)),
        ("t.u16", MetaValue::U16(60000)),
        ("t.i16", MetaValue::I16(-30000)),
        ("t.u32", MetaValue::U32(4_000_000_000)),
        ("t.i32", MetaValue::I32(-7)),
        ("t.f32", MetaValue::F32(1e-5)),
        ("t.bool", MetaValue::Bool(true)),
        ("t.u64", MetaValue::U64(1 << 50)),
        ("t.i64", MetaValue::I64(-(1 << 50))),
        ("t.f64", MetaValue::F64(0.125)),
        ("t.strs", str_array(&["a", "ß", "<|im_start|>"])),
        (
            "t.nested",
            MetaValue::Array {
                elem_type: MetaType::Array,
                values: vec![MetaValue::Array {
                    elem_type: MetaType::I32,
                    values: vec![MetaValue::I32(1), MetaValue::I32(-2)],
                }],
            },
        ),
        ("general.alignment", MetaValue::U32(64)),
    ];
    let f16: Vec<u8> = values(8, 3)
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
        .collect();
    let tensors = vec![
        TestTensor {
            name: "f32".into(),
            dims: vec![3, 2],
            ggml_type: GgmlType::F32,
            bytes: f32_bytes(&values(6, 1)),
        },
        TestTensor {
            name: "q8".into(),
            dims: vec![32, 2],
            ggml_type: GgmlType::Q8_0,
            bytes: quantize::q8_0(&values(64, 2)),
        },
        TestTensor {
            name: "f16".into(),
            dims: vec![8],
            ggml_type: GgmlType::F16,
            bytes: f16,
        },
        TestTensor {
            name: "q4".into(),
            dims: vec![32],
            ggml_type: GgmlType::Q4_1,
            bytes: quantize::q4_1(&values(32, 4)),
        },
    ];
    write_gguf(&meta, &tensors)
}

/// Exercises everything a caller might read, to surface panics.
fn touch_everything(f: &GgufFile) {
    for (k, _) in f.metadata().iter() {
        let _ = (
            f.get_u32(k),
            f.get_f32(k),
            f.get_str(k),
            f.get_str_array(k),
            f.get_i64_array(k),
        );
    }
    for name in f.tensor_names() {
        let _ = f.tensor_f32(name);
    }
}

#[test]
fn reads_metadata_of_every_type() {
    let f = GgufFile::from_bytes(small_file()).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), 64);
    assert_eq!(f.data_offset() % 64, 0);
    assert_eq!(f.get_str("general.architecture").unwrap(), "llama");
    assert_eq!(f.get("t.u8"), Some(&MetaValue::U8(200)));
    assert_eq!(f.get("t.i8"), Some(&MetaValue::I8(-5)));
    assert_eq!(f.get("t.u16"), Some(&MetaValue::U16(60000)));
    assert_eq!(f.get("t.i16"), Some(&MetaValue::I16(-30000)));
    assert_eq!(f.get_u32("t.u32").unwrap(), 4_000_000_000);
    assert_eq!(f.get_i32("t.i32").unwrap(), -7);
    assert_eq!(f.get_f32("t.f32").unwrap(), 1e-5);
    assert!(f.get_bool("t.bool").unwrap());
    assert_eq!(f.get_u64("t.u64").unwrap(), 1 << 50);
    assert_eq!(f.get("t.i64"), Some(&MetaValue::I64(-(1 << 50))));
    assert_eq!(f.get_f32("t.f64").unwrap(), 0.125);
    assert_eq!(
        f.get_str_array("t.strs").unwrap(),
        vec!["a", "ß", "<|im_start|>"]
    );
    match f.get("t.nested").unwrap() {
        MetaValue::Array {
            elem_type: MetaType::Array,
            values,
        } => {
            assert_eq!(values.len(), 1)
        }
        v => panic!("{v:?}"),
    }
    assert!(matches!(
        f.get_u32("t.u64"),
        Err(GgufError::WrongType { .. })
    ));
}

#[test]
fn tensor_table_and_round_trip() {
    let f = GgufFile::from_bytes(small_file()).unwrap();
    assert_eq!(f.tensor_names(), vec!["f32", "q8", "f16", "q4"]);
    let info = f.tensor_info("q8").unwrap();
    assert_eq!(info.dims, vec![32, 2]);
    assert_eq!(info.ggml_type, GgmlType::Q8_0);
    assert_eq!(info.n_bytes, Some(68));
    for t in f.tensors() {
        assert_eq!((f.data_offset() + t.offset) % 64, 0);
    }

    let t = f.tensor_f32("f32").unwrap();
    assert_eq!(t.shape, vec![2, 3]);
    assert_eq!(t.data, values(6, 1));
    assert_eq!(t.row(1).unwrap(), &values(6, 1)[3..]);

    let t = f.tensor_f32("q8").unwrap();
    assert_eq!(t.shape, vec![2, 32]);
    for (a, b) in values(64, 2).iter().zip(&t.data) {
        assert!((a - b).abs() <= 1.0 / 127.0, "{a} {b}"); // half a step of amax/127, amax <= 1
    }
    let t = f.tensor_f32("f16").unwrap();
    assert_eq!(t.shape, vec![8]);
    for (a, b) in values(8, 3).iter().zip(&t.data) {
        assert!((a - b).abs() <= 1e-3);
    }
    let t = f.tensor_f32("q4").unwrap();
    for (a, b) in values(32, 4).iter().zip(&t.data) {
        assert!((a - b).abs() <= 2.0 / 30.0 + 1e-3, "{a} {b}"); // half a step of range/15
    }
    assert!(matches!(
        f.tensor_f32("nope"),
        Err(GgufError::TensorNotFound { .. })
    ));
}

#[test]
fn specific_errors() {
    let good = small_file();
    let mut bad = good.clone();
    bad[0] = b'X';
    assert!(matches!(
        GgufFile::from_bytes(bad),
        Err(GgufError::BadMagic { .. })
    ));
    let mut bad = good.clone();
    bad[4] = 1;
    assert!(matches!(
        GgufFile::from_bytes(bad),
        Err(GgufError::UnsupportedVersion { version: 1 })
    ));
    // First key's length (offset 24) made absurd.
    let mut bad = good.clone();
    bad[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        GgufFile::from_bytes(bad),
        Err(GgufError::BadString { .. })
    ));
    // First value type (after 8-byte len + 20-byte key) made unknown.
    let mut bad = good.clone();
    let ty = 24 + 8 + "general.architecture".len();
    bad[ty..ty + 4].copy_from_slice(&99u32.to_le_bytes());
    let e = GgufFile::from_bytes(bad).unwrap_err();
    assert!(
        matches!(e, GgufError::UnknownMetadataType { ref key, type_id: 99, .. } if key == "general.architecture"),
        "{e}"
    );
    let e = GgufFile::from_bytes(good[..good.len() - 1].to_vec()).unwrap_err();
    assert!(
        matches!(e, GgufError::TensorOutOfBounds { ref name, .. } if name == "q4"),
        "{e}"
    );
    assert!(matches!(
        GgufFile::from_bytes(good[..10].to_vec()),
        Err(GgufError::Truncated { .. })
    ));
}

#[test]
fn huge_counts_do_not_allocate() {
    // Header claiming 2^60 metadata pairs and a string array of 2^62 entries.
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&(1u64 << 60).to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(b'k');
    b.extend_from_slice(&9u32.to_le_bytes());
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&(1u64 << 62).to_le_bytes());
    assert!(matches!(
        GgufFile::from_bytes(b),
        Err(GgufError::Truncated { .. })
    ));
}

#[test]
fn unknown_tensor_type_opens_but_does_not_dequantize() {
    let bytes = write_gguf(
        &[],
        &[TestTensor {
            name: "iq".into(),
            dims: vec![256],
            ggml_type: GgmlType::Other(19),
            bytes: vec![0; 50],
        }],
    );
    let f = GgufFile::from_bytes(bytes).unwrap();
    let e = f.tensor_f32("iq").unwrap_err().to_string();
    assert!(e.contains("iq") && e.contains("type#19"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any strict prefix of a valid file is rejected.
    #[test]
    fn truncation_is_an_error(cut in 0usize..10_000) {
        let good = small_file();
        let cut = cut % good.len();
        prop_assert!(GgufFile::from_bytes(good[..cut].to_vec()).is_err());
    }

    /// Corrupting any byte (header, metadata, table or data) never panics; the
    /// result may be Ok (e.g. a changed float) or Err.
    #[test]
    fn corruption_never_panics(pos in 0usize..10_000, byte in any::<u8>(), xor in any::<bool>()) {
        let mut bytes = small_file();
        let pos = pos % bytes.len();
        bytes[pos] = if xor { bytes[pos] ^ byte } else { byte };
        if let Ok(f) = GgufFile::from_bytes(bytes) {
            touch_everything(&f);
        }
    }
}

/// Every single-byte truncation point, exhaustively (the file is small).
#[test]
fn every_prefix_is_an_error() {
    let good = small_file();
    for cut in 0..good.len() {
        assert!(
            GgufFile::from_bytes(good[..cut].to_vec()).is_err(),
            "prefix {cut}"
        );
    }
}

/// Every byte position with a few nasty values, exhaustively.
#[test]
fn every_byte_corruption_never_panics() {
    let good = small_file();
    for pos in 0..good.len() {
        for v in [0u8, 0xFF, good[pos] ^ 1, good[pos] ^ 0x80, 0x7F] {
            let mut bytes = good.clone();
            bytes[pos] = v;
            if let Ok(f) = GgufFile::from_bytes(bytes) {
                touch_everything(&f);
            }
        }
    }
}
