
use sdec_kernels::glue::RowShape;
use sdec_kernels::KernelFamily;

sdec_dsl::kernel_family! {
    /// A valid declaration.
    pub family Ui {
        name = "ui";
        source = "tests/ui/cuda/ui_kernel.cu";
        shape = RowShape;
        params {
            threads: u32 = [128, 256],
            width: u32 = [32, 64],
            /// A mode parameter: its values switch between code paths.
            #[mode]
            fast: bool = [true, false],
        }
        constraints {
            threads % 32 == 0,
            width <= threads && shape.n >= 1,
        }
        kernels {
            ui_kernel(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

fn main() {
    assert_eq!(Ui::space().len(), 8);
    let source = Ui::render(&Ui::space()[0], &RowShape { rows: 1, n: 8, head_dim: 0, capacity: 0 });
    assert!(source.contains("constexpr int THREADS = 128;"));
    let modes: Vec<bool> = Ui::PARAMS.iter().map(|p| p.mode).collect();
    assert_eq!(modes, [false, false, true]);
}
