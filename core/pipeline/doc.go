// Package pipeline is Parley's data path, declared once, in order, in
// pipeline.go: the topics, the stage that handles each, and the middleware
// around every stage. Reading that file is reading the architecture.
package pipeline
