// Package logmasktest helps tests prove that no secret reaches the logs:
// New gives a test a masking logger that records every line, and
// Recorder.RequireNoLeaks checks the record for every secret and
// credential the test used, in plain and escaped forms.
package logmasktest
