//! Reading JSON answers leniently: the fields an operation cannot do without are checked
//! strictly (with an error naming the field), everything else is taken in whatever
//! plausible form it comes — a number as a string, a float where an integer was
//! documented, `null` for a list — and dropped rather than failing the whole answer.
//!
//! This matters most for `enroll`: once the server has started a registration, failing to
//! parse a decorative field would lose the status token of a transaction that exists.

use serde_json::{Map, Value};

use crate::error::Error;

/// A JSON object being read; `what` names it in error messages (`enroll answer`).
#[derive(Clone, Copy)]
pub(crate) struct Object<'a> {
    what: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Object<'a> {
    /// The top-level object of an answer, or a malformed-response error.
    pub(crate) fn root(what: &'static str, value: &'a Value) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Ok(Object { what, map }),
            other => Err(malformed(format!("{what} is {} instead of a JSON object", type_name(other)))),
        }
    }

    /// A nested object; `None` when absent or not an object.
    pub(crate) fn object(&self, key: &str) -> Option<Object<'a>> {
        match self.map.get(key) {
            Some(Value::Object(map)) => Some(Object { what: self.what, map }),
            _ => None,
        }
    }

    /// The raw value of a field (`null` counts as absent).
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A text field; numbers and booleans are taken as their JSON text.
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(scalar_text)
    }

    /// A text field the operation needs: present, a string or a number, not empty.
    pub(crate) fn required_text(&self, key: &str, path: &str) -> Result<String, Error> {
        match self.get(key) {
            Some(value) => match scalar_text(value) {
                Some(text) if !text.is_empty() => Ok(text),
                Some(_) => Err(malformed(format!("{} has an empty `{path}`", self.what))),
                None => Err(malformed(format!("{} has {} as `{path}`", self.what, type_name(value)))),
            },
            None => Err(malformed(format!("{} lacks `{path}`", self.what))),
        }
    }

    /// A whole number: an integer, an integral float, or a numeric string (a float with a
    /// fraction is truncated toward zero). `None` for anything else or out of range.
    pub(crate) fn integer(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(integer)
    }

    /// A boolean; `None` for anything that is not `true` or `false`.
    pub(crate) fn boolean(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    /// A list of texts: a single string is a list of one, `null` or another type an empty
    /// list, and elements that are not scalars are skipped.
    pub(crate) fn text_list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
            Some(value) => scalar_text(value).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// The elements of a list field that are objects (anything else is skipped).
    pub(crate) fn objects(&self, key: &str) -> Vec<Object<'a>> {
        match self.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::Object(map) => Some(Object { what: self.what, map }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// See [`Object::integer`].
pub(crate) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(float_to_i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().and_then(float_to_i64))
        }
        _ => None,
    }
}

fn float_to_i64(f: f64) -> Option<i64> {
    // i64::MAX as f64 rounds up to 2^63, which is out of range: compare with `<`.
    (f.is_finite() && f >= i64::MIN as f64 && f < i64::MAX as f64).then(|| f.trunc() as i64)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A malformed answer; the client adds the endpoint whose answer it was.
pub(crate) fn malformed(reason: String) -> Error {
    Error::MalformedResponse { endpoint: None, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_in_every_plausible_form() {
        for (value, expected) in [
            (json!(300), Some(300)),
            (json!(300.0), Some(300)),
            (json!(1642436165000.7), Some(1642436165000)),
            (json!("300"), Some(300)),
            (json!(" 12.5 "), Some(12)),
            (json!(-3), Some(-3)),
            (json!(1e300), None),
            (json!(u64::MAX), None),
            (json!("big"), None),
            (json!(true), None),
            (json!([1]), None),
        ] {
            assert_eq!(integer(&value), expected, "{value}");
        }
    }

    #[test]
    fn required_texts_name_the_field() {
        let value = json!({"a": "x", "n": 7, "e": "", "o": {}, "z": null});
        let obj = Object::root("test answer", &value).unwrap();
        assert_eq!(obj.required_text("a", "a").unwrap(), "x");
        assert_eq!(obj.required_text("n", "n").unwrap(), "7");
        let err = |key| obj.required_text(key, key).unwrap_err().to_string();
        assert_eq!(err("e"), "malformed answer: test answer has an empty `e`");
        assert_eq!(err("o"), "malformed answer: test answer has an object as `o`");
        assert_eq!(err("z"), "malformed answer: test answer lacks `z`");
        assert_eq!(err("missing"), "malformed answer: test answer lacks `missing`");
        assert!(Object::root("test answer", &json!([1])).is_err());
    }

    #[test]
    fn lists_accept_one_or_many_or_nothing() {
        let value =
            json!({"one": "api", "many": ["a", 2, {"x": 1}, null], "none": null, "num": 5, "objs": [1, {}, "x"]});
        let obj = Object::root("t", &value).unwrap();
        assert_eq!(obj.text_list("one"), ["api"]);
        assert_eq!(obj.text_list("many"), ["a", "2"]);
        assert!(obj.text_list("none").is_empty());
        assert_eq!(obj.text_list("num"), ["5"]);
        assert_eq!(obj.objects("objs").len(), 1);
        assert!(obj.objects("one").is_empty());
    }
}
