// Package pathint adapts the path-integration tasks (task/navigation and
// task/headdir) to one training and analysis loop: batches of velocity
// inputs with target-cell codes, decoding to states, and the state space
// (2-D positions in the box, or angles on the circle).
package pathint
