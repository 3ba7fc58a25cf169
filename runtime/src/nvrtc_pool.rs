//! Many NVRTC compiles at once, in worker processes.
//!
//! Threads of one process do not compile in parallel: on the H100 machine (16 cores, NVRTC 13.0)
//! `sdec kernels compile --family linear` took 12.4 s on one thread and 5.7 s on 4, 8 or 16, while
//! four such processes side by side did four times the work in 6.2 s (session 17,
//! docs/results/tune.md). So a batch is cut into one share per core, and each share goes to a
//! process of `sdec nvrtc-worker`: it reads its jobs (JSON) on stdin and answers each with a
//! frame on stdout — a status byte (0: CUBIN, 1: NVRTC's log), a little-endian u64 length, the bytes.
//!
//! Only the `sdec` binary turns the workers on ([`use_worker_processes`]); anything else using
//! the library (tests, examples) compiles on threads as before.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SdecError};
use crate::nvrtc;

/// One kernel to compile: a rendered source and what names it in errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub source: String,
    pub arch: String,
    pub family: String,
    pub config: String,
}

/// The hidden subcommand a worker runs.
pub const WORKER_COMMAND: &str = "nvrtc-worker";

static WORKERS_ON: AtomicBool = AtomicBool::new(false);

/// Lets [`compile_many`] start worker processes of this executable (which must answer
/// [`WORKER_COMMAND`] with [`worker_main`]).
pub fn use_worker_processes() {
    WORKERS_ON.store(true, Ordering::Relaxed);
}

/// How many worker processes a batch may use: one per core (`SDEC_COMPILE_WORKERS` overrides;
/// 0 or 1 compiles in this process).
fn worker_count() -> usize {
    if !WORKERS_ON.load(Ordering::Relaxed) {
        return 1;
    }
    match std::env::var("SDEC_COMPILE_WORKERS").ok().and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => n,
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }
}

/// Compiles every job to a CUBIN; one result per job, in order. `done(n)` is called as `n` more
/// jobs finish (for a progress bar).
pub fn compile_many(jobs: &[Job], done: &(dyn Fn(usize) + Sync)) -> Vec<Result<Vec<u8>>> {
    let workers = worker_count().min(jobs.len());
    if workers <= 1 {
        return jobs
            .par_iter()
            .map(|j| {
                let r = nvrtc::compile_cubin(&j.source, &j.arch, &j.family, &j.config);
                done(1);
                r
            })
            .collect();
    }
    // Job i goes to share i % workers: neighbouring jobs (often alike in cost) spread out.
    let shares: Vec<Vec<usize>> = (0..workers).map(|w| (w..jobs.len()).step_by(workers).collect()).collect();
    let answers: Vec<Vec<Result<Vec<u8>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|share| {
                scope.spawn(move || {
                    let mine: Vec<&Job> = share.iter().map(|&i| &jobs[i]).collect();
                    let out = run_worker(&mine);
                    done(share.len());
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| vec![Err(SdecError::Invalid("an NVRTC worker thread panicked".into()))])).collect()
    });
    let mut results: Vec<Option<Result<Vec<u8>>>> = (0..jobs.len()).map(|_| None).collect();
    for (share, answer) in shares.iter().zip(answers) {
        let mut answer = answer.into_iter();
        for &i in share {
            results[i] = answer.next();
        }
    }
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(SdecError::Invalid("an NVRTC worker gave no answer".into())))).collect()
}

/// Runs one worker process over `jobs`: one result per job (jobs it did not answer, e.g. because
/// it crashed, get an error that says so).
fn run_worker(jobs: &[&Job]) -> Vec<Result<Vec<u8>>> {
    let fail_all = |why: String| jobs.iter().map(|_| Err(SdecError::Invalid(why.clone()))).collect();
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return fail_all(format!("cannot find this executable to start an NVRTC worker: {e}")),
    };
    let mut child = match Command::new(&exe).arg(WORKER_COMMAND).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return fail_all(format!("cannot start an NVRTC worker ({}): {e}", exe.display())),
    };
    // The worker reads all of stdin before it writes: write, close, then read.
    let sent = child.stdin.take().map(|mut stdin| serde_json::to_writer(&mut stdin, jobs).map_err(|e| e.to_string()).and_then(|_| stdin.flush().map_err(|e| e.to_string())));
    let mut out = Vec::new();
    let read = child.stdout.take().map(|mut stdout| stdout.read_to_end(&mut out));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait();
    let mut results = Vec::with_capacity(jobs.len());
    let mut at = 0;
    for job in jobs {
        match frame(&out, &mut at) {
            Some((0, bytes)) => results.push(Ok(bytes.to_vec())),
            Some((_, bytes)) => results.push(Err(SdecError::Compile { family: job.family.clone(), config: job.config.clone(), log: String::from_utf8_lossy(bytes).into_owned() })),
            None => {
                let why = format!(
                    "the NVRTC worker stopped before answering (sent: {sent:?}, read: {:?}, exit: {status:?}){}",
                    read.as_ref().map(|r| r.as_ref().map(|_| ()).map_err(|e| e.to_string())),
                    if stderr.trim().is_empty() { String::new() } else { format!(": {}", stderr.trim()) }
                );
                results.push(Err(SdecError::Compile { family: job.family.clone(), config: job.config.clone(), log: why }));
            }
        }
    }
    results
}

/// The next frame of `out` from `at`: (status, payload).
fn frame<'a>(out: &'a [u8], at: &mut usize) -> Option<(u8, &'a [u8])> {
    let header = out.get(*at..*at + 9)?;
    let len = u64::from_le_bytes(header[1..9].try_into().ok()?) as usize;
    let payload = out.get(*at + 9..(*at + 9).checked_add(len)?)?;
    *at += 9 + len;
    Some((header[0], payload))
}

fn write_frame(w: &mut impl Write, status: u8, payload: &[u8]) -> std::io::Result<()> {
    w.write_all(&[status])?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)
}

/// `sdec nvrtc-worker`: compiles the jobs on stdin one after another, a frame each on stdout.
pub fn worker_main() -> Result<()> {
    let jobs: Vec<Job> = serde_json::from_reader(std::io::stdin().lock()).map_err(|e| SdecError::Invalid(format!("nvrtc-worker: bad jobs on stdin: {e}")))?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    for job in &jobs {
        let written = match nvrtc::compile_cubin(&job.source, &job.arch, &job.family, &job.config) {
            Ok(cubin) => write_frame(&mut w, 0, &cubin),
            Err(SdecError::Compile { log, .. }) => write_frame(&mut w, 1, log.as_bytes()),
            Err(e) => write_frame(&mut w, 1, e.to_string().as_bytes()),
        };
        written.and_then(|_| w.flush()).map_err(|e| SdecError::Invalid(format!("nvrtc-worker: cannot write its answer: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_short_answer_is_not_a_frame() {
        let mut out = Vec::new();
        write_frame(&mut out, 0, b"cubin").unwrap();
        write_frame(&mut out, 1, b"").unwrap();
        write_frame(&mut out, 1, b"error: x").unwrap();
        let mut at = 0;
        assert_eq!(frame(&out, &mut at), Some((0, &b"cubin"[..])));
        assert_eq!(frame(&out, &mut at), Some((1, &b""[..])));
        assert_eq!(frame(&out, &mut at), Some((1, &b"error: x"[..])));
        assert_eq!(frame(&out, &mut at), None);
        let cut = &out[..out.len() - 1];
        let mut at = 0;
        frame(cut, &mut at);
        frame(cut, &mut at);
        assert_eq!(frame(cut, &mut at), None, "a truncated frame (a worker that died) is not an answer");
    }

    #[test]
    fn without_workers_every_job_is_answered_in_order() {
        // Not the sdec binary: compiles on threads. Two bad sources give two errors naming them
        // (this runs without NVRTC too: then the error says NVRTC is missing).
        let job = |config: &str| Job { source: "not CUDA".into(), arch: "sm_90".into(), family: "test".into(), config: config.into() };
        let counted = std::sync::atomic::AtomicUsize::new(0);
        let results = compile_many(&[job("a"), job("b")], &|n| {
            counted.fetch_add(n, Ordering::Relaxed);
        });
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(|r| r.is_err()));
        assert_eq!(counted.load(Ordering::Relaxed), 2);
    }
}
