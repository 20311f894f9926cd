//go:build !wasip1

package oracle

// Natively the collector runs as usual (see gc_wasip1.go for why wasip1 differs).
type gcGuard struct{}

func newGCGuard() *gcGuard { return &gcGuard{} }
func gcOff() func()        { return func() {} }
func (*gcGuard) maybe()    {}
