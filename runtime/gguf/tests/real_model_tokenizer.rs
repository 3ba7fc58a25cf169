//! Tokenizer checks against the real SmolLM2-135M-Instruct GGUF file.

mod common;

use sdec_gguf::{GgufFile, Tokenizer};

fn load(test: &str) -> Option<(GgufFile, Tokenizer)> {
    let path = common::model_path(test)?;
    let f = GgufFile::open(path).unwrap();
    let t = Tokenizer::from_gguf(&f).unwrap();
    Some((f, t))
}

/// Ids produced by an independent naive byte-level BPE written in Python
/// (regex split on digits, GPT-2 split pattern, lowest-rank-first merging over
/// the file's own vocab and merges, control tokens matched first).
const REFERENCE: &[(&str, &[u32])] = &[
    ("Hello, world!", &[19556, 28, 905, 17]),
    (
        "The year 2024 costs $1234.56",
        &[
            504, 713, 216, 34, 32, 34, 36, 3499, 1885, 33, 34, 35, 36, 30, 37, 38,
        ],
    ),
    (
        "  leading spaces\n\nand\ttabs  ",
        &[216, 2899, 5600, 198, 198, 397, 197, 100, 7366, 256],
    ),
    (
        "naïve café 日本語 🙂",
        &[
            3546, 46494, 37366, 17097, 241, 115, 40993, 179, 120, 248, 47526,
        ],
    ),
    (
        "<|im_start|>user\nHi<|im_end|>\n",
        &[1, 4093, 198, 26843, 2, 198],
    ),
    (
        "fn main() {\n    println!(\"{}\", x);\n}\n",
        &[
            7853, 1085, 1000, 1662, 472, 1628, 34115, 17, 43331, 1002, 1792, 4258, 198, 109, 198,
        ],
    ),
    (
        "I'm sure they'll say it's fine, won't they?",
        &[
            57, 5248, 2090, 502, 3060, 1643, 357, 506, 4979, 28, 3763, 982, 502, 47,
        ],
    ),
    (
        "def f(x):\n\treturn x**2  # square\n\n\n",
        &[
            1604, 275, 24, 104, 727, 198, 197, 5406, 1792, 828, 34, 216, 907, 5222, 16506,
        ],
    ),
    (
        "Ünïcödé: Ωμέγα, Привет мир, مرحبا, 안녕하세요",
        &[
            142, 246, 94, 25972, 83, 7466, 84, 2756, 42, 5664, 119, 16674, 34075, 23098, 8998, 28,
            5470, 249, 46879, 16464, 32547, 41337, 7872, 9175, 28, 36395, 20602, 44626, 31462,
            10805, 28, 18601, 239, 226, 182, 223, 239, 33085, 242, 183, 222, 133, 183, 244, 238,
        ],
    ),
    ("<|endoftext|>tail<|im_end|><|im_start|>", &[0, 14332, 2, 1]),
    ("   ", &[333]),
    ("a\r\nb\r\n", &[81, 201, 198, 82, 2738]),
    (
        "x = [1,2,3];   y = {'k': \"v\"}  ",
        &[
            104, 446, 933, 33, 28, 34, 28, 35, 26695, 256, 329, 446, 7353, 91, 1539, 476, 102,
            23597, 256,
        ],
    ),
    (
        "The quick brown fox jumps over the lazy dog. THE END",
        &[
            504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 30, 6462, 36588,
        ],
    ),
];

#[test]
fn encode_matches_reference_and_round_trips() {
    let Some((_, t)) = load("encode_matches_reference_and_round_trips") else {
        return;
    };
    for (text, want) in REFERENCE {
        let ids = t.encode(text).unwrap();
        assert_eq!(&ids, want, "{text:?}");
        assert_eq!(t.decode(&ids), *text);
    }
}

#[test]
fn special_tokens_and_ids() {
    let Some((_, t)) = load("special_tokens_and_ids") else {
        return;
    };
    assert_eq!(t.vocab_size(), 49152);
    assert_eq!(t.token_id("<|endoftext|>"), Some(0));
    assert_eq!(t.token_id("<|im_start|>"), Some(1));
    assert_eq!(t.token_id("<|im_end|>"), Some(2));
    assert_eq!(t.bos_id(), Some(1));
    assert_eq!(t.eos_id(), Some(2));
    assert_eq!(t.pad_id(), Some(2));
    assert!(!t.add_bos_token());
    assert!(t.is_control(2) && !t.is_control(19556));
    assert_eq!(t.encode("<|im_start|>").unwrap(), vec![1]);
    // "Hello, world!" -> Hello , Ġworld !
    let ids = t.encode("Hello, world!").unwrap();
    assert_eq!(ids, vec![19556, 28, 905, 17]);
    assert_eq!(t.token_str(905), Some("Ġworld"));
    assert_eq!(t.decode(&ids), "Hello, world!");
}

#[test]
fn round_trips_code_and_unicode() {
    let Some((_, t)) = load("round_trips_code_and_unicode") else {
        return;
    };
    let texts = [
        "use std::collections::HashMap;\nfn main() { let mut m = HashMap::new(); m.insert(1, \"a\"); }\n",
        "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
        "数学: ∑_{i=1}^n i² = n(n+1)(2n+1)/6 ✓ — “quotes” … 🚀🔥",
        "\u{0}\u{1}\u{7f} control bytes and a lone combining mark \u{301}",
        "",
    ];
    for text in texts {
        assert_eq!(t.decode(&t.encode(text).unwrap()), text, "{text:?}");
    }
    // A cut multi-byte character decodes lossily, not panicking.
    let ids = t.encode("日").unwrap();
    assert!(ids.len() > 1);
    assert!(t.decode_bytes(&ids[..1]).len() < 3);
    let _ = t.decode(&ids[..1]);
    assert_eq!(t.decode(&[u32::MAX]), "");
}

#[test]
fn chat_template_renders_chatml_with_default_system_prompt() {
    let Some((f, t)) = load("chat_template_renders_chatml_with_default_system_prompt") else {
        return;
    };
    let template = f.get_str("tokenizer.chat_template").unwrap();
    assert!(template.contains("<|im_start|>"));
    let default_system =
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n";
    let s = t.apply_chat_template(&[("user", "Hi")], true).unwrap();
    assert_eq!(
        s,
        format!("{default_system}<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    );
    // An explicit system message replaces the default one.
    let msgs = [
        ("system", "Be brief."),
        ("user", "2+2?"),
        ("assistant", "4"),
    ];
    let s = t.apply_chat_template(&msgs, false).unwrap();
    assert_eq!(s, sdec_gguf::chatml(&msgs, false));
    assert_eq!(
        s,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
    );
    // Encoding the prompt keeps the control tokens whole.
    let ids = t.encode(&s).unwrap();
    assert_eq!(ids.iter().filter(|&&i| i == 1).count(), 3);
    assert_eq!(ids.iter().filter(|&&i| i == 2).count(), 3);
    assert_eq!(ids[0], 1);
    assert_eq!(t.decode(&ids), s);
}
