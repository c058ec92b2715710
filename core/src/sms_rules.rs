//! The vendor's rules for the SMS and recovery-code channels, checked before any request:
//! a refused phone number or message would otherwise cost a round trip, and a malformed
//! code sent to `verification` would burn one of the user's limited attempts.
//!
//! - `phone`: `+`, the country code and the number: E.164, so 2 to 15 digits after the `+`,
//!   the first not `0`. Spaces, dashes and brackets are refused rather than removed: the
//!   SDK never guesses which number was meant.
//! - SMS `message`: must contain the `{{CODE}}` placeholder, and only characters of the GSM 7-bit
//!   default alphabet or its extension table (a character outside it would make the
//!   operator send the SMS as UCS-2, or replace it).
//! - Recovery code: 16 ASCII letters and digits, case-sensitive; dashes between them are
//!   allowed (the vendor's reference calls the codes "16-digit, alphanumeric" in one place
//!   and shows them "containing dashes" in another), and the code is sent as typed.
//! - SMS code: ASCII digits, 4 to 10 of them (the vendor does not document the length; see
//!   `docs/api-notes.md`).

use crate::error::{Error, Result};

/// The placeholder an SMS message must contain; the cloud replaces it with the code.
pub const SMS_CODE_PLACEHOLDER: &str = "{{CODE}}";

/// Most digits of an E.164 number (country code included).
pub const MAX_PHONE_DIGITS: usize = 15;

/// The length of a recovery code.
pub const RECOVERY_CODE_LEN: usize = 16;

/// Longest SMS message accepted, in characters (ten concatenated GSM-7 parts of 153).
pub const MAX_SMS_MESSAGE_CHARS: usize = 1530;

/// The GSM 03.38 default alphabet (3GPP TS 23.038), apart from the escape to the extension
/// table.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The characters of the GSM 7-bit extension table (each takes two septets).
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// True for a character an SMS can carry in the GSM 7-bit encoding.
pub fn is_gsm7(c: char) -> bool {
    GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c)
}

/// Checks a phone number for SMS: `+` and 2 to 15 digits, the first not `0`.
pub fn validate_phone(phone: &str) -> Result<()> {
    let invalid = |reason: &str| Err(Error::invalid("phone", reason));
    let Some(digits) = phone.strip_prefix('+') else {
        return invalid("must start with + and the country code, e.g. +41791234567");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return invalid("only digits may follow the + (no spaces, dashes or brackets)");
    }
    if digits.len() < 2 || digits.len() > MAX_PHONE_DIGITS {
        return invalid("must have 2 to 15 digits after the +");
    }
    if digits.starts_with('0') {
        return invalid("the country code cannot start with 0");
    }
    Ok(())
}

/// Checks an SMS message: the `{{CODE}}` placeholder present, GSM-7 characters only, at
/// most [`MAX_SMS_MESSAGE_CHARS`].
pub fn validate_sms_message(message: &str) -> Result<()> {
    let invalid = |reason: String| Err(Error::invalid("message", reason));
    if !message.contains(SMS_CODE_PLACEHOLDER) {
        return invalid(format!("must contain {SMS_CODE_PLACEHOLDER}, where the code goes"));
    }
    if message.chars().count() > MAX_SMS_MESSAGE_CHARS {
        return invalid(format!("is longer than {MAX_SMS_MESSAGE_CHARS} characters"));
    }
    if let Some(bad) = message.chars().find(|&c| !is_gsm7(c)) {
        return invalid(format!("character U+{:04X} is not in the GSM 7-bit alphabet an SMS uses", bad as u32));
    }
    Ok(())
}

/// Checks a recovery code's format: 16 ASCII letters and digits, optionally grouped with
/// dashes (`AbCd-3F5h-…`; not at either end, never two in a row). The error never shows the
/// code (it is a secret).
pub fn validate_recovery_code(code: &str) -> Result<()> {
    let groups_ok = code.split('-').all(|group| !group.is_empty() && group.chars().all(|c| c.is_ascii_alphanumeric()));
    let alphanumerics = code.chars().filter(char::is_ascii_alphanumeric).count();
    if !groups_ok || alphanumerics != RECOVERY_CODE_LEN {
        return Err(Error::invalid("code", format!("a recovery code is {RECOVERY_CODE_LEN} letters and digits")));
    }
    Ok(())
}

/// Checks an SMS code's format: 4 to 10 ASCII digits. The error never shows the code.
pub fn validate_sms_code(code: &str) -> Result<()> {
    if !(4..=10).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid("code", "an SMS code is 4 to 10 digits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn field_of(result: Result<()>) -> &'static str {
        match result {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn phones_are_e164_with_a_plus() {
        for good in ["+41791234567", "+12", "+123456789012345"] {
            assert!(validate_phone(good).is_ok(), "{good}");
        }
        for bad in ["41791234567", "+", "+1", "+0791234567", "+41 79 123 45 67", "+41-79", "+1234567890123456", ""] {
            assert_eq!(field_of(validate_phone(bad)), "phone", "{bad}");
        }
    }

    #[test]
    fn sms_messages_need_the_placeholder_and_gsm7() {
        assert!(validate_sms_message("Your code: {{CODE}}").is_ok());
        assert!(validate_sms_message("Grüezi! Code {{CODE}} [ok] €5 ~ à Zürich").is_ok());
        assert_eq!(field_of(validate_sms_message("Your code")), "message");
        assert_eq!(field_of(validate_sms_message("Code {{CODE}} 🙂")), "message");
        assert_eq!(field_of(validate_sms_message("Код {{CODE}}")), "message");
        let long = format!("{{{{CODE}}}}{}", "a".repeat(MAX_SMS_MESSAGE_CHARS));
        assert_eq!(field_of(validate_sms_message(&long)), "message");
        let error = validate_sms_message("Code {{CODE}} ç").unwrap_err();
        assert!(error.to_string().contains("U+00E7"), "{error}");
    }

    #[test]
    fn every_gsm7_character_is_one_the_tables_list() {
        // 128 in the basic table minus the escape; the extension table: form feed and 9 signs.
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(!is_gsm7('ç') && is_gsm7('Ç') && is_gsm7('€') && !is_gsm7('\t'));
    }

    #[test]
    fn codes_have_their_formats_and_errors_never_show_them() {
        assert!(validate_recovery_code("Ab3dEf6hIj9kLm0p").is_ok());
        assert!(validate_recovery_code("Ab3d-Ef6h-Ij9k-Lm0p").is_ok());
        for bad in [
            "Ab3dEf6hIj9kLm0",
            "Ab3dEf6hIj9kLm0pq",
            "Ab3dEf6hIj9kLm0-",
            "-Ab3dEf6hIj9kLm0p",
            "Ab3d--Ef6hIj9kLm0p",
            "Ab3dEf6hIj9kLm0ä",
            "Ab3d Ef6h Ij9k Lm0p",
        ] {
            let error = validate_recovery_code(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            assert!(!error.to_string().contains(bad), "{error}");
        }
        assert!(validate_sms_code("123456").is_ok());
        for bad in ["123", "12345678901", "12a456", "１２３４"] {
            assert_eq!(field_of(validate_sms_code(bad)), "code", "{bad}");
        }
    }
}
