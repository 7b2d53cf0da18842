//! A YAML document read into `serde_norway::Value` with every value counted against the
//! `yaml-values` limit as it is built. serde_norway's repetition limit stops nested alias bombs
//! (billion laughs) but not a flat one: one anchor of 2,000 keys named by 2,000 aliases is
//! 4,000,000 values from 31 KB (2.5 GB), and ten times each never finished. Each alias expands
//! through the same visitor, so every value it copies is counted.
//!
//! A key given twice in one mapping keeps its last value, as CloudFormation does (it accepts such
//! a template and deploys the last occurrence; so does every JSON parser harden's JSON path and
//! the AWS CLI use); the keys are returned so that the report can say so.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess};
use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

thread_local! {
    /// Values the document being read may still hold; whether it ran out.
    static LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
    /// Keys given twice in one mapping (at most [`MAX_DUPLICATES_NAMED`] kept), and how many.
    static DUPLICATES: std::cell::RefCell<(Vec<String>, u64, bool)> =
        const { std::cell::RefCell::new((Vec::new(), 0, false)) };
}

/// How many duplicated keys a note names; the rest are counted.
const MAX_DUPLICATES_NAMED: usize = 5;

/// A document read: its value, and the keys that were given twice in one mapping (the last value
/// kept), with how many there were in all and whether some keys went unnamed.
pub(crate) struct Read {
    pub value: Value,
    pub duplicates: Vec<String>,
    pub duplicate_count: u64,
    pub more_duplicates: bool,
}

/// Takes one value from the budget; an error (and the flag) when none is left.
fn spend<E: de::Error>() -> Result<(), E> {
    LEFT.with(|left| match left.get() {
        0 => {
            EXCEEDED.with(|e| e.set(true));
            Err(E::custom("too many values"))
        }
        n => {
            left.set(n - 1);
            Ok(())
        }
    })
}

/// Parses `text` as one YAML document of at most `max_values` values, aliases expanded. `Err(None)`
/// when the limit was reached, `Err(Some(error))` for a YAML error.
pub(crate) fn from_str(text: &str, max_values: u64) -> Result<Read, Option<serde_norway::Error>> {
    LEFT.with(|left| left.set(max_values));
    EXCEEDED.with(|e| e.set(false));
    DUPLICATES.with(|d| *d.borrow_mut() = (Vec::new(), 0, false));
    let result = serde_norway::from_str::<Counted>(text).map(|c| c.0);
    let exceeded = EXCEEDED.with(Cell::get);
    LEFT.with(|left| left.set(u64::MAX));
    let (duplicates, duplicate_count, more_duplicates) =
        DUPLICATES.with(|d| std::mem::take(&mut *d.borrow_mut()));
    match result {
        Ok(value) => Ok(Read {
            value,
            duplicates,
            duplicate_count,
            more_duplicates,
        }),
        Err(_) if exceeded => Err(None),
        Err(error) => Err(Some(error)),
    }
}

/// One counted value: serde_norway's own `Value` visitor, with a count per value.
struct Counted(Value);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Counted, D::Error> {
        deserializer.deserialize_any(Visitor).map(Counted)
    }
}

struct Visitor;

impl<'de> de::Visitor<'de> for Visitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        spend::<E>()?;
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Counted::deserialize(deserializer).map(|c| c.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut data: A) -> Result<Value, A::Error> {
        spend::<A::Error>()?;
        let mut sequence = Vec::new();
        while let Some(Counted(item)) = data.next_element()? {
            sequence.push(item);
        }
        Ok(Value::Sequence(sequence))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut data: A) -> Result<Value, A::Error> {
        spend::<A::Error>()?;
        let mut mapping = Mapping::new();
        while let Some(Counted(key)) = data.next_key()? {
            if mapping.contains_key(&key) {
                // Last one wins (CloudFormation's behaviour): the earlier entry is replaced below.
                let which = match &key {
                    Value::Null => "null".to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => "a non-scalar key".to_string(),
                };
                DUPLICATES.with(|d| {
                    let mut d = d.borrow_mut();
                    d.1 += 1;
                    if !d.0.contains(&which) {
                        if d.0.len() < MAX_DUPLICATES_NAMED {
                            d.0.push(which);
                        } else {
                            d.2 = true;
                        }
                    }
                });
            }
            let Counted(value) = data.next_value()?;
            mapping.insert(key, value);
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        spend::<A::Error>()?;
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            return Err(de::Error::custom("empty YAML tag is not allowed"));
        }
        let Counted(value) = contents.newtype_variant()?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_serde_norway_does_and_counts_expanded_aliases() {
        let text = "a: &x {k: !Ref v, n: 1, f: 1.5, b: true, z: null}\nb: [*x, *x]\n";
        assert_eq!(
            from_str(text, 1000).unwrap().value,
            serde_norway::from_str::<Value>(text).unwrap()
        );
        // 1 root + a's map and its 5 entries (keys and values, the tag's value) + b's list...
        assert!(from_str(text, 20).is_err());
        // A key given twice keeps its last value (CloudFormation's and serde_json's behaviour),
        // where serde_norway's own visitor refuses the document.
        assert!(serde_norway::from_str::<Value>("a: 1\na: 2\n").is_err());
        let read = from_str("a: 1\nb: {c: 1, c: 2}\na: 3\n", 100).unwrap();
        assert_eq!(read.value["a"], Value::Number(3.into()));
        assert_eq!(read.value["b"]["c"], Value::Number(2.into()));
        assert_eq!(
            (read.duplicates, read.duplicate_count),
            (vec!["c".into(), "a".into()], 2)
        );
        // A flat alias bomb: 200 keys named 200 times is over 80,000 values.
        let mut bomb = String::from("big: &a\n");
        for i in 0..200 {
            bomb.push_str(&format!("  k{i}: v\n"));
        }
        bomb.push_str("list:\n");
        bomb.push_str(&"- *a\n".repeat(200));
        assert!(matches!(from_str(&bomb, 50_000), Err(None)));
        assert!(from_str(&bomb, 100_000).is_ok());
    }
}
