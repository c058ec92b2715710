//! The QR code as text: two modules per character cell with Unicode half blocks, so a
//! phone camera can read it straight off the terminal.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

/// Renders `text` as a QR code for a terminal.
///
/// Terminals are usually light-on-dark, so by default *light* modules are drawn (as
/// blocks) and dark ones left as background; `invert` suits dark-on-light themes. Error
/// correction L keeps the code small enough for an 80-column terminal.
pub fn render(text: &str, invert: bool) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L)?;
    let (dark, light) = if invert { (Dense1x2::Dark, Dense1x2::Light) } else { (Dense1x2::Light, Dense1x2::Dark) };
    Ok(code.render::<Dense1x2>().dark_color(dark).light_color(light).quiet_zone(true).build())
}

/// The QR code for stdout, or `None` (with a note on stderr) when it cannot be shown
/// usefully: a code wider than the terminal wraps into noise no camera can read.
pub fn for_stdout(text: &str, invert: bool) -> Option<String> {
    let qr = match render(text, invert) {
        Ok(qr) => qr,
        Err(e) => {
            eprintln!("(QR code not drawable: {e}; use the deep link)");
            return None;
        }
    };
    let width = qr.lines().map(|line| line.chars().count()).max().unwrap_or(0);
    let term = console::Term::stdout();
    if let Some((_, columns)) = term.size_checked() {
        if term.is_term() && usize::from(columns) < width {
            eprintln!("(the QR code needs {width} columns, the terminal has {columns}: widen it or use --qr-png FILE)");
            return None;
        }
    }
    Some(qr)
}
