"""GPU kernels beside their torch references (Triton). Next round: nothing here runs on the CPU mirror."""
