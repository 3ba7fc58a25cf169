//! GGUF metadata values and typed look-ups by key.

use std::collections::HashMap;

use crate::error::{GgufError, Result};

/// The value type tags of GGUF metadata (as stored in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl MetaType {
    /// Maps the on-disk tag; `None` for unknown tags.
    pub fn from_id(id: u32) -> Option<Self> {
        use MetaType::*;
        Some(match id {
            0 => U8,
            1 => I8,
            2 => U16,
            3 => I16,
            4 => U32,
            5 => I32,
            6 => F32,
            7 => Bool,
            8 => String,
            9 => Array,
            10 => U64,
            11 => I64,
            12 => F64,
            _ => return None,
        })
    }

    /// Lower-case name used in error messages (`"u32"`, `"string"`, ...).
    pub fn name(self) -> &'static str {
        use MetaType::*;
        match self {
            U8 => "u8",
            I8 => "i8",
            U16 => "u16",
            I16 => "i16",
            U32 => "u32",
            I32 => "i32",
            F32 => "f32",
            Bool => "bool",
            String => "string",
            Array => "array",
            U64 => "u64",
            I64 => "i64",
            F64 => "f64",
        }
    }
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// Arrays keep their element type so that empty arrays are still typed.
    Array {
        elem_type: MetaType,
        values: Vec<MetaValue>,
    },
    U64(u64),
    I64(i64),
    F64(f64),
}

impl MetaValue {
    pub fn meta_type(&self) -> MetaType {
        match self {
            MetaValue::U8(_) => MetaType::U8,
            MetaValue::I8(_) => MetaType::I8,
            MetaValue::U16(_) => MetaType::U16,
            MetaValue::I16(_) => MetaType::I16,
            MetaValue::U32(_) => MetaType::U32,
            MetaValue::I32(_) => MetaType::I32,
            MetaValue::F32(_) => MetaType::F32,
            MetaValue::Bool(_) => MetaType::Bool,
            MetaValue::String(_) => MetaType::String,
            MetaValue::Array { .. } => MetaType::Array,
            MetaValue::U64(_) => MetaType::U64,
            MetaValue::I64(_) => MetaType::I64,
            MetaValue::F64(_) => MetaType::F64,
        }
    }

    /// Type description for errors, e.g. `"u32"` or `"array<string>"`.
    pub fn type_name(&self) -> String {
        match self {
            MetaValue::Array { elem_type, .. } => format!("array<{}>", elem_type.name()),
            other => other.meta_type().name().to_string(),
        }
    }

    /// Any integer value as i128 (lossless), else `None`.
    fn as_int(&self) -> Option<i128> {
        Some(match *self {
            MetaValue::U8(v) => v.into(),
            MetaValue::I8(v) => v.into(),
            MetaValue::U16(v) => v.into(),
            MetaValue::I16(v) => v.into(),
            MetaValue::U32(v) => v.into(),
            MetaValue::I32(v) => v.into(),
            MetaValue::U64(v) => v.into(),
            MetaValue::I64(v) => v.into(),
            _ => return None,
        })
    }

    fn as_float(&self) -> Option<f64> {
        match *self {
            MetaValue::F32(v) => Some(v.into()),
            MetaValue::F64(v) => Some(v),
            _ => None,
        }
    }
}

/// All key/value pairs of a file, in file order, with look-up by key.
///
/// Integer getters accept any stored integer type whose value fits the
/// requested type (writers disagree on e.g. u32 vs u64 for counts); float
/// getters accept f32 and f64. Anything else is [`GgufError::WrongType`];
/// an absent key is [`GgufError::MissingKey`].
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    entries: Vec<(String, MetaValue)>,
    index: HashMap<String, usize>,
}

macro_rules! int_getter {
    ($(#[$doc:meta])* $name:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self, key: &str) -> Result<$ty> {
            let v = self.require(key)?;
            v.as_int()
                .and_then(|i| <$ty>::try_from(i).ok())
                .ok_or_else(|| wrong_type(key, stringify!($ty), v))
        }
    };
}

impl Metadata {
    /// Appends a pair; a repeated key is an error (the file would be ambiguous).
    pub(crate) fn insert(&mut self, key: String, value: MetaValue, offset: u64) -> Result<()> {
        if self.index.contains_key(&key) {
            return Err(GgufError::BadMetadata {
                key,
                offset,
                reason: "duplicate key".into(),
            });
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push((key, value));
        Ok(())
    }

    /// Number of key/value pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pairs in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetaValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The raw value, if present.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.index
            .get(key)
            .and_then(|&i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    fn require(&self, key: &str) -> Result<&MetaValue> {
        self.get(key).ok_or_else(|| GgufError::MissingKey {
            key: key.to_string(),
        })
    }

    int_getter!(get_u8, u8);
    int_getter!(get_u16, u16);
    int_getter!(get_u32, u32);
    int_getter!(get_i32, i32);
    int_getter!(get_u64, u64);
    int_getter!(get_i64, i64);
    int_getter!(
        /// Any non-negative integer value that fits `usize`.
        get_usize,
        usize
    );

    pub fn get_f32(&self, key: &str) -> Result<f32> {
        let v = self.require(key)?;
        v.as_float()
            .map(|f| f as f32)
            .ok_or_else(|| wrong_type(key, "f32", v))
    }

    pub fn get_f64(&self, key: &str) -> Result<f64> {
        let v = self.require(key)?;
        v.as_float().ok_or_else(|| wrong_type(key, "f64", v))
    }

    pub fn get_bool(&self, key: &str) -> Result<bool> {
        match self.require(key)? {
            MetaValue::Bool(b) => Ok(*b),
            v => Err(wrong_type(key, "bool", v)),
        }
    }

    pub fn get_str(&self, key: &str) -> Result<&str> {
        match self.require(key)? {
            MetaValue::String(s) => Ok(s),
            v => Err(wrong_type(key, "string", v)),
        }
    }

    /// The raw elements of an array value.
    pub fn get_array(&self, key: &str) -> Result<&[MetaValue]> {
        match self.require(key)? {
            MetaValue::Array { values, .. } => Ok(values),
            v => Err(wrong_type(key, "array", v)),
        }
    }

    /// An array of strings.
    pub fn get_str_array(&self, key: &str) -> Result<Vec<&str>> {
        let v = self.require(key)?;
        match v {
            MetaValue::Array {
                elem_type: MetaType::String,
                values,
            } => Ok(values
                .iter()
                .filter_map(|e| match e {
                    MetaValue::String(s) => Some(s.as_str()),
                    _ => None, // the reader guarantees homogeneous arrays
                })
                .collect()),
            _ => Err(wrong_type(key, "array<string>", v)),
        }
    }

    /// An array of integers, each converted losslessly to i64.
    pub fn get_i64_array(&self, key: &str) -> Result<Vec<i64>> {
        let v = self.require(key)?;
        let values = match v {
            MetaValue::Array { values, .. } => values,
            _ => return Err(wrong_type(key, "array<integer>", v)),
        };
        values
            .iter()
            .map(|e| e.as_int().and_then(|i| i64::try_from(i).ok()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| wrong_type(key, "array<integer>", v))
    }

    /// An array of floats (f32 or f64 elements) as f32.
    pub fn get_f32_array(&self, key: &str) -> Result<Vec<f32>> {
        let v = self.require(key)?;
        let values = match v {
            MetaValue::Array { values, .. } => values,
            _ => return Err(wrong_type(key, "array<f32>", v)),
        };
        values
            .iter()
            .map(|e| e.as_float().map(|f| f as f32))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| wrong_type(key, "array<f32>", v))
    }
}

fn wrong_type(key: &str, expected: &'static str, found: &MetaValue) -> GgufError {
    GgufError::WrongType {
        key: key.to_string(),
        expected,
        found: found.type_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        let mut m = Metadata::default();
        m.insert("a.u32".into(), MetaValue::U32(7), 0).unwrap();
        m.insert("a.u64".into(), MetaValue::U64(1 << 40), 0)
            .unwrap();
        m.insert("a.neg".into(), MetaValue::I32(-1), 0).unwrap();
        m.insert("a.f".into(), MetaValue::F32(0.5), 0).unwrap();
        m.insert("a.s".into(), MetaValue::String("x".into()), 0)
            .unwrap();
        m.insert(
            "a.arr".into(),
            MetaValue::Array {
                elem_type: MetaType::String,
                values: vec![MetaValue::String("p".into()), MetaValue::String("q".into())],
            },
            0,
        )
        .unwrap();
        m
    }

    #[test]
    fn typed_getters() {
        let m = sample();
        assert_eq!(m.get_u32("a.u32").unwrap(), 7);
        assert_eq!(m.get_u64("a.u32").unwrap(), 7);
        assert_eq!(m.get_u64("a.u64").unwrap(), 1 << 40);
        assert_eq!(m.get_i32("a.neg").unwrap(), -1);
        assert_eq!(m.get_f32("a.f").unwrap(), 0.5);
        assert_eq!(m.get_str("a.s").unwrap(), "x");
        assert_eq!(m.get_str_array("a.arr").unwrap(), vec!["p", "q"]);
    }

    #[test]
    fn getter_errors_name_the_key() {
        let m = sample();
        let e = m.get_u32("a.u64").unwrap_err().to_string();
        assert!(e.contains("a.u64") && e.contains("u64"), "{e}");
        let e = m.get_u32("a.neg").unwrap_err().to_string();
        assert!(e.contains("a.neg"), "{e}");
        let e = m.get_str("a.u32").unwrap_err().to_string();
        assert!(e.contains("a.u32") && e.contains("string"), "{e}");
        let e = m.get_f32("missing.key").unwrap_err();
        assert!(matches!(e, GgufError::MissingKey { ref key } if key == "missing.key"));
        let e = m.get_str_array("a.s").unwrap_err().to_string();
        assert!(e.contains("a.s") && e.contains("array<string>"), "{e}");
    }

    #[test]
    fn duplicate_key_rejected() {
        let mut m = sample();
        assert!(m.insert("a.u32".into(), MetaValue::U8(1), 99).is_err());
    }
}
