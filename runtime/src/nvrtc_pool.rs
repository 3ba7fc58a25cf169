//! Many NVRTC compiles at once, in worker processes.
//!
//! Threads of one process do not compile in parallel: on the H100 machine (16 cores, NVRTC 13.0)
//! `sdec kernels compile --family linear` took 12.4 s on one thread and 5.7 s on 4, 8 or 16, while
//! four such processes side by side did four times the work in 6.2 s (session 17,
//! docs/results/tune.md). So `sdec` keeps a pool of worker processes (`sdec nvrtc-worker`, one a
//! core), started on first use and kept for the run: the tuner's descent compiles a few kernels at
//! a time, hundreds of times, and a process started per batch cost it most of the gain. A request
//! and an answer are frames on the worker's stdin and stdout: a status byte, a little-endian u64
//! length, the bytes — a job as JSON; a CUBIN (status 0) or NVRTC's log (status 1).
//!
//! Only the `sdec` binary turns the workers on ([`use_worker_processes`]); anything else using
//! the library (tests, examples) compiles on threads.

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use sdec_kernels::KernelFamily;
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

impl Job {
    /// `config` of family `F` rendered for `shape`, for `arch`.
    pub fn of<F: KernelFamily>(config: &F::Config, shape: &F::Shape, arch: &str) -> Job {
        Job { source: F::render(config, shape), arch: arch.into(), family: F::NAME.into(), config: serde_json::to_string(config).unwrap_or_default() }
    }
}

/// The hidden subcommand a worker runs.
pub const WORKER_COMMAND: &str = "nvrtc-worker";

static WORKERS_ON: AtomicBool = AtomicBool::new(false);
/// Workers between batches.
static IDLE: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

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
    let cores = || std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    match std::env::var("SDEC_COMPILE_WORKERS") {
        Err(_) => cores(),
        Ok(v) => v.trim().parse::<usize>().unwrap_or_else(|_| {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| eprintln!("note: SDEC_COMPILE_WORKERS={v:?} is not a count of processes; using one a core"));
            cores()
        }),
    }
}

/// A running `sdec nvrtc-worker`.
struct Worker {
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
}

impl Worker {
    fn start() -> std::result::Result<Worker, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable to start an NVRTC worker: {e}"))?;
        let mut child = Command::new(&exe)
            .arg(WORKER_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start an NVRTC worker ({}): {e}", exe.display()))?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("an NVRTC worker without pipes".into());
        };
        Ok(Worker { child, to: BufWriter::new(to), from: BufReader::new(from) })
    }

    /// Sends one job and reads its answer; Err: the worker is broken (it is then dropped).
    fn compile(&mut self, job: &Job) -> std::result::Result<Result<Vec<u8>>, String> {
        let request = serde_json::to_vec(job).map_err(|e| e.to_string())?;
        write_frame(&mut self.to, 0, &request).and_then(|_| self.to.flush()).map_err(|e| format!("cannot send a job to an NVRTC worker: {e}"))?;
        let (status, bytes) = read_frame(&mut self.from).map_err(|e| format!("an NVRTC worker stopped before answering ({e})"))?;
        Ok(match status {
            0 => Ok(bytes),
            _ => Err(SdecError::Compile { family: job.family.clone(), config: job.config.clone(), log: String::from_utf8_lossy(&bytes).into_owned() }),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Compiles every job to a CUBIN; one result per job, in order. `done(n)` is called as `n` more
/// jobs finish (for a progress bar).
pub fn compile_many(jobs: &[Job], done: &(dyn Fn(usize) + Sync)) -> Vec<Result<Vec<u8>>> {
    let results: Vec<Mutex<Option<Result<Vec<u8>>>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    compile_each(jobs, &|i, result| {
        *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        done(1);
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(|| Err(SdecError::Invalid("an NVRTC job was not answered".into()))))
        .collect()
}

/// Compiles every job, handing each result to `each(index, result)` as soon as it is ready (in
/// no particular order; every index once): the workers take the next job as they finish, so
/// one slow compile holds up no other.
pub fn compile_each(jobs: &[Job], each: &(dyn Fn(usize, Result<Vec<u8>>) + Sync)) {
    compile_each_while(jobs, &|| true, each)
}

/// [`compile_each`], starting no further job once `keep_going` says no (those not started get
/// no result): a search that has moved on stops compiling what it no longer needs.
pub fn compile_each_while(jobs: &[Job], keep_going: &(dyn Fn() -> bool + Sync), each: &(dyn Fn(usize, Result<Vec<u8>>) + Sync)) {
    let workers = worker_count().min(jobs.len());
    if workers <= 1 {
        jobs.par_iter().enumerate().filter(|_| keep_going()).for_each(|(i, j)| each(i, nvrtc::compile_cubin(&j.source, &j.arch, &j.family, &j.config)));
        return;
    }
    let mut pool: Vec<Worker> = {
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        let keep = idle.len().saturating_sub(workers);
        idle.drain(keep..).collect()
    };
    // Each thread drives one worker, taking the next job until none is left.
    let next = AtomicUsize::new(0);
    let returned: Mutex<Vec<Worker>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let mut worker = pool.pop();
            let (next, returned) = (&next, &returned);
            scope.spawn(move || {
                while keep_going() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let answer = match worker.take().map(Ok).unwrap_or_else(Worker::start) {
                        Ok(mut w) => match w.compile(job) {
                            Ok(answer) => {
                                worker = Some(w);
                                answer
                            }
                            // A broken worker is dropped (killed); the next job starts another.
                            Err(why) => Err(SdecError::Compile { family: job.family.clone(), config: job.config.clone(), log: why }),
                        },
                        Err(why) => Err(SdecError::Invalid(why)),
                    };
                    each(i, answer);
                }
                if let Some(w) = worker {
                    returned.lock().unwrap_or_else(|p| p.into_inner()).push(w);
                }
            });
        }
    });
    IDLE.lock().unwrap_or_else(|p| p.into_inner()).extend(returned.into_inner().unwrap_or_else(|p| p.into_inner()));
}

fn write_frame(w: &mut impl Write, status: u8, payload: &[u8]) -> std::io::Result<()> {
    w.write_all(&[status])?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)
}

/// The next frame: (status, payload). An end of input inside a frame is an error.
fn read_frame(r: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 9];
    r.read_exact(&mut header)?;
    let len = u64::from_le_bytes(header[1..9].try_into().unwrap_or([0; 8])) as usize;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)?;
    Ok((header[0], payload))
}

/// `sdec nvrtc-worker`: answers each job frame on stdin with a CUBIN or NVRTC's log on stdout,
/// until stdin ends.
pub fn worker_main() -> Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    loop {
        let request = match read_frame(&mut input) {
            Ok((_, bytes)) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(SdecError::Invalid(format!("nvrtc-worker: cannot read a job: {e}"))),
        };
        let job: Job = serde_json::from_slice(&request).map_err(|e| SdecError::Invalid(format!("nvrtc-worker: a bad job: {e}")))?;
        let written = match nvrtc::compile_cubin(&job.source, &job.arch, &job.family, &job.config) {
            Ok(cubin) => write_frame(&mut output, 0, &cubin),
            Err(SdecError::Compile { log, .. }) => write_frame(&mut output, 1, log.as_bytes()),
            Err(e) => write_frame(&mut output, 1, e.to_string().as_bytes()),
        };
        written.and_then(|_| output.flush()).map_err(|e| SdecError::Invalid(format!("nvrtc-worker: cannot write its answer: {e}")))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_cut_frame_is_an_error() {
        let mut out = Vec::new();
        write_frame(&mut out, 0, b"cubin").unwrap();
        write_frame(&mut out, 1, b"").unwrap();
        let mut r = &out[..];
        assert_eq!(read_frame(&mut r).unwrap(), (0, b"cubin".to_vec()));
        assert_eq!(read_frame(&mut r).unwrap(), (1, Vec::new()));
        assert_eq!(read_frame(&mut r).unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof, "the end of input");
        let mut cut = &out[..7];
        assert!(read_frame(&mut cut).is_err(), "a worker that died mid-answer");
    }

    #[test]
    fn without_workers_every_job_is_answered_in_order() {
        // Not the sdec binary: compiles on threads. Two bad sources give two errors (this runs
        // without NVRTC too: then the error says NVRTC is missing).
        let job = |config: &str| Job { source: "not CUDA".into(), arch: "sm_90".into(), family: "test".into(), config: config.into() };
        let counted = AtomicUsize::new(0);
        let results = compile_many(&[job("a"), job("b")], &|n| {
            counted.fetch_add(n, Ordering::Relaxed);
        });
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(|r| r.is_err()));
        assert_eq!(counted.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_stopped_compile_starts_no_further_job() {
        let job = |config: &str| Job { source: "not CUDA".into(), arch: "sm_90".into(), family: "test".into(), config: config.into() };
        let jobs = [job("a"), job("b"), job("c")];
        let answered = AtomicUsize::new(0);
        compile_each_while(&jobs, &|| false, &|_, _| {
            answered.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(answered.load(Ordering::Relaxed), 0, "stopped before the first job");
        // Stopping once the first answer is in: the jobs already started may finish, no others.
        let stop = std::sync::atomic::AtomicBool::new(false);
        compile_each_while(&jobs, &|| !stop.load(Ordering::Relaxed), &|_, _| {
            answered.fetch_add(1, Ordering::Relaxed);
            stop.store(true, Ordering::Relaxed);
        });
        let n = answered.load(Ordering::Relaxed);
        assert!((1..=jobs.len()).contains(&n), "{n} answered");
        compile_each_while(&jobs, &|| true, &|_, _| {
            answered.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(answered.load(Ordering::Relaxed), n + jobs.len(), "every job answered when never stopped");
    }
}
