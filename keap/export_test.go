package keap

// Helpers of the internal tests, exported to the external tests (package
// keap_test) so that both use one copy.
var (
	ListAll    = listAll
	MustStream = mustStream
	FilterTime = filterTime
)
