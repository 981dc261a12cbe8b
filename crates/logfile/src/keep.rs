//! The activity filter of [`ReadOptions::keep_activities`](crate::ReadOptions).

/// The activities a read keeps. A funnel keeps a few activities and most lines are of others,
/// so a name is first checked against each kept name's length and first eight bytes, which
/// settles almost every miss without a full comparison.
#[derive(Debug, Clone)]
pub(crate) struct KeepSet {
    /// `None`: every activity is kept.
    names: Option<Vec<Kept>>,
}

#[derive(Debug, Clone)]
struct Kept {
    head: u64,
    name: Box<[u8]>,
}

/// The first eight bytes of `bytes`, zero-padded.
#[inline]
fn head(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        None => {
            let mut word = [0u8; 8];
            if let Some(dst) = word.get_mut(..bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            u64::from_le_bytes(word)
        }
    }
}

impl KeepSet {
    pub(crate) fn new(keep: Option<&[String]>) -> Self {
        KeepSet {
            names: keep.map(|names| {
                names
                    .iter()
                    .map(|n| Kept {
                        head: head(n.as_bytes()),
                        name: n.as_bytes().into(),
                    })
                    .collect()
            }),
        }
    }

    /// Whether events of `activity` are kept.
    #[inline]
    pub(crate) fn keeps(&self, activity: &[u8]) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        names.iter().any(|k| {
            k.name.len() == activity.len() && k.head == head(activity) && *k.name == *activity
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exactly_the_named_activities() {
        let names: Vec<String> = ["visit", "장바구니", "add_to_cart", "add_to_carT2", ""]
            .map(str::to_owned)
            .into();
        let set = KeepSet::new(Some(&names));
        for n in &names {
            assert!(set.keeps(n.as_bytes()), "{n}");
        }
        for other in [
            "visi",
            "visit ",
            "장바구",
            "add_to_carx",
            "add_to_cart2",
            "x",
        ] {
            assert!(!set.keeps(other.as_bytes()), "{other}");
        }
        assert!(KeepSet::new(None).keeps(b"anything"));
        assert!(!KeepSet::new(Some(&[])).keeps(b"anything"));
    }
}
