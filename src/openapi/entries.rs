//! Checks the discovery answer against its schema without holding a long repeated field as JSON:
//! a million `capabilities_prices` entries rendered whole take about 800 bytes each (their
//! decoded message and JSON object), far past a run's memory bound. Where the document's schemas
//! judge each entry on its own, the entries of a long top-level repeated field are decoded,
//! rendered and checked one at a time; the rest of the answer is checked whole as before, but
//! for its long maps, which the renderer checks entry by entry (`render`'s note).

use std::collections::HashMap;

use prost::Message as _;
use prost_reflect::{FieldDescriptor, Kind};
use serde_json::Value;

use super::compiled::{Compiled, Shape, Target};
use super::records::{for_each_record, RenderError};
use super::render::{render_encoded_info_checking_long_maps, render_entry_checking_long_maps, ENTRIES_CHECKED_WHOLE};
use super::validate::{child_key, validate, validate_at, Place, Violation};
use crate::proto::net::OrchestratorInfo;

/// Every violation of `schema` by `info` rendered as [`render_info`] renders it, given to `each`:
/// those of the answer without its long fields first, then those of each long field's entries.
pub(super) fn info_violations(
    compiled: &Compiled,
    info: &OrchestratorInfo,
    mut each: impl FnMut(Violation),
) -> Result<(), RenderError> {
    let encoded = info.encode_to_vec();
    let mut long_fields = long_fields(compiled, &encoded);
    let mut in_long_maps = Vec::new();
    if long_fields.is_empty() {
        let json = render_encoded_info_checking_long_maps(compiled, &encoded, &mut in_long_maps)?;
        validate(compiled, &compiled.info, &json)
            .into_iter()
            .chain(in_long_maps)
            .for_each(each);
        return Ok(());
    }
    let mut rest = Vec::new();
    let mut failed = None;
    for_each_record(&encoded, |number, payload, record| {
        let long = long_fields.iter_mut().find(|long| long.field.number() == number);
        match (long, payload) {
            (Some(long), Some(payload)) => {
                if let Err(error) = long.check_entry(compiled, payload) {
                    failed.get_or_insert(error);
                }
            }
            _ => rest.extend_from_slice(record),
        }
    })?;
    if let Some(error) = failed {
        return Err(error);
    }
    let json = render_encoded_info_checking_long_maps(compiled, &rest, &mut in_long_maps)?;
    validate(compiled, &compiled.info, &json)
        .into_iter()
        .chain(in_long_maps)
        .for_each(&mut each);
    long_fields.into_iter().flat_map(|long| long.found).for_each(each);
    Ok(())
}

/// Whether [`info_violations`] checks an answer rendered as `rendered` whole: it has no list or
/// map of more than [`ENTRIES_CHECKED_WHOLE`] entries.
pub(super) fn checked_whole(rendered: &Value) -> bool {
    match rendered {
        Value::Array(items) => items.len() <= ENTRIES_CHECKED_WHOLE && items.iter().all(checked_whole),
        Value::Object(members) => members.len() <= ENTRIES_CHECKED_WHOLE && members.values().all(checked_whole),
        _ => true,
    }
}

/// A long repeated field, checked entry by entry.
struct LongField<'c> {
    field: &'c FieldDescriptor,
    kind: &'c Kind,
    /// Where its entries are, as the validator spells paths (`capabilities_prices`).
    path: String,
    /// Its entries' schema, and how they render.
    items: &'c Target,
    item_shape: &'c Shape,
    /// Entries checked so far: the next entry's index in the answer.
    checked: usize,
    found: Vec<Violation>,
}

impl LongField<'_> {
    fn check_entry(&mut self, compiled: &Compiled, payload: &[u8]) -> Result<(), RenderError> {
        let path = format!("{}[{}]", self.path, self.checked);
        self.checked += 1;
        // Depth 2: below the answer's object and the field's array, as in the whole check.
        let place = Place::root(&path, 2);
        let json =
            render_entry_checking_long_maps(compiled, self.kind, payload, self.item_shape, &place, &mut self.found)?;
        validate_at(compiled, self.items, &json, &place, 2, &mut self.found);
        Ok(())
    }
}

/// The top-level repeated fields (of messages or strings) of more than [`ENTRIES_CHECKED_WHOLE`]
/// entries whose entries the schema judges each on its own, in field order.
fn long_fields<'c>(compiled: &'c Compiled, encoded: &[u8]) -> Vec<LongField<'c>> {
    let answer = compiled.info.node().map(|answer| compiled.node(answer));
    let (Some(plan), true) = (
        compiled.info_shape.message.map(|plan| compiled.plan(plan)),
        answer.is_some_and(|answer| answer.judged_by_parts("object")),
    ) else {
        return Vec::new();
    };
    let mut counts: HashMap<u32, usize> = HashMap::new();
    if for_each_record(encoded, |number, _, _| *counts.entry(number).or_default() += 1).is_err() {
        return Vec::new();
    }
    plan.fields
        .iter()
        .filter(|field| field.field.is_list() && matches!(field.kind, Kind::Message(_) | Kind::String))
        .filter(|field| {
            counts
                .get(&field.field.number())
                .is_some_and(|count| *count > ENTRIES_CHECKED_WHOLE)
        })
        .filter_map(|field| {
            let property = compiled.node(field.property.as_ref()?.node()?);
            let items = property.items.as_ref().filter(|_| property.judged_by_parts("array"))?;
            Some(LongField {
                field: &field.field,
                kind: &field.kind,
                path: child_key("", &field.name),
                items,
                item_shape: field.shape.element.as_deref()?,
                checked: 0,
                found: Vec::new(),
            })
        })
        .collect()
}
