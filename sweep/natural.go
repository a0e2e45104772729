package sweep

import "strconv"

// naturalLess orders setting strings with their numbers compared as
// numbers, so "hidden=[64,64]" sorts before "hidden=[128,128]" and
// "lr=0.25" before "lr=0.5" before "lr=1". A number is an optional minus
// sign (at the start or after one of "=[,( "), digits, an optional
// fraction and an optional exponent. Equal numbers spelt differently ("07",
// "7") and everything else compare byte by byte.
func naturalLess(a, b string) bool {
	prev := byte(0)
	for a != "" && b != "" {
		na, nb := numberLen(a, prev), numberLen(b, prev)
		if na > 0 && nb > 0 {
			fa, _ := strconv.ParseFloat(a[:na], 64)
			fb, _ := strconv.ParseFloat(b[:nb], 64)
			if fa != fb {
				return fa < fb
			}
			if a[:na] != b[:nb] {
				return a[:na] < b[:nb]
			}
			prev = a[na-1]
			a, b = a[na:], b[nb:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		prev = a[0]
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// numberLen is the length of the number s starts with (0 if none); prev
// is the byte before s, which decides whether a minus sign is a sign.
func numberLen(s string, prev byte) int {
	n := 0
	if len(s) > 1 && s[0] == '-' && isDigit(s[1]) && (prev == 0 || prev == '=' || prev == '[' || prev == ',' || prev == '(' || prev == ' ') {
		n = 1
	}
	d := digits(s[n:])
	if d == 0 {
		return 0
	}
	n += d
	if n+1 < len(s) && s[n] == '.' && isDigit(s[n+1]) {
		n += 1 + digits(s[n+1:])
	}
	if n+1 < len(s) && (s[n] == 'e' || s[n] == 'E') {
		m := n + 1
		if m < len(s) && (s[m] == '-' || s[m] == '+') {
			m++
		}
		if d := digits(s[m:]); d > 0 {
			n = m + d
		}
	}
	return n
}

func digits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
