//! SearchEngagements' fields (placeholder).
