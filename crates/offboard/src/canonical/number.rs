//! ECMAScript `Number.prototype.toString` for finite doubles (ECMA-262 §6.1.6.1.20), the
//! number format RFC 8785 §3.2.2.3 prescribes.

/// Appends `value` as ECMAScript writes it.
///
/// ECMA-262 (with its Note 2, which V8 and the RFC's reference implementations follow) wants
/// the fewest digits that read back as the same double, the closest such digits when there
/// are several, and the even ones when two are equally close. Rust's `{:e}` gives the first
/// two but breaks an exact tie upwards, so [`shortest_digits`] fixes ties; only the layout
/// below is ECMAScript's own.
pub(super) fn write_ecmascript(out: &mut String, value: f64) {
    if value == 0.0 {
        // Both zeros, as ECMAScript writes -0 as "0".
        out.push('0');
        return;
    }
    if !value.is_finite() {
        // A serde_json::Value cannot hold NaN or an infinity; serde_json itself writes them
        // as null, and so do we rather than produce text that is not JSON.
        out.push_str("null");
        return;
    }
    let Some((digits, n)) = shortest_digits(value.abs()) else {
        // `{:e}` always has the shape `shortest_digits` reads; this keeps a misreading from
        // ever being silent or a panic.
        out.push_str(&value.to_string());
        return;
    };
    if value < 0.0 {
        out.push('-');
    }
    // value = 0.digits × 10^n, with k = digits.len() and 1 ≤ k ≤ 17.
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        // An integer: all the digits, then n − k zeros.
        out.push_str(&digits);
        push_zeros(out, n - k);
    } else if 0 < n && n <= 21 {
        // A decimal point inside the digits.
        let (whole, fraction) = digits.split_at(n as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else if -6 < n && n <= 0 {
        // Below 1, down to 1e-6: "0.", −n zeros, then the digits.
        out.push_str("0.");
        push_zeros(out, -n);
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exponent = n - 1;
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&exponent.abs().to_string());
    }
}

/// The shortest round-trip decimal digits of a positive finite `value` and the ECMAScript
/// exponent `n` (the value is `0.DIGITS × 10^n`), the even digits on an exact tie.
fn shortest_digits(value: f64) -> Option<(String, i32)> {
    let (digits, n) = scientific_digits(&format!("{value:e}"))?;
    Some(even_on_a_tie(value, digits, n))
}

/// Splits Rust's `{:e}` text (`1.2345e-7`) into its digits and the ECMAScript exponent.
fn scientific_digits(scientific: &str) -> Option<(String, i32)> {
    let (mantissa, exponent) = scientific.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits, exponent + 1))
}

/// Rust's shortest digits end in an odd digit: when `value` lies exactly halfway between
/// them and their even neighbour, and that neighbour reads back as `value` too, ECMAScript
/// wants the neighbour (RFC 8785's vector 0x43143ff3c1cb0959, 1424953923781206.25, is
/// written `…206.2`, where Rust writes `…206.3`).
fn even_on_a_tie(value: f64, digits: String, n: i32) -> (String, i32) {
    let odd = digits.bytes().last().is_some_and(|b| (b - b'0') % 2 == 1);
    if !odd {
        return (digits, n);
    }
    // Fixed-precision formatting is exact, and no double needs more than 767 significant
    // digits: this is `value`'s exact decimal expansion, trailing zeros aside.
    let Some((exact, exact_n)) = scientific_digits(&format!("{value:.767e}")) else {
        return (digits, n);
    };
    let exact = exact.trim_end_matches('0');
    let halfway = exact_n == n && exact.len() == digits.len() + 1 && exact.ends_with('5');
    if !halfway {
        return (digits, n);
    }
    let below = &exact[..digits.len()];
    let neighbour = if below == digits {
        increment(below)
    } else {
        Some(below.to_owned())
    };
    let Some(neighbour) = neighbour.filter(|d| d.len() == digits.len()) else {
        return (digits, n);
    };
    let (first, rest) = neighbour.split_at(1);
    let reads_back = format!("{first}.{rest}e{}", n - 1).parse::<f64>() == Ok(value);
    if reads_back {
        (neighbour, n)
    } else {
        (digits, n)
    }
}

/// `digits` plus one, as a decimal digit string (one digit longer on a carry out).
fn increment(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    Some(format!("1{}", String::from_utf8(bytes).ok()?))
}

fn push_zeros(out: &mut String, count: i32) {
    for _ in 0..count {
        out.push('0');
    }
}

#[cfg(test)]
mod tests {
    use super::write_ecmascript;

    fn written(value: f64) -> String {
        let mut out = String::new();
        write_ecmascript(&mut out, value);
        out
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    #[test]
    fn rfc_8785_appendix_b() {
        let vectors = [
            (0x0000000000000000_u64, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in vectors {
            assert_eq!(written(f64::from_bits(bits)), expected, "{bits:016x}");
        }
    }

    #[test]
    fn layout_boundaries() {
        assert_eq!(written(4.5), "4.5");
        assert_eq!(written(0.002), "0.002");
        assert_eq!(written(1e-7), "1e-7");
        assert_eq!(written(1.5e-7), "1.5e-7");
        assert_eq!(written(1e20), "100000000000000000000");
        assert_eq!(written(1.5e21), "1.5e+21");
        assert_eq!(written(-1e30), "-1e+30");
        assert_eq!(written(123.0), "123");
    }

    #[test]
    fn non_finite_values_are_never_written_as_bare_words() {
        assert_eq!(written(f64::NAN), "null");
        assert_eq!(written(f64::INFINITY), "null");
    }

    proptest::proptest! {
        #[test]
        fn reads_back_as_the_same_double(bits in proptest::num::u64::ANY) {
            let value = f64::from_bits(bits);
            proptest::prop_assume!(value.is_finite());
            let text = written(value);
            let back: f64 = text.parse().map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{text}: {e}")))?;
            proptest::prop_assert!(back == value, "{value:e} written as {text} reads back as {back:e}");
        }
    }
}
