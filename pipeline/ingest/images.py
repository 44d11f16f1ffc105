"""Image inputs (PNG, JPEG, multi-page TIFF): open within the pixel limits, read each frame's dpi,
plan one OCR task per frame and decode a frame for OCR. Pillow's quirks stay in this module."""
from __future__ import annotations

import io
import warnings

from PIL import Image

from pipeline.errors import IngestError
from pipeline.ingest.sniff import Limits, RawInput
from pipeline.ingest.tasks import DEFAULT_DPI
from pipeline.settings import settings


def _image_dpi(img: Image.Image) -> float:
    """The image's dpi from its metadata when plausible, else 300."""
    dpi = img.info.get("dpi")
    try:
        x = float(dpi[0]) if isinstance(dpi, (tuple, list)) else float(dpi)
    except (TypeError, ValueError, IndexError):
        return float(DEFAULT_DPI)
    if not (50 <= x <= 2400):
        return float(DEFAULT_DPI)
    # A full-resolution scan tagged 72 dpi by its software would make a poster-sized page.
    if max(img.size) / x > 20:
        return float(DEFAULT_DPI)
    return x


def _open_image(data: bytes, limits: Limits) -> Image.Image:
    # Pillow's own guard: we check pixel counts ourselves first and keep Pillow's bomb error
    # as a second line, raised for anything over twice the configured limit.
    Image.MAX_IMAGE_PIXELS = settings().max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "Corrupt EXIF data": we judge by decoding
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise IngestError("too_large", f"image pixel count over the limit ({e})") from None
    except Image.UnidentifiedImageError:
        raise IngestError("corrupt", "image data cannot be decoded") from None
    except Exception as e:
        raise IngestError("corrupt", f"image cannot be opened ({type(e).__name__})") from None
    w, h = img.size
    if w * h > limits.max_image_pixels:
        raise IngestError("too_large", f"image is {w}x{h} pixels, limit {limits.max_image_pixels}")
    if w == 0 or h == 0:
        raise IngestError("corrupt", "image has zero size")
    return img


def _frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1) or 1)


def _load_frame(data: bytes, index: int, limits: Limits) -> tuple[Image.Image, float]:
    img = _open_image(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if index:
                img.seek(index)
            w, h = img.size
            if w * h > limits.max_image_pixels:
                raise IngestError("too_large", f"frame {index + 1} is {w}x{h} pixels, limit {limits.max_image_pixels}")
            img.load()
            dpi = _image_dpi(img)
            frame = img.copy()
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise IngestError("too_large", f"image pixel count over the limit ({e})") from None
    except MemoryError:
        raise IngestError("too_large", "image does not fit in memory") from None
    except Exception as e:  # truncated or broken image data
        raise IngestError("corrupt", f"image frame {index + 1} cannot be decoded ({type(e).__name__}: {e})") from None
    return frame, dpi

def _plan_image(raw: RawInput, limits: Limits, ocr_or_cached) -> None:
    img = _open_image(raw.data, limits)
    try:
        n = _frame_count(img)
        if n > limits.max_pages:
            raise IngestError("too_large", f"image has {n} frames, limit {limits.max_pages}")
        for i in range(n):
            try:
                if i:
                    img.seek(i)
                w, h = img.size
            except EOFError:
                raise IngestError("corrupt", f"image frame {i + 1} is missing") from None
            except Exception as e:
                raise IngestError("corrupt", f"image frame {i + 1} cannot be read ({type(e).__name__})") from None
            if w * h > limits.max_image_pixels:
                raise IngestError("too_large", f"frame {i + 1} is {w}x{h} pixels, limit {limits.max_image_pixels}")
            idpi = _image_dpi(img)
            ocr_or_cached(i, idpi, w * 72.0 / idpi, h * 72.0 / idpi, "image")
    finally:
        img.close()
