//! `sdec`: the command-line tool. Each subcommand reports errors as one clear line and a
//! non-zero exit; nothing here panics on bad input.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sdec_kernels::registry;
use sdec_runtime::compile_all::compile_all;
use sdec_runtime::fuzz::{self, FuzzOptions};
use sdec_runtime::gpu::Gpu;
use sdec_runtime::{Result, SdecError};

#[derive(Parser)]
#[command(name = "sdec", version, about = "Sparse decoding kernels for long-context LLMs: generate, compile, fuzz, tune and benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect and compile the kernel families (no GPU needed).
    Kernels {
        #[command(subcommand)]
        command: KernelsCommand,
    },
    /// Compare random configurations and shapes of the families with their references (GPU).
    Fuzz(FuzzArgs),
    /// Benchmarks on the GPU.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Find, verify and cache the fastest configuration of each family and shape bucket (GPU).
    Tune(sdec_runtime::tune::TuneArgs),
    /// Show the GPU and libraries found.
    Info,
    /// Compare the GPU decode loop with the CPU reference, logits step by step (GPU).
    Check(sdec_runtime::cli_decode::CheckArgs),
    /// Greedy generation with the reference model under an attention policy.
    Generate(sdec_runtime::cli_model::GenerateArgs),
    /// A LycheeDecode head map from profiling calibration passkey prompts (retrieval heads chosen by the
    /// attention mass sparse heads would miss).
    LycheeHeads(sdec_runtime::cli_heads::LycheeHeadsArgs),
    /// Accuracy evaluations of attention policies.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Compiles the jobs on stdin for a parent sdec (runtime/src/nvrtc_pool.rs).
    #[command(name = "nvrtc-worker", hide = true)]
    NvrtcWorker,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Seeded passkey retrieval: accuracy per length and depth, agreement with `full`.
    Passkey(sdec_runtime::cli_model::PasskeyArgs),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The kernel benchmarks of docs/results/kernels.md: top-k, dense and gather attention.
    Kernels {
        /// Time only the first three configurations of each family.
        #[arg(long)]
        quick: bool,
        /// Only these families (topk, decode_attention, gather_attention; repeatable).
        #[arg(long)]
        family: Vec<String>,
        /// PyTorch's times for the same shapes (from benches/torch_peers.py), shown beside ours.
        #[arg(long)]
        peers: Option<std::path::PathBuf>,
        #[arg(long)]
        json: Option<std::path::PathBuf>,
        /// Only this configuration, as the JSON the table prints (repeatable; e.g. to profile it).
        #[arg(long)]
        config: Vec<String>,
        /// Only the shapes whose label (as the table prints it) contains this text, e.g. `4480`.
        #[arg(long)]
        shape: Option<String>,
        /// Time each run launched on the stream, or inside a CUDA graph of consecutive runs (as
        /// the decode step launches kernels; pair with `torch_peers.py --graph`).
        #[arg(long, value_enum, default_value = "stream")]
        launch: sdec_runtime::bench::LaunchMode,
    },
    /// Per-token latency of the GPU decode loop at long contexts, beside its byte floor.
    Decode(sdec_runtime::cli_decode::BenchDecodeArgs),
}

#[derive(Subcommand)]
enum KernelsCommand {
    /// Name every family, its parameters and the size of its space.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Render and NVRTC-compile every configuration of every family for its standard shapes.
    Compile {
        #[arg(long, default_value = "sm_90")]
        arch: String,
        /// Only these families (repeatable).
        #[arg(long)]
        family: Vec<String>,
        /// Write the full report (failures with NVRTC logs) here as JSON.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
}

#[derive(Args)]
struct FuzzArgs {
    /// Only these families (repeatable); default: all.
    #[arg(long)]
    family: Vec<String>,
    /// Cases in all, shared among the families.
    #[arg(long, default_value_t = 1000)]
    cases: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run only this case (as printed by a failure's repro line).
    #[arg(long)]
    case: Option<usize>,
    /// Only shapes of at most this many elements (for runs under compute-sanitizer).
    #[arg(long)]
    max_size: Option<u64>,
    /// Write the report (failures included) here as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn check_families(names: &[String]) -> Result<Vec<&'static dyn registry::FamilyEntry>> {
    if names.is_empty() {
        return Ok(registry::all_families());
    }
    names
        .iter()
        .map(|n| registry::find(n).ok_or_else(|| SdecError::Invalid(format!("unknown family `{n}`; the families are: {}", registry::names().join(", ")))))
        .collect()
}

use sdec_runtime::write_json;

fn kernels_list(json: bool) -> Result<()> {
    let families = registry::all_families();
    if json {
        let rows: Vec<_> = families.iter().map(|f| serde_json::json!({"family": f.name(), "space": f.space_size(), "params": f.params(), "source_hash": f.source_hash()})).collect();
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| SdecError::Invalid(e.to_string()))?);
        return Ok(());
    }
    println!("{:<18} {:>6}  parameters", "family", "space");
    for f in families {
        let params: Vec<String> = f.params().iter().map(|(n, c)| format!("{n}={{{}}}", c.join(","))).collect();
        println!("{:<18} {:>6}  {}", f.name(), f.space_size(), params.join(" "));
    }
    Ok(())
}

fn kernels_compile(arch: &str, family: &[String], json: Option<&std::path::Path>) -> Result<bool> {
    let families = check_families(family)?;
    let report = compile_all(&families, arch, true)?;
    for f in &report.failed {
        eprintln!("FAILED {} shape {} config {}:\n{}", f.family, f.shape, f.config, f.log);
    }
    for (family, n) in &report.per_family {
        println!("  {family:<18} {n} configurations");
    }
    println!("NVRTC {} for {}: {} distinct sources", report.nvrtc_version, report.arch, report.distinct_sources);
    println!("compiled {} configurations, {} failed", report.compiled, report.failed.len());
    if let Some(path) = json {
        write_json(path, &report)?;
    }
    Ok(report.failed.is_empty())
}

fn run_fuzz(args: &FuzzArgs) -> Result<bool> {
    check_families(&args.family)?;
    let gpu = Gpu::open(0)?;
    eprintln!("fuzzing on {} ({} SMs)", gpu.info.name, gpu.info.sm_count);
    let opts = FuzzOptions { families: args.family.clone(), cases: args.cases, seed: args.seed, only_case: args.case, max_size: args.max_size, progress: true };
    let report = fuzz::run(&gpu, &opts)?;
    for (family, (passed, failed)) in &report.per_family {
        println!("  {family:<18} {passed} passed, {failed} failed, {} configurations", report.configs_covered.get(family).unwrap_or(&0));
    }
    println!("{} passed, {} failed", report.passed, report.failed);
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(report.failed == 0)
}

fn bench_kernels(
    filter: &sdec_runtime::bench::ConfigFilter, launch: sdec_runtime::bench::LaunchMode, families: &[String], peers: Option<&std::path::Path>,
    json: Option<&std::path::Path>,
) -> Result<()> {
    const BENCHED: [&str; 3] = ["topk", "decode_attention", "gather_attention"];
    if let Some(bad) = families.iter().find(|f| !BENCHED.contains(&f.as_str())) {
        return Err(SdecError::Invalid(format!("no kernel benchmark for `{bad}`; benchmarked families: {}", BENCHED.join(", "))));
    }
    let peers: std::collections::BTreeMap<String, f64> = match peers {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| SdecError::Invalid(format!("cannot read peers file {}: {e}", path.display())))?;
            serde_json::from_str(&text).map_err(|e| SdecError::Invalid(format!("peers file {} is not a JSON map of times: {e}", path.display())))?
        }
        None => Default::default(),
    };
    sdec_runtime::bench::check_shape_filter(filter, families)?;
    let gpu = Gpu::open(0)?;
    let report = sdec_runtime::bench::run(&gpu, filter, launch, families, |what| eprintln!("bench: {what}"))?;
    let launched = match launch {
        sdec_runtime::bench::LaunchMode::Stream => "each run launched on the stream".to_string(),
        sdec_runtime::bench::LaunchMode::Graph => format!("each run inside a CUDA graph of {} runs", sdec_runtime::bench::GRAPH_LAUNCHES),
    };
    println!("{} ({} SMs), copy bandwidth {:.0} GB/s (read + write), {launched}", report.device.name, report.device.sm_count, report.copy_bandwidth_gbs);
    println!("| kernel | shape | ours µs (best) | default µs | byte floor µs | best / floor | torch µs | torch / ours | best config |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for row in &report.rows {
        let peer = peers.get(&format!("{} | {}", row.kernel, row.shape));
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {} | {} | `{}` |",
            row.kernel, row.shape, row.best.median_us, row.default_us, row.floor_us, row.best.median_us / row.floor_us,
            peer.map(|t| format!("{t:.1}")).unwrap_or_else(|| "-".into()),
            peer.map(|t| format!("{:.2}", t / row.best.median_us)).unwrap_or_else(|| "-".into()),
            row.best_config
        );
    }
    if let Some(path) = json {
        write_json(path, &report)?;
    }
    Ok(())
}

fn info() -> Result<()> {
    match sdec_runtime::nvrtc::version() {
        Ok(v) => println!("NVRTC {v}"),
        Err(e) => println!("NVRTC: {e}"),
    }
    let gpu = Gpu::open(0)?;
    println!("{}", serde_json::to_string_pretty(&gpu.info).map_err(|e| SdecError::Invalid(e.to_string()))?);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::NvrtcWorker) {
        sdec_runtime::nvrtc_pool::use_worker_processes();
    }
    let outcome = match &cli.command {
        Command::NvrtcWorker => sdec_runtime::nvrtc_pool::worker_main().map(|_| true),
        Command::Kernels { command: KernelsCommand::List { json } } => kernels_list(*json).map(|_| true),
        Command::Kernels { command: KernelsCommand::Compile { arch, family, json } } => kernels_compile(arch, family, json.as_deref()),
        Command::Fuzz(args) => run_fuzz(args),
        Command::Bench { command: BenchCommand::Kernels { quick, family, peers, json, config, shape, launch } } => {
            sdec_runtime::bench::ConfigFilter::new(*quick, config, shape.clone())
                .and_then(|filter| bench_kernels(&filter, *launch, family, peers.as_deref(), json.as_deref()))
                .map(|_| true)
        }
        Command::Bench { command: BenchCommand::Decode(args) } => sdec_runtime::cli_decode::bench(args).map(|_| true),
        Command::Check(args) => sdec_runtime::cli_decode::check(args),
        Command::Tune(args) => sdec_runtime::tune::run(args),
        Command::Info => info().map(|_| true),
        Command::Generate(args) => sdec_runtime::cli_model::generate(args).map(|_| true),
        Command::LycheeHeads(args) => sdec_runtime::cli_heads::lychee_heads(args).map(|_| true),
        Command::Eval { command: EvalCommand::Passkey(args) } => sdec_runtime::cli_model::eval_passkey(args).map(|_| true),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
