"""Fused Triton kernels for the GPU frame path, each beside the torch reference it must match.

One module per kernel family; each holds the `@triton.jit` kernel(s), a torch reference with the
dispatcher's signature (`*_reference`), the Triton launch (`*_triton`) and the dispatcher:
  frame_io     ingest_rgb, ingest_i420   uint8 RGB / I420 planes -> resized (1, 3, h, w) in [-1, 1]
               emit_rgb, emit_i420       (1, 3, h, w) in [-1, 1] -> resized uint8 RGB / I420 planes
  latent_step  add_noise                 feedback blend + forward noising of the latent, one pass
               predict_x0                x0 from an epsilon or v prediction, one pass
  pose_map     draw_pose_map             the OpenPose ControlNet image from 18 keypoints
  bench        `python -m gpu_kernels.bench` (`mirror bench kernels`): Triton vs eager vs torch.compile

Dispatch rule (gpu_kernels.backend), the keyword `backend=` on every dispatcher:
  "auto" (default)  Triton when it is installed and every tensor is on CUDA, else the reference;
  "triton"          the Triton kernel: compiled on CUDA, Triton's interpreter on CPU tensors;
  "torch"           the reference.
Without the triton package everything imports and "auto" runs the references.
"""
