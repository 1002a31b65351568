//! The decoded image every stage works on.

/// An 8-bit, 3-channel image, row-major and interleaved (`width * height * 3` bytes).
///
/// Decoding produces RGB. Crops and resizes act on each channel independently, so the same type carries BGR
/// where a model wants it; the channel order is only chosen when a model's input tensor is filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Frame {
    /// Wraps a pixel buffer; `pixels.len()` must be `width * height * 3`.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Self {
        assert_eq!(pixels.len(), width * height * 3, "frame buffer size does not match {width}x{height}x3");
        Frame { width, height, pixels }
    }

    /// One row of interleaved pixels.
    pub fn row(&self, y: usize) -> &[u8] {
        &self.pixels[y * self.width * 3..(y + 1) * self.width * 3]
    }

    /// The pixel at (x, y) as `[c0, c1, c2]`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// The same image with channels 0 and 2 swapped (RGB <-> BGR).
    pub fn swap_rb(&self) -> Frame {
        let mut pixels = self.pixels.clone();
        for px in pixels.chunks_exact_mut(3) {
            px.swap(0, 2);
        }
        Frame { width: self.width, height: self.height, pixels }
    }
}

/// A face box in pixels of the decoded image: `x1, y1` inclusive top-left, `x2, y2` exclusive bottom-right,
/// as the UltraFace reference truncates them (may extend past the image border).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FaceBox {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
}

/// Sizes are `i64`: a box given on the command line or in a manifest may span the whole `i32` range
/// (`--box -2000000000,...,2000000000`), whose width does not fit an `i32`.
impl FaceBox {
    pub fn width(&self) -> i64 {
        i64::from(self.x2) - i64::from(self.x1)
    }
    pub fn height(&self) -> i64 {
        i64::from(self.y2) - i64::from(self.y1)
    }
    pub fn area(&self) -> i64 {
        self.width().max(0).saturating_mul(self.height().max(0))
    }
}
