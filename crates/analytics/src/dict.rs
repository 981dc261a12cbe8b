//! Activity dictionaries of partial results, and remapping when partials from
//! differently-encoded partitions are merged.

/// Maps every name of `other` to its code in `names`, appending the names
/// `names` lacks. Returns `None` when the dictionaries are identical (the
/// common case inside one log), so callers can skip remapping.
pub(crate) fn remap(names: &mut Vec<String>, other: &[String]) -> Option<Vec<u32>> {
    if names.as_slice() == other {
        return None;
    }
    let mut map = Vec::with_capacity(other.len());
    for name in other {
        let code = match names.iter().position(|n| n == name) {
            Some(p) => p,
            None => {
                names.push(name.clone());
                names.len() - 1
            }
        };
        map.push(code as u32);
    }
    Some(map)
}

/// Looks a code up in an optional remap table.
#[inline]
pub(crate) fn code(remap: Option<&[u32]>, c: u32) -> u32 {
    match remap {
        Some(m) => m.get(c as usize).copied().unwrap_or(c),
        None => c,
    }
}

/// Name of a code, or "" for a code outside the dictionary (cannot happen for
/// codes that came from the same log).
#[inline]
pub(crate) fn name(names: &[String], c: u32) -> &str {
    names.get(c as usize).map(String::as_str).unwrap_or("")
}
