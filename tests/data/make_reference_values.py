"""Reference values for the liveness crop/decode unit tests, and the small test images in this folder.

Run with opencv-python-headless (5.0.0 was used), numpy, pillow and onnxruntime (imported by ref_pipeline.py);
prints the sha256 values pasted into src/crop/resize.rs, src/crop/tests.rs and src/decode/tests.rs.
"""
import hashlib, importlib.util, os
from pathlib import Path
import cv2, numpy as np
HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / '../shared'
spec = importlib.util.spec_from_file_location('rp', SHARED / 'tools/ref_pipeline.py')
rp = importlib.util.module_from_spec(spec); spec.loader.exec_module(rp)
cv2.setNumThreads(1)
sha = lambda a: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()

def pattern(w, h, seed):
    x = np.arange(w, dtype=np.uint32)[None, :, None]
    y = np.arange(h, dtype=np.uint32)[:, None, None]
    c = np.arange(3, dtype=np.uint32)[None, None, :]
    hh = (x * np.uint32(73856093)) ^ (y * np.uint32(19349663)) ^ ((c + np.uint32(seed)) * np.uint32(83492791))
    g = (np.arange(w) * 255 // max(w, 1)).astype(np.uint32)[None, :, None] // 2
    return (g + (hh >> 7) % 128).astype(np.uint8)

print("== resize")
for name, interp, (w, h, seed), (ow, oh) in [
    ("LINEAR_640", cv2.INTER_LINEAR, (640, 480, 1), (320, 240)),
    ("LINEAR_97", cv2.INTER_LINEAR, (97, 113, 2), (80, 80)),
    ("LINEAR_31", cv2.INTER_LINEAR, (31, 17, 3), (80, 80)),
    ("AREA_161", cv2.INTER_AREA, (161, 161, 4), (127, 127)),
    ("AREA_300", cv2.INTER_AREA, (300, 300, 5), (128, 128)),
    ("AREA_384", cv2.INTER_AREA, (384, 384, 6), (128, 128)),
    ("AREA_UP", cv2.INTER_AREA, (40, 90, 7), (64, 30)),
    ("LANCZOS_100", cv2.INTER_LANCZOS4, (100, 100, 8), (128, 128)),
    ("LANCZOS_57", cv2.INTER_LANCZOS4, (57, 57, 9), (128, 128)),
]:
    print(name, sha(cv2.resize(pattern(w, h, seed), (ow, oh), interpolation=interp)))

def letterbox_u8(img, size=128):
    # minifas_preprocess up to copyMakeBorder (before the float conversion)
    ratio = float(size) / max(img.shape[:2])
    sh = tuple([int(x * ratio) for x in img.shape[:2]])
    interp = cv2.INTER_LANCZOS4 if ratio > 1.0 else cv2.INTER_AREA
    r = cv2.resize(img, (sh[1], sh[0]), interpolation=interp)
    dw, dh = size - sh[1], size - sh[0]
    return cv2.copyMakeBorder(r, dh // 2, dh - dh // 2, dw // 2, dw - dw // 2, cv2.BORDER_REFLECT_101)

def square(bbox, W, H, f=1.5):
    x, y, x2, y2 = bbox; w, h = x2 - x, y2 - y; m = max(w, h)
    return (int(x + w / 2 - m * f / 2), int(y + h / 2 - m * f / 2), int(m * f))

print("== minifas on image_T1")
t1 = cv2.imread(str(SHARED / 'models/samples/image_T1.jpg'))
H, W = t1.shape[:2]
for label, box, f in [
    ("inside", (150, 200, 330, 400), 1.5),
    ("left", (0, 250, 120, 370), 1.5),
    ("top", (200, 0, 300, 100), 1.5),
    ("right", (380, 300, 480, 400), 1.5),
    ("bottom", (100, 540, 200, 640), 1.5),
    ("out_top_left", (-40, -30, 100, 120), 1.5),
    ("out_bottom_right", (400, 560, 520, 700), 1.5),
    ("huge_multi_reflect", (-300, -300, 700, 900), 1.5),
    ("lanczos_small", (220, 300, 260, 340), 1.5),
    ("quirk_187", (100, 100, 225, 200), 1.5),
    ("quirk_237", (100, 100, 258, 180), 1.5),
    ("scale_161", (150, 150, 250, 250), 1.61),
]:
    crop = rp.minifas_crop(t1, box, f)
    s = crop.shape[0]
    r = 128 / s
    print(label, box, f, square(box, W, H, f), "side", s, "scaled", int(s * r), sha(letterbox_u8(crop)))
for label, box in [("outside", (1000, 1000, 1100, 1100)), ("zero_w", (10, 10, 10, 50))]:
    try:
        rp.minifas_crop(t1, box, 1.5); print(label, "no error?!")
    except ValueError as e:
        print(label, "ValueError", e)

print("== test files")
from PIL import Image
yy, xx = np.mgrid[0:24, 0:40]
cmyk = np.stack([(xx * 6) % 256, (yy * 10) % 256, ((xx + yy) * 4) % 256, (xx * yy) % 256], -1).astype(np.uint8)
Image.fromarray(cmyk, 'CMYK').save(HERE / 'cmyk.jpg', quality=90)
gray = ((xx * 5 + yy * 3) % 256).astype(np.uint8)
cv2.imwrite(str(HERE / 'gray.jpg'), gray, [cv2.IMWRITE_JPEG_QUALITY, 90])
rgb = np.stack([xx * 6, yy * 10, (xx + yy) * 4], -1).astype(np.uint8)
im = Image.fromarray(rgb, 'RGB'); ex = im.getexif(); ex[0x0112] = 8
im.save(HERE / 'orientation8.jpg', quality=90, exif=ex.tobytes())
for f in ('cmyk.jpg', 'gray.jpg', 'orientation8.jpg'):
    p = str(HERE / f)
    a = cv2.imread(p)
    print(f, os.path.getsize(p), 'bytes', a.shape, sha(a))
im.save(HERE / 'orientation8.png', exif=ex.tobytes())  # cv2 applies a PNG's EXIF orientation too
a = cv2.imread(str(HERE / 'orientation8.png'))
print('orientation8.png', a.shape, sha(a))
