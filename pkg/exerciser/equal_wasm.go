package exerciser

// equal is the judge's compare: see equalWords.
func equal(a, b []byte) bool { return equalWords(a, b) }
