//! The tuner's NVRTC compiles in the background: `prepare` hands the configurations a search will
//! measure next to a thread, which compiles them (through the worker pool) while the GPU
//! verifies and times those before them; a measurement then waits only for its own
//! configurations. Compiled before, one batch at a time, NVRTC and the GPU took turns: 4.3 s of
//! an exhaustive run and 8.1 s of a descent (docs/results/tune.md, session 17). Exhaustive hands
//! over its whole space at an entry's start, descent as many as it will measure (nearest its
//! starts first) and then its lines; dropping the measurer stops what has not started.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use sdec_kernels::KernelKey;

use crate::nvrtc_pool::{compile_each_while, Job};

/// A compile's outcome: the CUBIN, or NVRTC's reason.
pub type Compiled = (KernelKey, std::result::Result<Vec<u8>, String>);

/// Compiles started and not yet collected.
pub struct Background {
    tx: Sender<Compiled>,
    rx: Receiver<Compiled>,
    in_flight: HashSet<KernelKey>,
    /// The compiling threads: once all have ended, keys still in flight will not come.
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Set when the owner goes away: results are no longer sent.
    cancelled: Arc<AtomicBool>,
}

impl Default for Background {
    fn default() -> Self {
        let (tx, rx) = channel();
        Background { tx, rx, in_flight: HashSet::new(), threads: Vec::new(), cancelled: Arc::new(AtomicBool::new(false)) }
    }
}

impl Background {
    /// Starts compiling `jobs` on a thread of their own; each result is sent as soon as it is
    /// ready. Keys already in flight are skipped.
    pub fn start(&mut self, jobs: Vec<(KernelKey, Job)>) {
        let jobs: Vec<(KernelKey, Job)> = jobs.into_iter().filter(|(key, _)| self.in_flight.insert(key.clone())).collect();
        if jobs.is_empty() {
            return;
        }
        let (tx, cancelled) = (Mutex::new(self.tx.clone()), self.cancelled.clone());
        self.threads.retain(|t| !t.is_finished());
        self.threads.push(std::thread::spawn(move || {
            let (keys, jobs): (Vec<KernelKey>, Vec<Job>) = jobs.into_iter().unzip();
            // Once the owner is gone (its entry searched), no further job starts: descent leaves
            // lines it prepared and never walked.
            let keep_going = || !cancelled.load(Ordering::Relaxed);
            compile_each_while(&jobs, &keep_going, &|i, result| {
                if keep_going() {
                    let _ = tx.lock().map(|tx| tx.send((keys[i].clone(), result.map_err(|e| e.to_string()))));
                }
            });
        }));
    }

    pub fn is_pending(&self, key: &KernelKey) -> bool {
        self.in_flight.contains(key)
    }

    /// Every result that has arrived, and, waiting for them, those of `wanted` still in flight.
    pub fn collect(&mut self, wanted: &[KernelKey]) -> Vec<Compiled> {
        let mut got: Vec<Compiled> = self.rx.try_iter().collect();
        for (key, _) in &got {
            self.in_flight.remove(key);
        }
        while wanted.iter().any(|k| self.in_flight.contains(k)) {
            // The sender half is held here too, so the channel never hangs up: a thread that
            // died (panicked) is seen by its handle, and what it left in flight fails.
            match self.rx.recv_timeout(std::time::Duration::from_millis(200)) {
                Ok(result) => {
                    self.in_flight.remove(&result.0);
                    got.push(result);
                }
                Err(_) if self.threads.iter().all(|t| t.is_finished()) => {
                    got.extend(self.rx.try_iter().inspect(|(key, _)| {
                        self.in_flight.remove(key);
                    }));
                    let lost: Vec<KernelKey> = wanted.iter().filter(|k| self.in_flight.remove(*k)).cloned().collect();
                    got.extend(lost.into_iter().map(|k| (k, Err("the background compile stopped before answering".to_string()))));
                }
                Err(_) => {}
            }
        }
        got
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(config: &str) -> (KernelKey, Job) {
        let source = format!("extern \"C\" __global__ void k(int* x) {{ x[0] = {config}; }}\n");
        let key = KernelKey(format!("test-{config}"));
        (key, Job { source, arch: "sm_90".into(), family: "test".into(), config: config.into() })
    }

    #[test]
    fn results_arrive_for_what_is_waited_for_and_keys_are_not_compiled_twice() {
        if crate::nvrtc::version().is_err() {
            eprintln!("skipped: no NVRTC library (run scripts/setup.sh)");
            return;
        }
        let mut bg = Background::default();
        bg.start(vec![job("1"), job("2"), job("3 +")]);
        bg.start(vec![job("1")]);
        assert!(bg.is_pending(&job("2").0));
        let got = bg.collect(&[job("2").0, job("3 +").0]);
        let ok = |k: &str| got.iter().find(|(key, _)| key.0 == format!("test-{k}")).map(|(_, r)| r.is_ok());
        assert_eq!(ok("2"), Some(true));
        assert_eq!(ok("3 +"), Some(false), "NVRTC's error comes back as the reason");
        assert!(!bg.is_pending(&job("2").0) && !bg.is_pending(&job("3 +").0));
        let rest = bg.collect(&[job("1").0]);
        let ones = got.iter().chain(&rest).filter(|(key, _)| key.0 == "test-1").count();
        assert_eq!(ones, 1, "a key started twice is compiled once");
    }
}
