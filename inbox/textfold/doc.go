// Package textfold folds text so that case, accents and typography do
// not matter when comparing it: "Problème", "PROBLEME" and "probleme" fold
// alike, "Straße" matches "strasse", "Éléonore" matches "eleonore".
//
// It is the one fold inboxkit uses everywhere text is matched: every store
// indexes and searches the Tokens of a text, and classifiers compare the
// Fold of a message with the Fold of their keywords, so a search or a rule
// answers the same whichever store or classifier runs it.
//
// Letters and digits of every script are lower-cased and stripped of
// their accents (canonical decomposition, combining marks dropped); a few
// letters people type as two (ß, æ, œ, þ) or as a plain letter (ø, đ, ł, ı)
// are expanded. Fold keeps everything else, with typographic apostrophes,
// quotes, dashes and spaces made plain ASCII; Tokens splits on everything
// that is not a letter or a digit. The package has no dependency beyond
// the standard library: the decompositions are a generated table.
package textfold

//go:generate go run gen.go
