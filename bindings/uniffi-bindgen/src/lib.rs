//! Nothing to use: the library target exists only so that `authcloud-ffi` can name this
//! crate as a dev-dependency, which makes maturin ship it in the Python sdist (a source
//! build runs this crate's `uniffi-bindgen` binary to generate the bindings).
