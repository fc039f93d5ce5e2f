//! `multipart/form-data` for the one upload form (the profile picture): the body is read whole,
//! bounded, and its parts found by their boundary. The CSRF check reads its token field the same way.
//! The picture is then decoded off the async threads, a few at once, holding no connection.

use std::future::poll_fn;
use std::pin::Pin;

use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut};
use futures_core::Stream;

use crate::domain::avatar::{AvatarError, AvatarPng};

/// The largest upload body read; a larger one is refused with 413 before any handler runs. The
/// picture's own limit (1 MB) is checked by the handler, with a message beside the field.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One part of the body.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// `name="value"` out of a Content-Disposition header.
fn parameter(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (key, value) = p.split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The parts of a body; a malformed tail ends the list.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<Part<'a>> {
    let delimiter = format!("--{boundary}");
    let between = format!("\r\n--{boundary}");
    let mut found = Vec::new();
    let Some(start) = find(body, delimiter.as_bytes(), 0) else {
        return found;
    };
    let mut at = start + delimiter.len();
    while body.get(at..at + 2) == Some(b"\r\n") {
        let Some(head_end) = find(body, b"\r\n\r\n", at + 2) else {
            break;
        };
        let Some(data_end) = find(body, between.as_bytes(), head_end + 4) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[at + 2..head_end]);
        let disposition = head
            .split("\r\n")
            .find(|line| {
                line.to_ascii_lowercase()
                    .starts_with("content-disposition:")
            })
            .unwrap_or_default();
        if let Some(name) = parameter(disposition, "name") {
            found.push(Part {
                name,
                filename: parameter(disposition, "filename"),
                data: &body[head_end + 4..data_end],
            });
        }
        at = data_end + between.len();
    }
    found
}

/// Reads a whole body, refusing one over `limit` bytes (`Ok(None)`).
pub async fn read_body<S>(payload: &mut S, limit: usize) -> Result<Option<Bytes>, PayloadError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let mut body = BytesMut::new();
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut *payload).poll_next(cx)).await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// The bytes of the file field `name` of an upload request (empty when there is none).
pub async fn file_field(
    req: &actix_web::HttpRequest,
    payload: &mut actix_web::web::Payload,
    name: &str,
) -> Result<Vec<u8>, super::error::AppError> {
    Ok(named_file_field(req, payload, name).await?.1)
}

/// The file name and bytes of the file field `name` (no name and no bytes when there is none).
pub async fn named_file_field(
    req: &actix_web::HttpRequest,
    payload: &mut actix_web::web::Payload,
    name: &str,
) -> Result<(Option<String>, Vec<u8>), super::error::AppError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = boundary(content_type) else {
        return Ok((None, Vec::new()));
    };
    // The CSRF check read the body within the same bound already; over it never gets here.
    let body = read_body(payload, MAX_BODY_BYTES)
        .await
        .map_err(|e| super::error::AppError::Internal(anyhow::Error::new(e)))?
        .unwrap_or_default();
    Ok(parts(&body, &boundary)
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| (p.filename, p.data.to_vec()))
        .unwrap_or_default())
}

/// Pictures decoded at once on this instance: each may take up to 256 MB and seconds of CPU.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// An uploaded picture made into a profile picture, on the blocking pool and without a database
/// connection (ten large uploads at once held every connection, and every page waited), at most
/// [`DECODING`]'s number at once: the others wait their turn.
pub async fn decode_picture(
    upload: Vec<u8>,
) -> Result<Result<AvatarPng, AvatarError>, super::error::AppError> {
    let turn = DECODING
        .acquire()
        .await
        .map_err(|e| anyhow::anyhow!("picture decoding closed: {e}"))?;
    // Held by the decoding itself: it goes on if the request is dropped meanwhile.
    Ok(actix_web::web::block(move || {
        let _turn = turn;
        AvatarPng::from_upload(&upload)
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\x00\xff\r\n--XyZ--\r\n";

    #[test]
    fn reads_the_boundary_of_form_data_only() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundaryA1b2"),
            Some("----WebKitFormBoundaryA1b2".to_owned())
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=\"q\""),
            Some("q".to_owned())
        );
        assert_eq!(boundary("multipart/mixed; boundary=q"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
    }

    #[test]
    fn splits_fields_and_binary_files() {
        let parts = parts(BODY, "XyZ");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf_token");
        assert_eq!(parts[0].data, b"abc123");
        assert_eq!(parts[1].name, "avatar");
        assert_eq!(parts[1].filename.as_deref(), Some("me.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n--X\x00\xff");
    }

    #[test]
    fn malformed_bodies_give_what_is_whole() {
        assert!(parts(b"no boundary here", "XyZ").is_empty());
        assert_eq!(parts(&BODY[..60], "XyZ").len(), 0);
        assert_eq!(parts(&BODY[..90], "XyZ").len(), 1);
    }
}
