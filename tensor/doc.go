// Package tensor holds dense row-major float32 matrices: a shape, a row
// stride and a backing slice, so that a block of rows or columns is a view
// that shares storage. It has no autodiff graph: layers in package nn own
// their explicit backward passes and use the few operations here.
package tensor
