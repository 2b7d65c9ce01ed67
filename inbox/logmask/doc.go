// Package logmask keeps personal data and credentials out of logs.
//
// Handler wraps any slog.Handler and masks, in the message and in every
// attribute (nested groups, errors, fmt.Stringers, slices, maps and
// structs included):
//
//   - email addresses, keeping the first character and the domain
//     (claire@courriel.example → c***@courriel.example);
//   - phone numbers in international or French national form, and any value
//     under a phone-like key (phone, msisdn, mobile...), keeping the last
//     two digits;
//   - bearer tokens, Authorization headers, JWTs, well-known API key
//     formats, "password=..."-style pairs and passwords in URLs;
//   - the whole value of attributes whose key names a credential
//     (password, secret, token, api_key, authorization, cookie, sig...).
//
// A Masker applies the same rules to a plain string, for error messages
// shown to users. Patterns are compiled once; text that cannot contain
// anything to mask is recognised by a single DFA pass and left untouched.
package logmask
