//! The rules of an SMS enrollment (the emulator's own reading, shared with nothing): the
//! `phone` number, the `message` text and its GSM 03.38 alphabet, and the one-time code that
//! replaces the message's `{{CODE}}` placeholder.
//!
//! Error texts name the field and the rule, never the client's input.

use rand::{CryptoRng, Rng};

/// What the client's `message` must contain; every occurrence is replaced by the code.
pub(crate) const PLACEHOLDER: &str = "{{CODE}}";

/// The text sent when the request has no `message`.
pub(crate) const DEFAULT_MESSAGE: &str = "Your Authentication Cloud code is {{CODE}}";

/// Digits in a generated SMS code.
pub(crate) const CODE_DIGITS: usize = 6;

/// The GSM 03.38 default alphabet in table order (0x00 to 0x7F), without 0x1B: that is the
/// escape to the extension table, not a character.
const GSM7_DEFAULT: &str = "@£$¥èéùìòÇ\nØø\rÅå\
                            Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ\
                            \u{20}!\"#¤%&'()*+,-./\
                            0123456789:;<=>?\
                            ¡ABCDEFGHIJKLMNO\
                            PQRSTUVWXYZÄÖÑÜ§\
                            ¿abcdefghijklmno\
                            pqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table (each sent as escape + one septet): form feed,
/// `^ { } \ [ ~ ] |` and the euro sign.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Whether `phone` is in international format: `+`, then 2 to 15 ASCII digits, the first not 0.
pub(crate) fn valid_phone(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// Whether every character of `text` is in the GSM 03.38 default alphabet or its extension
/// table (anything else would make the operator send the SMS as UCS-2, or mangle it).
pub(crate) fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| GSM7_DEFAULT.contains(c) || GSM7_EXTENSION.contains(c))
}

/// Checks a client's `message`: it must contain [`PLACEHOLDER`] and only GSM 03.38
/// characters. The error is a fixed text naming `message`.
pub(crate) fn check_message(text: &str) -> Result<(), &'static str> {
    if !text.contains(PLACEHOLDER) {
        return Err("`message` must contain the placeholder {{CODE}}, which is replaced by the code");
    }
    if !is_gsm7(text) {
        return Err("`message` may only contain characters of the GSM 03.38 alphabet (GSM-7) and its extension table");
    }
    Ok(())
}

/// The text sent: `template` with every placeholder replaced by `code`.
pub(crate) fn render(template: &str, code: &str) -> String {
    template.replace(PLACEHOLDER, code)
}

/// A fresh SMS code: [`CODE_DIGITS`] decimal digits, uniformly random, leading zeros kept.
pub(crate) fn new_code<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let bound = 10u32.pow(CODE_DIGITS as u32);
    format!("{:0width$}", rng.random_range(0..bound), width = CODE_DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_alphabet_is_the_standard_one() {
        // 128 code points but the escape, no duplicates; 10 extension characters.
        let basic: Vec<char> = GSM7_DEFAULT.chars().collect();
        assert_eq!(basic.len(), 127);
        let mut unique = basic.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        // Spot checks at known positions (index = septet, shifted by one after 0x1B).
        assert_eq!(basic[0x00], '@');
        assert_eq!(basic[0x02], '$');
        assert_eq!(basic[0x10], 'Δ');
        assert_eq!(basic[0x1F - 1], 'É');
        assert_eq!(basic[0x24 - 1], '¤');
        assert_eq!(basic[0x40 - 1], '¡');
        assert_eq!(basic[0x7F - 1], 'à');
    }

    #[test]
    fn gsm7_accepts_the_alphabet_and_refuses_the_rest() {
        assert!(is_gsm7("Your code is 123456. Don't share it! (€5 fee) [ok] {x} ~ | ^ \\"));
        assert!(is_gsm7("Grüße, Ñu: ÆØÅ æøå ÄÖÜ äöü ß É é è ù ì ò Ç à ¿¡ §£¥¤ ΔΦΓΛΩΠΨΣΘΞ @_\r\n\u{0C}"));
        assert!(is_gsm7(""));
        for bad in ["`", "ç", "á", "ê", "€uro ✓", "😀", "\t", "\u{1B}", "中", "Ä\u{0301}", "ﬁ", "\u{00A0}"]
        {
            assert!(!is_gsm7(bad), "{bad:?}");
        }
    }

    #[test]
    fn message_rules() {
        assert!(check_message(DEFAULT_MESSAGE).is_ok());
        assert!(check_message("{{CODE}}").is_ok());
        assert!(check_message("Code {{CODE}}, again {{CODE}}").is_ok());
        let missing = check_message("Your code is {{code}}").unwrap_err();
        assert!(missing.contains("`message`") && missing.contains("{{CODE}}"), "{missing}");
        assert!(check_message("").is_err());
        let not_gsm = check_message("Dein Code: {{CODE}} ✓").unwrap_err();
        assert!(not_gsm.contains("`message`") && not_gsm.contains("GSM"), "{not_gsm}");
        assert!(!not_gsm.contains('✓'));
    }

    #[test]
    fn phone_rules() {
        for good in ["+41", "+41791234567", "+123456789012345", "+19"] {
            assert!(valid_phone(good), "{good}");
        }
        for bad in [
            "",
            "+",
            "+4",
            "41791234567",
            "0041791234567",
            "+041791234567",
            "+1234567890123456",
            "+41 79 123 45 67",
            "+41-79",
            "++41",
            "+41a",
            "+٤١٧٩",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn codes_are_six_digits_and_substituted() {
        let mut rng = StdRng::seed_from_u64(7);
        let codes: Vec<String> = (0..2000).map(|_| new_code(&mut rng)).collect();
        assert!(codes.iter().all(|code| code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())));
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert!(unique.len() > 1990, "random, not fixed");
        assert!(codes.iter().any(|code| code.starts_with('0')), "leading zeros kept");
        assert!(new_code(&mut rand::rng()).len() == CODE_DIGITS);
        assert_eq!(render("a {{CODE}} b {{CODE}}", "012345"), "a 012345 b 012345");
        assert_eq!(render(DEFAULT_MESSAGE, "999999"), "Your Authentication Cloud code is 999999");
    }
}
