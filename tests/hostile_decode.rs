//! Decoder bombs in metadata (issue 10, finding 2): a small PNG whose ICC profile or text inflates to
//! hundreds of MB. `--max-pixels` covers pixels only, so the peak allocation is measured here with a
//! counting allocator (one test per binary, so no other test's allocations are counted).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let body = [kind.as_slice(), data].concat();
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..n / block.len() {
        z.write_all(&block).unwrap();
    }
    z.finish().unwrap()
}

/// An 8x8 grey-ish RGB PNG carrying `meta` (an iCCP or zTXt chunk) before its pixels.
fn png_with(meta: Vec<u8>) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&8u32.to_be_bytes());
    ihdr.extend_from_slice(&8u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let raw: Vec<u8> = (0..8).flat_map(|_| std::iter::once(0u8).chain(std::iter::repeat_n(0x80, 24))).collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).unwrap();
    let idat = z.finish().unwrap();
    [b"\x89PNG\r\n\x1a\n".to_vec(), chunk(b"IHDR", &ihdr), meta, chunk(b"IDAT", &idat), chunk(b"IEND", b"")].concat()
}

#[test]
fn a_png_with_a_256_mib_icc_profile_or_text_decodes_in_little_memory() {
    let inflated = 256 << 20;
    let bomb = zlib_zeros(inflated);
    let iccp = png_with(chunk(b"iCCP", &[b"icc\0\0".as_slice(), &bomb].concat()));
    let ztxt = png_with(chunk(b"zTXt", &[b"Comment\0\0".as_slice(), &bomb].concat()));
    assert!(iccp.len() < 2 << 20, "the file itself is small: {} bytes", iccp.len());
    let limits = liveness::decode::DecodeLimits::default();
    for (name, png) in [("iccp.png", iccp), ("ztxt.png", ztxt)] {
        let before = LIVE.load(Ordering::SeqCst);
        PEAK.store(before, Ordering::SeqCst);
        let frame = liveness::decode::decode_bytes(&png, Path::new(name), &limits).expect("decodes");
        assert_eq!((frame.width, frame.height, frame.pixel(3, 3)), (8, 8, [0x80; 3]));
        let extra = PEAK.load(Ordering::SeqCst) - before;
        assert!(extra < 16 << 20, "{name}: decoding took {extra} bytes for an 8x8 image");
    }
}
