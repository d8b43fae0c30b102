// Package contacts owns the people Parley messages. For now it holds phone
// number normalization: a number is accepted in E.164 or refused, never
// guessed.
package contacts
