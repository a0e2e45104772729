// Package topk selects the indices of the largest activities, the core of
// the studies' top-k population decoders.
package topk

// Indices writes into idx (len k, k small) the indices of the k largest
// values of x in descending order, and returns idx. Ties keep the lower
// index first. It runs in O(len(x) * k) without allocating.
func Indices(idx []int, x []float32) []int {
	k := min(len(idx), len(x))
	idx = idx[:k]
	n := 0
	for i, v := range x {
		if n == k && v <= x[idx[k-1]] {
			continue
		}
		// Insert i keeping idx sorted by descending value.
		j := min(n, k-1)
		for j > 0 && x[idx[j-1]] < v {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = i
		if n < k {
			n++
		}
	}
	return idx[:n]
}
