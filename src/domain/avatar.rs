//! A profile picture: whatever picture a person uploads becomes a 256×256 PNG, cropped to the
//! centre. A value of `AvatarPng` is always such a PNG; nothing uploaded is stored or served as is.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits, imageops::FilterType};

/// Side of the stored square, in pixels.
pub const SIDE: u32 = 256;
/// The largest upload accepted.
pub const MAX_BYTES: usize = 1024 * 1024;
/// The largest picture decoded (a small file can claim enormous dimensions).
const MAX_PIXELS_SIDE: u32 = 6000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvatarError {
    #[error("Choose a picture to upload.")]
    Empty,
    #[error("The picture is {0}; the largest allowed is 1 MB.")]
    TooLarge(String),
    #[error("This file is not a picture this console reads: use PNG, JPEG or WebP.")]
    NotAPicture,
    #[error("The picture is {0}×{1} pixels; the largest allowed is 6000×6000.")]
    TooManyPixels(u32, u32),
    /// Within the pixels allowed, but too much memory to decode (16 bits a channel).
    #[error(
        "This picture takes too much memory to read ({0}×{1} pixels, in high colour depth): save it \
         smaller (1000×1000 is plenty) and upload it again."
    )]
    TooBigToRead(u32, u32),
}

/// A 256×256 PNG made from an upload.
#[derive(Debug, Clone)]
pub struct AvatarPng(Vec<u8>);

impl AvatarPng {
    pub fn from_upload(bytes: &[u8]) -> Result<Self, AvatarError> {
        if bytes.is_empty() {
            return Err(AvatarError::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(AvatarError::TooLarge(format!(
                "{:.1} MB",
                bytes.len() as f64 / (1024.0 * 1024.0)
            )));
        }
        let mut reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| AvatarError::NotAPicture)?;
        let format = match reader.format() {
            Some(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => f,
            _ => return Err(AvatarError::NotAPicture),
        };
        let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
            .into_dimensions()
            .map_err(|_| AvatarError::NotAPicture)?;
        if width > MAX_PIXELS_SIDE || height > MAX_PIXELS_SIDE {
            return Err(AvatarError::TooManyPixels(width, height));
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_PIXELS_SIDE);
        limits.max_image_height = Some(MAX_PIXELS_SIDE);
        limits.max_alloc = Some(256 * 1024 * 1024);
        reader.limits(limits);
        let picture = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => AvatarError::TooBigToRead(width, height),
            _ => AvatarError::NotAPicture,
        })?;
        let square = picture.resize_to_fill(SIDE, SIDE, FilterType::Triangle);
        let mut png = Vec::new();
        square
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|_| AvatarError::NotAPicture)?;
        Ok(Self(png))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, RgbImage};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let mut bytes = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    fn side_of(png: &AvatarPng) -> (u32, u32) {
        let decoded = image::load_from_memory_with_format(png.bytes(), ImageFormat::Png).unwrap();
        (decoded.width(), decoded.height())
    }

    #[test]
    fn pictures_become_256_pixel_square_pngs() {
        for (w, h, format) in [
            (640, 480, ImageFormat::Png),
            (300, 900, ImageFormat::Jpeg),
            (40, 40, ImageFormat::WebP),
        ] {
            let png = AvatarPng::from_upload(&encoded(w, h, format)).unwrap();
            assert!(png.bytes().starts_with(b"\x89PNG\r\n\x1a\n"));
            assert_eq!(side_of(&png), (SIDE, SIDE), "{w}×{h} {format:?}");
        }
    }

    #[test]
    fn what_is_not_a_picture_is_refused() {
        for bytes in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"[..],
            b"GIF89a\x01\x00\x01\x00 but not really",
            b"\x89PNG\r\n\x1a\n truncated",
            b"plain text",
        ] {
            assert_eq!(
                AvatarPng::from_upload(bytes).unwrap_err(),
                AvatarError::NotAPicture
            );
        }
        assert_eq!(AvatarPng::from_upload(b"").unwrap_err(), AvatarError::Empty);
    }

    #[test]
    fn oversized_files_and_pictures_are_refused() {
        let big = vec![0u8; MAX_BYTES + 1];
        assert!(matches!(
            AvatarPng::from_upload(&big),
            Err(AvatarError::TooLarge(_))
        ));
        // A small PNG claiming 7000×10 pixels.
        let wide = encoded(7000, 10, ImageFormat::Png);
        assert!(wide.len() < MAX_BYTES);
        assert_eq!(
            AvatarPng::from_upload(&wide).unwrap_err(),
            AvatarError::TooManyPixels(7000, 10)
        );
    }
}
