//! `GET /api/v1/logs/export`: the event log as CSV (access key only), newest first, filtered
//! by the query parameters (see `crate::logs::query`), at most 10,000 rows, streamed.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};

use crate::app::Shared;
use crate::auth::require_access_key;
use crate::errors::ApiError;
use crate::logs::query::LogQuery;
use crate::logs::{MAX_ROWS, csv};

/// Handles `GET /api/v1/logs/export` → 200 `text/csv; charset=utf-8`, chunked. An intent
/// token is 403; a query parameter that breaks its rule is 400.
pub(crate) async fn export(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now();
    require_access_key(&shared, &headers, now)?;
    let pairs: Vec<(String, String)> =
        query.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let query = LogQuery::parse(&pairs, now).map_err(ApiError::bad_request)?;
    let rows = {
        let mut world = shared.state();
        // Expiries are recorded once applied: apply them all before reading.
        world.settle_all(now);
        world.events().newest(|event| query.matches(event), MAX_ROWS)
    };
    let mut response = csv::body(rows).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}
