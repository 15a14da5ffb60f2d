//! Rendering `hcectl pay qr`'s code: half-block characters for a terminal, and a PBM image
//! (the plain Netpbm bitmap, which scanners such as zbarimg read) for tests and printing.

use std::io::Write;
use std::path::Path;

use qrcode::{Color, QrCode};

use super::CliError;

/// Quiet zone around the code, in modules (ISO/IEC 18004 asks for 4).
const QUIET: usize = 4;
/// Pixels per module in the PBM image.
const SCALE: usize = 4;

/// Prints the code for `text` to `out` and, with `pbm`, writes it as a PBM image.
pub fn render(text: &str, out: &mut dyn Write, pbm: Option<&Path>) -> Result<(), CliError> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| CliError::Usage(format!("QR: {e}")))?;
    let width = code.width();
    let dark = |x: usize, y: usize| -> bool {
        x >= QUIET
            && y >= QUIET
            && x < width + QUIET
            && y < width + QUIET
            && code[(x - QUIET, y - QUIET)] == Color::Dark
    };
    let side = width + 2 * QUIET;
    // Two rows per line: upper half block, lower half block, full block or space.
    for y in (0..side).step_by(2) {
        let line: String = (0..side)
            .map(|x| match (dark(x, y), y + 1 < side && dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            })
            .collect();
        writeln!(out, "{line}")?;
    }
    if let Some(path) = pbm {
        let px = side * SCALE;
        let mut img = format!("P1\n{px} {px}\n");
        for y in 0..px {
            let row: Vec<&str> =
                (0..px).map(|x| if dark(x / SCALE, y / SCALE) { "1" } else { "0" }).collect();
            img.push_str(&row.join(" "));
            img.push('\n');
        }
        std::fs::write(path, img)?;
    }
    Ok(())
}
