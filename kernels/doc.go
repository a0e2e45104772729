// Package kernels holds the float32 compute kernels every model in circuitry
// runs on: a packed, cache-blocked, multi-core SGEMM and the element-wise
// loops the layers share.
//
// The GEMM follows the classic Goto/BLIS structure: C is split into column
// or row stripes, one per core; inside a stripe, B is packed into panels of
// nr columns and A into panels of mr rows for each (kc x nc) and (mc x kc)
// block, and a register-blocked micro-kernel computes one mr x nr tile of C
// at a time. On amd64 with AVX2 and FMA the micro-kernel is assembly
// (sgemm_amd64.s); everywhere else, and under the noasm build tag, it is the
// portable Go loop in kernel6x16Go. The kernel is chosen once at start-up.
package kernels
