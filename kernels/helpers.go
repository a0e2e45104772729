package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Work split across cores (a product's parts, a large element-wise
// update) runs its other parts on helper goroutines that stay awake
// (spinning) for helperSpin after each part before they sleep. Starting a
// goroutine per part woke a sleeping thread for every product: on a VM
// that takes tens of microseconds, as long as a whole 32x500x784 product
// on two cores, so the second core added almost nothing to a training
// step's small products. Which worker computes which part is unchanged,
// so no result changes.
const helperSpin = 200 * time.Microsecond

// helper is one helper goroutine's mailbox.
type helper struct {
	busy  atomic.Bool            // claimed by a product (until its part is done)
	job   atomic.Pointer[func()] // the part to run, nil when none
	sleep atomic.Bool            // parked on wake
	wake  chan struct{}
}

var (
	helpersMu sync.Mutex
	helpers   []*helper
)

// claimHelper returns an idle helper, starting one when fewer than max
// exist, or nil when all are busy (then the caller starts a goroutine).
func claimHelper(max int) *helper {
	helpersMu.Lock()
	defer helpersMu.Unlock()
	for _, h := range helpers {
		if h.busy.CompareAndSwap(false, true) {
			return h
		}
	}
	if len(helpers) >= max {
		return nil
	}
	h := &helper{wake: make(chan struct{}, 1)}
	h.busy.Store(true)
	helpers = append(helpers, h)
	go h.loop()
	return h
}

// run hands f to h (claimed by claimHelper), waking it if it sleeps; h is
// free again once f returns.
func (h *helper) run(f func()) {
	h.job.Store(&f)
	if h.sleep.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

func (h *helper) loop() {
	for {
		f := h.waitJob()
		(*f)()
		h.job.Store(nil)
		h.busy.Store(false)
	}
}

// runParts runs part(0) ... part(parts-1) at once, part 0 on the caller's
// goroutine and the others on helpers (or new goroutines when every
// helper is busy), and returns when all have returned.
func runParts(parts int, part func(w int)) {
	var left atomic.Int32
	left.Store(int32(parts - 1))
	for w := 1; w < parts; w++ {
		f := func() {
			part(w)
			left.Add(-1)
		}
		if h := claimHelper(runtime.GOMAXPROCS(0) - 1); h != nil {
			h.run(f)
		} else {
			go f()
		}
	}
	part(0)
	waitZero(&left)
}

// waitZero spins until *n is 0, yielding now and then: the parts of a
// product end within microseconds of each other, sooner than a parked
// goroutine would be woken.
func waitZero(n *atomic.Int32) {
	for i := 0; n.Load() != 0; i++ {
		if i&255 == 255 {
			runtime.Gosched()
		}
	}
}

// waitJob spins for helperSpin, then sleeps until a job arrives.
func (h *helper) waitJob() *func() {
	for {
		deadline := time.Now().Add(helperSpin)
		for i := 0; ; i++ {
			if f := h.job.Load(); f != nil {
				return f
			}
			if i&63 == 63 {
				if time.Now().After(deadline) {
					break
				}
				runtime.Gosched() // let a goroutine readied on this P run
			}
		}
		h.sleep.Store(true)
		if f := h.job.Load(); f != nil { // posted before sleep was visible
			h.sleep.Store(false)
			return f
		}
		<-h.wake
		h.sleep.Store(false)
	}
}
