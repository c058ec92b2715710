//! The enrollment QR code is a real 300 x 300 PNG that decodes back to `appLinkUri`.

use std::io::Cursor;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::common::start;

#[tokio::test]
async fn qr_code_decodes_to_the_app_link() {
    let ctx = start().await;
    for body in [json!({ "username": "x".repeat(300) }), json!({})] {
        let answer = ctx.enroll(body).await;
        let enrollment = &answer["enrollment"];
        let data_uri = enrollment["qrCode"]["dataUri"].as_str().unwrap();
        let encoded = data_uri.strip_prefix("data:image/png;base64,").expect("PNG data URI");
        let png_bytes = STANDARD.decode(encoded).expect("base64");

        let decoder = png::Decoder::new(Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut pixels = vec![0u8; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut pixels).expect("PNG frame");
        assert_eq!((frame.width, frame.height), (300, 300));
        assert_eq!(frame.color_type, png::ColorType::Grayscale);

        let width = frame.width as usize;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(300, 300, |x, y| pixels[y * width + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_meta, content) = grids[0].decode().expect("QR decodes");
        assert_eq!(content, enrollment["appLinkUri"].as_str().unwrap());
    }
}
