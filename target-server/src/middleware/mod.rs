//! Middleware around the handlers, listed from outermost to innermost as
//! `router` applies them to API routes:
//!
//! 1. `json_errors`: any error response without a JSON body gets one.
//! 2. `track`: counts and times every request exactly once, by route
//!    template, method and final status (so 503s from the limiter and
//!    injected 500s are counted too).
//! 3. `body`: reads the whole body within the size limit and the body
//!    timeout (413, 408), so slow uploads never hold an in-flight permit.
//! 4. `limit`: the in-flight limit that answers 503 + `Retry-After`.
//! 5. `faults`: injected latency, jitter and errors.

pub(crate) mod body;
pub(crate) mod faults;
pub(crate) mod json_errors;
pub(crate) mod limit;
pub(crate) mod track;
