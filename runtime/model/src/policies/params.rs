//! The `key=value,...` part of a policy spec, with errors that name the offending key or value.

use crate::error::{ModelError, Result};

pub struct KeyValues {
    policy: String,
    pairs: Vec<(String, String)>,
}

impl KeyValues {
    pub fn parse(policy: &str, rest: &str) -> Result<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((k, v)) = item.split_once('=') else {
                return Err(ModelError::BadPolicyValue {
                    policy: policy.into(),
                    key: item.into(),
                    value: String::new(),
                    why: "expected key=value".into(),
                });
            };
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if pairs.iter().any(|(pk, _)| *pk == k) {
                return Err(ModelError::BadPolicyValue {
                    policy: policy.into(),
                    key: k,
                    value: v,
                    why: "key given twice".into(),
                });
            }
            pairs.push((k, v));
        }
        Ok(Self {
            policy: policy.into(),
            pairs,
        })
    }

    /// Fails on the first key not in `valid`.
    pub fn check_keys(&self, valid: &[&str]) -> Result<()> {
        for (k, _) in &self.pairs {
            if !valid.contains(&k.as_str()) {
                let valid = if valid.is_empty() {
                    "none".to_string()
                } else {
                    valid.join(", ")
                };
                return Err(ModelError::UnknownPolicyKey {
                    policy: self.policy.clone(),
                    key: k.clone(),
                    valid,
                });
            }
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn bad(&self, key: &str, value: &str, why: &str) -> ModelError {
        ModelError::BadPolicyValue {
            policy: self.policy.clone(),
            key: key.into(),
            value: value.into(),
            why: why.into(),
        }
    }

    /// An integer `>= min`, or `default` when absent.
    pub fn usize(&self, key: &str, default: usize, min: usize) -> Result<usize> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let n: usize = v
            .parse()
            .map_err(|_| self.bad(key, v, "expected a non-negative integer"))?;
        if n < min {
            return Err(self.bad(key, v, &format!("must be >= {min}")));
        }
        Ok(n)
    }

    /// A finite number in `[lo, hi]`, or `default` when absent.
    pub fn f64(&self, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let x: f64 = v
            .parse()
            .map_err(|_| self.bad(key, v, "expected a number"))?;
        if !(x.is_finite() && x >= lo && x <= hi) {
            return Err(self.bad(key, v, &format!("must be in [{lo}, {hi}]")));
        }
        Ok(x)
    }

    /// A `+`-separated list of integers (`,` separates keys), e.g. `layers=2+13`.
    pub fn usize_list(&self, key: &str) -> Result<Option<Vec<usize>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let list: std::result::Result<Vec<usize>, _> =
            v.split('+').map(|x| x.trim().parse::<usize>()).collect();
        match list {
            Ok(l) if !l.is_empty() => Ok(Some(l)),
            _ => Err(self.bad(key, v, "expected integers joined by '+', e.g. 2+13")),
        }
    }
}
