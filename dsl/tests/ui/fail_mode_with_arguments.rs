#[allow(unused_imports)]
use sdec_kernels::glue::RowShape;

sdec_dsl::kernel_family! {
    pub family Ui {
        name = "ui";
        source = "tests/ui/cuda/ui_kernel.cu";
        shape = RowShape;
        params {
            threads: u32 = [128, 256],
            width: u32 = [32],
            #[mode(fast)]
            fast: bool = [true],
        }
        constraints {

        }
        kernels {
            ui_kernel(grid = (shape.rows, 1, 1), block = (threads, 1, 1), smem = 0),
        }
    }
}

fn main() {}
