//! By-value setters named like the field, for the `#[non_exhaustive]`
//! types users build (`docs/ARCHITECTURE.md` §2.4).

/// `setters!(Type { field: T, .. })`: one `#[must_use]` by-value setter per
/// field, named like it.
macro_rules! setters {
    ($ty:ident { $($field:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets [`", stringify!($ty), "::", stringify!($field), "`](", stringify!($ty), "#structfield.", stringify!($field), ").")]
                #[must_use]
                pub fn $field(mut self, $field: $t) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

pub(crate) use setters;
