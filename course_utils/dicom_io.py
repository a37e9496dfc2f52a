"""A DICOM round trip for denoisers: pixels to ``[0, 1]`` floats and back into a valid file.

Taught in: 04_medical_image_denoising (the "inference on a real file" part).

A denoiser works on float images in ``[0, 1]``; a scanner writes integers in a bit depth, a
signedness and an intensity range recorded in the DICOM header.  This module converts in both
directions without losing any of that:

* :func:`read_dicom` reads a file (``FileNotFoundError`` if it is missing, ``ValueError`` if it
  is not DICOM);
* :func:`dicom_to_float` returns the image as float32 in ``[0, 1]`` plus a :class:`DicomPixelInfo`
  that remembers how to map back (by default the image's own min..max stored values);
* :func:`denoised_dicom` builds a *new* dataset with the pixel data replaced -- same
  ``BitsAllocated`` / ``BitsStored`` / ``PixelRepresentation`` and the same ``RescaleSlope`` /
  ``RescaleIntercept`` (so Hounsfield units stay meaningful), new ``SOPInstanceUID`` and
  ``SeriesInstanceUID``, a ``SeriesDescription`` saying it was denoised, ``ImageType`` DERIVED,
  written uncompressed as Explicit VR Little Endian (a compressed source is decompressed);
* :func:`write_denoised_dicom` does the same and writes it atomically (temporary file + rename);
* :func:`anonymise` blanks the patient-identifying attributes of a copy and drops private tags --
  a teaching subset of real de-identification (DICOM PS3.15 Annex E), not a replacement for it.

Only grey-scale (``SamplesPerPixel == 1``, MONOCHROME1/2) integer pixel data with 8, 16 or 32
bits allocated is supported; colour, 1-bit, floating-point and non-image datasets raise
``ValueError``.  Multi-frame images are handled as ``(frames, rows, columns)`` arrays.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

__all__ = [
    "DEFAULT_DESCRIPTION",
    "DicomPixelInfo",
    "read_dicom",
    "dicom_to_float",
    "float_to_stored",
    "denoised_dicom",
    "write_denoised_dicom",
    "anonymise",
]

DEFAULT_DESCRIPTION = "Denoised by autoencoder (course demo, not for clinical use)"

_PYDICOM_MAJOR = int(pydicom.__version__.split(".")[0])

# Attributes that identify a patient (a subset of DICOM PS3.15 Table E.1-1), blanked by anonymise().
_PATIENT_TAGS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientSex",
    "PatientAge",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientMotherBirthName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "OtherPatientIDsSequence",
    "MedicalRecordLocator",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "AccessionNumber",
    "StudyID",
    "RequestAttributesSequence",
)


@dataclass(frozen=True)
class DicomPixelInfo:
    """How the stored pixel values of a DICOM image map to ``[0, 1]`` and back.

    Returned by :func:`dicom_to_float`; :func:`float_to_stored` needs it to map back.

    ``lo`` / ``hi`` are the stored values that map to 0 and 1; ``bits_allocated``,
    ``bits_stored`` and ``pixel_representation`` (0 = unsigned, 1 = signed) describe the integer
    format; ``slope`` / ``intercept`` convert stored values to modality units (e.g. Hounsfield
    units for CT: ``HU = slope * stored + intercept``); ``shape`` is ``(rows, cols)`` or
    ``(frames, rows, cols)``.
    """

    lo: float
    hi: float
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    slope: float
    intercept: float
    photometric: str
    shape: tuple[int, ...]

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the stored pixel values (e.g. ``int16``)."""
        kind = "int" if self.pixel_representation == 1 else "uint"
        return np.dtype(f"{kind}{self.bits_allocated}")

    @property
    def stored_range(self) -> tuple[int, int]:
        """The smallest and largest value ``bits_stored`` bits can hold with this signedness."""
        if self.pixel_representation == 1:
            return -(2 ** (self.bits_stored - 1)), 2 ** (self.bits_stored - 1) - 1
        return 0, 2**self.bits_stored - 1

    def to_stored(self, image01: Any) -> np.ndarray:
        """Map ``[0, 1]`` floats back to stored integers (rounded, clipped to the stored range)."""
        return float_to_stored(image01, self)

    def to_modality(self, image01: Any) -> np.ndarray:
        """Map ``[0, 1]`` floats to modality units (``slope * stored + intercept``), float64."""
        return self.slope * self.to_stored(image01).astype(np.float64) + self.intercept


def read_dicom(path: str | os.PathLike[str]) -> Dataset:
    """Read a DICOM file; ``FileNotFoundError`` if it does not exist, ``ValueError`` if not DICOM.

    Taught in: 04_medical_image_denoising.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"DICOM file not found: {str(p)!r} (expected an existing .dcm file)")
    try:
        return pydicom.dcmread(p)
    except InvalidDicomError as exc:
        raise ValueError(f"{str(p)!r} is not a DICOM file (no 'DICM' preamble / file meta): {exc}") from exc


def _as_dataset(src: Any, name: str = "ds") -> Dataset:
    if isinstance(src, Dataset):
        return src
    if isinstance(src, (str, os.PathLike)):
        return read_dicom(src)
    raise ValueError(f"{name} must be a pydicom Dataset or a path to a DICOM file, got {type(src).__name__}")


def _check_image_dataset(ds: Dataset) -> None:
    if "PixelData" not in ds:
        kind = ds.get("Modality", None) or ds.get("SOPClassUID", "unknown")
        raise ValueError(
            f"the dataset has no PixelData (it is not an image: modality/SOP class {kind!s}); "
            "expected a grey-scale image such as a CT or MR slice"
        )
    missing = [k for k in ("Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation") if k not in ds]
    if missing:
        raise ValueError(f"the image dataset lacks the required attribute(s) {missing}")
    spp = int(ds.get("SamplesPerPixel", 1))
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if spp != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(
            f"only grey-scale images are supported (SamplesPerPixel 1, MONOCHROME1/2), "
            f"got SamplesPerPixel={spp}, PhotometricInterpretation={photometric!r}"
        )
    if int(ds.BitsAllocated) not in (8, 16, 32):
        raise ValueError(f"BitsAllocated must be 8, 16 or 32, got {ds.BitsAllocated}")
    if not 1 <= int(ds.BitsStored) <= int(ds.BitsAllocated):
        raise ValueError(f"BitsStored must be between 1 and BitsAllocated={ds.BitsAllocated}, got {ds.BitsStored}")
    if int(ds.PixelRepresentation) not in (0, 1):
        raise ValueError(f"PixelRepresentation must be 0 (unsigned) or 1 (signed), got {ds.PixelRepresentation}")


def _stored_pixels(ds: Dataset) -> np.ndarray:
    try:
        arr = ds.pixel_array
    except Exception as exc:
        ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(ts, "name", ts)
        raise ValueError(
            f"could not decode the pixel data (transfer syntax {name}): {exc}. "
            "Compressed files may need an extra decoder such as pylibjpeg or GDCM"
        ) from exc
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"expected integer pixel data, got {arr.dtype}")
    return arr


def _info(ds: Dataset, arr: np.ndarray, value_range: Any) -> DicomPixelInfo:
    base = DicomPixelInfo(
        lo=0.0,
        hi=1.0,
        bits_allocated=int(ds.BitsAllocated),
        bits_stored=int(ds.BitsStored),
        pixel_representation=int(ds.PixelRepresentation),
        slope=float(ds.get("RescaleSlope", 1.0) or 1.0),
        intercept=float(ds.get("RescaleIntercept", 0.0) or 0.0),
        photometric=str(ds.get("PhotometricInterpretation", "MONOCHROME2")),
        shape=tuple(int(s) for s in arr.shape),
    )
    if value_range is None or (isinstance(value_range, str) and value_range == "image"):
        lo, hi = float(arr.min()), float(arr.max())
        if hi <= lo:  # a constant image: any non-empty interval maps it exactly
            hi = lo + 1.0
    elif isinstance(value_range, str) and value_range == "stored":
        lo, hi = (float(v) for v in base.stored_range)
    elif isinstance(value_range, (tuple, list)) and len(value_range) == 2:
        lo, hi = float(value_range[0]), float(value_range[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise ValueError(f"value_range must be (lo, hi) with finite lo < hi, got {value_range!r}")
    else:
        raise ValueError(
            f"value_range must be None/'image', 'stored' or a (lo, hi) pair of stored values, got {value_range!r}"
        )
    return replace(base, lo=lo, hi=hi)


def dicom_to_float(
    ds: Dataset | str | os.PathLike[str], *, value_range: Any = None
) -> tuple[np.ndarray, DicomPixelInfo]:
    """The image of a DICOM dataset (or file) as float32 in ``[0, 1]``, and how to map it back.

    Taught in: 04_medical_image_denoising.

    ``value_range`` chooses which stored values map to 0 and 1: ``None`` / ``"image"`` (default)
    the image's own minimum and maximum, ``"stored"`` the full range ``BitsStored`` can hold, or a
    ``(lo, hi)`` pair of stored values (values outside are clipped).  Returns ``(image, info)``
    with ``image`` shaped ``(rows, cols)`` (or ``(frames, rows, cols)``); ``info`` is a
    :class:`DicomPixelInfo`.  Rescale slope/intercept are not applied -- they are linear, so
    they survive the round trip unchanged in the header.
    Raises ``ValueError`` for non-image, colour or undecodable datasets.
    """
    ds = _as_dataset(ds)
    _check_image_dataset(ds)
    arr = _stored_pixels(ds)
    info = _info(ds, arr, value_range)
    image = (arr.astype(np.float64) - info.lo) / (info.hi - info.lo)
    return np.clip(image, 0.0, 1.0).astype(np.float32), info


def float_to_stored(image01: Any, info: DicomPixelInfo) -> np.ndarray:
    """Map a ``[0, 1]`` float image back to stored integers of ``info.dtype``.

    Used by :func:`denoised_dicom`.

    ``stored = round(lo + image * (hi - lo))``, clipped to what ``BitsStored`` can hold.
    ``image01`` must have ``info.shape`` (a trailing channel axis of 1 is accepted) and finite
    values in ``[0, 1]``, else ``ValueError``.
    """
    if not isinstance(info, DicomPixelInfo):
        raise ValueError(f"info must be the DicomPixelInfo returned by dicom_to_float, got {type(info).__name__}")
    try:
        img = np.asarray(image01, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"image must be a numeric array shaped {info.shape}, got {type(image01).__name__}") from exc
    if img.shape != info.shape and img.shape == (*info.shape, 1):
        img = img[..., 0]
    if img.shape != info.shape:
        raise ValueError(f"image must have the DICOM image's shape {info.shape} (rows, cols), got {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError("image contains NaN or infinite values; expected finite values in [0, 1]")
    tol = 1e-6
    if img.min() < -tol or img.max() > 1 + tol:
        raise ValueError(
            f"image values must lie in [0, 1] (as returned by dicom_to_float), got min {img.min():.4g}, max {img.max():.4g}"
        )
    stored = np.rint(info.lo + np.clip(img, 0.0, 1.0) * (info.hi - info.lo))
    smin, smax = info.stored_range
    return np.clip(stored, smin, smax).astype(info.dtype)


def _set_little_endian_explicit(ds: Dataset) -> None:
    if _PYDICOM_MAJOR < 3:  # pydicom 2 writes with the dataset's own encoding flags
        ds.is_little_endian = True
        ds.is_implicit_VR = False


def denoised_dicom(
    ds: Dataset | str | os.PathLike[str],
    image01: Any,
    *,
    description: str = DEFAULT_DESCRIPTION,
    value_range: Any = None,
) -> Dataset:
    """A copy of ``ds`` whose pixel data is ``image01`` (floats in ``[0, 1]``), ready to save.

    Used by :func:`write_denoised_dicom`.

    The floats are mapped back with the same ``value_range`` rule as :func:`dicom_to_float`
    (default: the source image's min..max stored values) into the source's bit depth and
    signedness; ``RescaleSlope`` / ``RescaleIntercept`` and the window settings are kept.
    The copy gets new ``SOPInstanceUID`` (also in the file meta) and ``SeriesInstanceUID``
    (a denoised image is a new, derived series of the same study), ``SeriesDescription =
    description``, ``ImageType`` starting ``DERIVED\\SECONDARY``, a ``DerivationDescription``,
    updated ``Smallest/LargestImagePixelValue`` if present, and the Explicit VR Little Endian
    transfer syntax (uncompressed).  The source dataset is not modified.
    Raises ``ValueError`` for a non-image dataset, a wrong shape or values outside ``[0, 1]``.
    """
    src = _as_dataset(ds)
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"description must be a non-empty string, got {description!r}")
    _check_image_dataset(src)
    arr = _stored_pixels(src)
    info = _info(src, arr, value_range)
    stored = float_to_stored(image01, info)

    out = copy.deepcopy(src)
    raw = stored.astype(stored.dtype.newbyteorder("<"), copy=False).tobytes()
    if len(raw) % 2:
        raw += b"\x00"  # DICOM values have even length
    out.PixelData = raw
    out["PixelData"].VR = "OB" if info.bits_allocated == 8 else "OW"
    out["PixelData"].is_undefined_length = False
    for tag in ("SmallestImagePixelValue", "LargestImagePixelValue"):
        if tag in out:
            out[tag].value = int(stored.min() if tag.startswith("Smallest") else stored.max())

    old_sop = str(src.get("SOPInstanceUID", ""))
    new_sop, new_series = generate_uid(), generate_uid()
    out.SOPInstanceUID = new_sop
    out.SeriesInstanceUID = new_series
    out.SeriesDescription = description[:64]  # LO: at most 64 characters
    out.DerivationDescription = f"{description} Pixel data replaced; source SOP Instance UID {old_sop}"[:1024]
    image_type = [str(v) for v in src.get("ImageType", [])]
    out.ImageType = ["DERIVED", "SECONDARY", *image_type[2:]] if image_type else ["DERIVED", "SECONDARY"]
    now = _dt.datetime.now()
    out.InstanceCreationDate = now.strftime("%Y%m%d")
    out.InstanceCreationTime = now.strftime("%H%M%S")

    meta = (
        FileMetaDataset(copy.deepcopy(src.file_meta))
        if getattr(src, "file_meta", None) is not None
        else FileMetaDataset()
    )
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPInstanceUID = new_sop
    sop_class = src.get("SOPClassUID", None) or meta.get("MediaStorageSOPClassUID", None)
    if sop_class is None:
        raise ValueError("the dataset has no SOPClassUID; cannot write a valid DICOM file")
    meta.MediaStorageSOPClassUID = sop_class
    out.file_meta = meta
    _set_little_endian_explicit(out)
    return out


def _dcmwrite(path: Path, ds: Dataset) -> None:
    if _PYDICOM_MAJOR >= 3:
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
    else:  # pragma: no cover - pydicom 2.x (e.g. an older Colab image)
        pydicom.dcmwrite(path, ds, write_like_original=False)


def write_denoised_dicom(
    src: Dataset | str | os.PathLike[str],
    image01: Any,
    path: str | os.PathLike[str],
    *,
    description: str = DEFAULT_DESCRIPTION,
    value_range: Any = None,
    overwrite: bool = True,
) -> Path:
    """Write :func:`denoised_dicom` ``(src, image01, ...)`` to ``path`` atomically; return the path.

    Taught in: 04_medical_image_denoising.

    The file is first written to a temporary file in the target folder and then renamed, so a
    crash never leaves a half-written ``.dcm``.  ``src`` is a dataset or a DICOM file path
    (``FileNotFoundError`` if missing); the target folder must exist (``FileNotFoundError``);
    ``overwrite=False`` refuses an existing target (``ValueError``).
    """
    out = denoised_dicom(src, image01, description=description, value_range=value_range)
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"output folder {str(target.parent)!r} does not exist; create it first")
    if target.is_dir():
        raise ValueError(f"path must be a file name, got the folder {str(target)!r}")
    if not overwrite and target.exists():
        raise ValueError(f"{str(target)!r} exists and overwrite=False")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _dcmwrite(tmp, out)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def anonymise(ds: Dataset, *, remove_private: bool = True, patient_id: str = "ANONYMOUS") -> Dataset:
    """A copy of ``ds`` with patient-identifying attributes blanked (teaching subset only).

    Taught in: 04_medical_image_denoising (the privacy note).

    Blanks names, IDs, birth date, addresses, physicians, institution and accession number
    (a subset of DICOM PS3.15 Annex E), sets ``PatientName``/``PatientID`` to ``patient_id``,
    ``PatientIdentityRemoved = "YES"``, and drops private tags (``remove_private=True``), which
    often hide identifiers.  It does NOT touch burned-in text in the pixels, dates of the study,
    or UIDs -- real de-identification needs a vetted tool and a data-protection review.
    """
    if not isinstance(ds, Dataset):
        raise ValueError(f"ds must be a pydicom Dataset, got {type(ds).__name__}")
    out = copy.deepcopy(ds)
    for keyword in _PATIENT_TAGS:
        if keyword in out:
            delattr(out, keyword)
    out.PatientName = patient_id
    out.PatientID = patient_id
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = "course_utils anonymise: PS3.15 E subset"
    if remove_private:
        out.remove_private_tags()
    return out
