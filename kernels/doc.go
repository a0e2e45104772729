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
// Edge tiles of few rows run smaller kernels over the same packed panels,
// and a training batch times weights^T (C = A B^T, at most 48 rows) takes
// the dot-product path, which reads both operands in place. Other products
// of at most 48 rows read B's full-width panels in place too (the Direct
// kernels: the same loads and FMAs from B's rows instead of a packed copy).
//
// Bits: every element of C is summed in an order fixed by the shape alone —
// k in order within blocks of kc on the packed path, 16 interleaved lanes
// on the dot path, one FMA per term — never by the tile, worker count or
// packing, so the AVX-512 and AVX2 kernels give identical results (alpha =
// 1) and a run resumes bit-identically on another x86 CPU with AVX2. (The
// portable Go kernel rounds each product and has no dot path: its results
// differ in the last bits.) A change that reorders a sum changes every
// trained network: tests pin it (TestKernelsAgreeBitwise,
// TestEdgeKernelsMatchFullKernelRows).
package kernels
