//! Filter trees, keywords and sorts of the Search… operations (placeholder; filled in by the
//! search engine change).
