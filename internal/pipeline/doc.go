// Package pipeline is the orchestrator's machinery: the stages that take the
// guest from source to a verdict (clean, build, catalog, native oracle,
// runtime × volume cells, host re-read, clean-up, merge, summary) over
// slices of case indexes.
//
// It exists apart from cmd/orchestrate so that each stage can be tested on
// its own, and so that the command stays a thin layer of flags and messages.
// Work moves in slices of cases rather than one whole run because a chain-3
// run has ~630,000 cases: one slice at a time per worker keeps the number of
// case trees on disk bounded and lets native, runtime and host re-read work
// overlap on every core.
package pipeline
