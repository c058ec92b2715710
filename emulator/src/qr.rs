//! The enrollment QR code: a real QR of `appLinkUri`, a 300 x 300 px PNG in a data URI,
//! so a test (or a phone camera) can read the deep link back out of it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcode::{Color, EcLevel, QrCode};

/// Width and height of the PNG in pixels, as the vendor's `qrCode.size` says.
pub(crate) const QR_SIZE: u32 = 300;

/// Modules of white border the QR standard asks for around the code.
const QUIET_ZONE: usize = 4;

/// Why a QR image could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QrError {
    #[error("the text does not fit in a QR code")]
    TooLong,
    #[error("PNG encoding failed")]
    Png,
}

/// Renders `text` as a QR code and returns `data:image/png;base64,…`.
pub(crate) fn png_data_uri(text: &str) -> Result<String, QrError> {
    let png = render_png(text)?;
    let mut uri = String::with_capacity(22 + png.len() * 4 / 3 + 4);
    uri.push_str("data:image/png;base64,");
    STANDARD.encode_string(&png, &mut uri);
    Ok(uri)
}

/// Renders `text` as a QR code into a `QR_SIZE`-square 8-bit greyscale PNG: whole pixels per
/// module (crisp edges for scanners), centred, the rest white.
fn render_png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)?;
    let modules = code.width();
    let colors = code.to_colors();
    let size = QR_SIZE as usize;
    let total = modules + 2 * QUIET_ZONE;
    let scale = size / total;
    if scale == 0 {
        return Err(QrError::TooLong);
    }
    let offset = (size - modules * scale) / 2;
    let mut pixels = vec![0xFFu8; size * size];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules, index / modules);
        for y in offset + my * scale..offset + (my + 1) * scale {
            let row = y * size;
            pixels[row + offset + mx * scale..row + offset + (mx + 1) * scale].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, QR_SIZE, QR_SIZE);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| QrError::Png)?;
    writer.write_image_data(&pixels).map_err(|_| QrError::Png)?;
    writer.finish().map_err(|_| QrError::Png)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_png_data_uri() {
        let uri = png_data_uri("http://127.0.0.1:1/open?dispatchTokenResponse=abc").expect("qr");
        assert!(uri.starts_with("data:image/png;base64,iVBORw0KGgo"));
    }

    #[test]
    fn refuses_text_that_cannot_fit() {
        assert!(png_data_uri(&"x".repeat(5000)).is_err());
    }
}
