use sdec_kernels::glue::RowShape;
use sdec_kernels::KernelFamily;

const WIDE: u32 = 64;

sdec_dsl::kernel_family! {
    /// Constraints that name neither `shape` nor `limits` prune the enumerated space.
    pub family Ui {
        name = "ui";
        source = "tests/ui/cuda/ui_kernel.cu";
        shape = RowShape;
        params {
            threads: u32 = [128, 256],
            width: u32 = [32, 64],
            fast: bool = [true, false],
        }
        constraints {
            // Static: only the wide variant may be slow.
            fast || width == WIDE,
            width <= threads && shape.n >= 1,
        }
        kernels {
            ui_kernel(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

fn main() {
    let space = Ui::space();
    assert_eq!(space.len(), 6);
    assert!(space.iter().all(|c| c.fast || c.width == WIDE));
    // Declaration order is kept among the configurations that remain.
    assert_eq!((space[0].threads, space[0].width, space[0].fast), (128, 32, true));
    assert_eq!((space[1].threads, space[1].width, space[1].fast), (128, 64, true));
    assert_eq!((space[2].threads, space[2].width, space[2].fast), (128, 64, false));
}
