#[allow(unused_imports)]
use sdec_kernels::glue::RowShape;

sdec_dsl::kernel_family! {
    pub family Ui {
        name = "ui";
        source = "tests/ui/cuda/ui_kernel.cu";
        shape = RowShape;
        params {
            threads: u32 = [128],
        }
    }
}

fn main() {}
