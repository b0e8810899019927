//! Keys and items shared by the funds tests.

use std::sync::OnceLock;

use chacha20::ChaCha20Rng;
use rand_core_halo2::SeedableRng;

use super::{
    FundsLayout, FundsParams, FundsProvingKey, FundsShape, FundsVerifyingKey, ItemOpening,
};

/// 4 items per chunk, 3 categories, in the current layout: k = 11, the
/// smallest the lookup table allows.
pub(crate) fn keys() -> &'static (FundsParams, FundsProvingKey, FundsVerifyingKey) {
    keys_in(FundsLayout::CURRENT)
}

/// [`keys`] in `layout`.
pub(crate) fn keys_in(
    layout: FundsLayout,
) -> &'static (FundsParams, FundsProvingKey, FundsVerifyingKey) {
    type Keys = (FundsParams, FundsProvingKey, FundsVerifyingKey);
    static KEYS: [OnceLock<Keys>; FundsLayout::ALL.len()] = [const { OnceLock::new() }; 2];
    let at = FundsLayout::ALL
        .iter()
        .position(|l| *l == layout)
        .expect("one of all layouts");
    KEYS[at].get_or_init(|| {
        let shape = FundsShape::new(4, 3).unwrap().with_layout(layout);
        let params = FundsParams::new(shape.k());
        let pk = FundsProvingKey::generate(&params, shape).unwrap();
        let vk = FundsVerifyingKey::generate(&params, shape).unwrap();
        (params, pk, vk)
    })
}

pub(crate) fn openings(count: usize, seed: u64) -> Vec<ItemOpening> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let amount = if i == 4 {
                u64::MAX
            } else {
                1_000 * i as u64 + 7
            };
            ItemOpening::random(amount, (i % 3) as u16, &mut rng)
        })
        .collect()
}
