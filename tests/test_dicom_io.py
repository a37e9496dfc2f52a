"""Tests of course_utils.dicom_io: the DICOM round trip used in 04_medical_image_denoising.

Only pydicom's bundled test files are used (``download=False``), so nothing touches the network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from course_utils import dicom_io as dio


def _testfile(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:  # pragma: no cover - every name below ships inside the pydicom wheel
        pytest.skip(f"pydicom test file {name} is not bundled with this pydicom")
    return str(path)


@pytest.fixture()
def ct() -> pydicom.Dataset:
    return pydicom.dcmread(_testfile("CT_small.dcm"))


@pytest.fixture()
def mr() -> pydicom.Dataset:
    return pydicom.dcmread(_testfile("MR_small.dcm"))


def test_dicom_to_float_range_and_info(ct: pydicom.Dataset) -> None:
    img, info = dio.dicom_to_float(ct)
    stored = ct.pixel_array
    assert img.dtype == np.float32 and img.shape == (ct.Rows, ct.Columns)
    assert img.min() == 0.0 and img.max() == 1.0
    assert (info.lo, info.hi) == (stored.min(), stored.max())
    assert (info.bits_allocated, info.bits_stored, info.pixel_representation) == (16, 16, 1)
    assert info.dtype == np.int16
    assert (info.slope, info.intercept) == (float(ct.RescaleSlope), float(ct.RescaleIntercept))
    # the stored -> [0, 1] map is linear and exact up to float32 rounding
    expected = (stored.astype(np.float64) - stored.min()) / (stored.max() - stored.min())
    assert np.max(np.abs(img - expected)) < 1e-6
    # modality units (Hounsfield for CT) agree with pydicom's own modality LUT
    assert np.allclose(info.to_modality(img), apply_modality_lut(stored, ct))


def test_identity_round_trip_ct_is_exact(ct: pydicom.Dataset, tmp_path: Path) -> None:
    img, _ = dio.dicom_to_float(ct)
    out = dio.write_denoised_dicom(ct, img, tmp_path / "ct_denoised.dcm")
    assert out == tmp_path / "ct_denoised.dcm"
    assert out.read_bytes()[128:132] == b"DICM"  # a real Part 10 file with preamble
    back = pydicom.dcmread(out)  # no force=True needed
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert back.pixel_array.dtype == ct.pixel_array.dtype == np.int16
    assert back.pixel_array.shape == ct.pixel_array.shape
    assert np.array_equal(back.pixel_array, ct.pixel_array)
    for tag in (
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "RescaleSlope",
        "RescaleIntercept",
        "Rows",
        "Columns",
        "PhotometricInterpretation",
        "SOPClassUID",
        "StudyInstanceUID",
        "PatientName",
        "Modality",
    ):
        assert back[tag].value == ct[tag].value, tag


def test_new_uids_description_and_derived(ct: pydicom.Dataset, tmp_path: Path) -> None:
    src_sop, src_series = ct.SOPInstanceUID, ct.SeriesInstanceUID
    img, _ = dio.dicom_to_float(ct)
    out = dio.write_denoised_dicom(ct, img, tmp_path / "a.dcm", description="Denoised (test)")
    back = pydicom.dcmread(out)
    assert back.SOPInstanceUID != src_sop
    assert back.SeriesInstanceUID != src_series
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert back.file_meta.MediaStorageSOPClassUID == ct.SOPClassUID
    assert back.SeriesDescription == "Denoised (test)"
    assert list(back.ImageType)[:2] == ["DERIVED", "SECONDARY"]
    assert src_sop in back.DerivationDescription
    # the source dataset is not modified
    assert ct.SOPInstanceUID == src_sop and ct.SeriesInstanceUID == src_series
    assert "SeriesDescription" not in ct or ct.SeriesDescription != "Denoised (test)"
    # two outputs of the same source get different UIDs
    back2 = pydicom.dcmread(dio.write_denoised_dicom(ct, img, tmp_path / "b.dcm"))
    assert back2.SOPInstanceUID != back.SOPInstanceUID
    assert back2.SeriesDescription == dio.DEFAULT_DESCRIPTION


def test_modified_image_is_mapped_into_the_original_range(mr: pydicom.Dataset, tmp_path: Path) -> None:
    img, info = dio.dicom_to_float(mr)
    rng = np.random.default_rng(0)
    new = np.clip(0.5 * img + 0.25 + 0.01 * rng.standard_normal(img.shape), 0, 1).astype(np.float32)
    back = pydicom.dcmread(dio.write_denoised_dicom(mr, new[..., None], tmp_path / "mr.dcm"))  # (H, W, 1) accepted
    px = back.pixel_array
    assert px.dtype == np.int16
    lo, hi = mr.pixel_array.min(), mr.pixel_array.max()
    assert lo <= px.min() and px.max() <= hi
    # re-reading and converting back gives the float image up to one stored step
    again = (px.astype(np.float64) - info.lo) / (info.hi - info.lo)
    assert np.max(np.abs(again - new)) <= 0.5 / (info.hi - info.lo) + 1e-6
    assert back.SmallestImagePixelValue == px.min() and back.LargestImagePixelValue == px.max()
    assert back.WindowCenter == mr.WindowCenter


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm"])
def test_other_transfer_syntaxes_are_written_uncompressed_explicit_little_endian(name: str, tmp_path: Path) -> None:
    src = pydicom.dcmread(_testfile(name))
    if name.startswith("MR_small_RLE"):
        assert src.file_meta.TransferSyntaxUID == RLELossless
    img, _ = dio.dicom_to_float(src)
    back = pydicom.dcmread(dio.write_denoised_dicom(src, img, tmp_path / name))
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert "NumberOfFrames" not in back or int(back.NumberOfFrames) == 1
    assert np.array_equal(back.pixel_array, src.pixel_array)
    assert back.PatientName == src.PatientName
    assert back.Rows == src.Rows and back.BitsStored == src.BitsStored


def test_bits_stored_below_bits_allocated_and_value_ranges(tmp_path: Path) -> None:
    src = pydicom.dcmread(_testfile("examples_overlay.dcm"))  # 16 allocated, 12 stored, unsigned
    assert (src.BitsAllocated, src.BitsStored, src.PixelRepresentation) == (16, 12, 0)
    img, info = dio.dicom_to_float(src, value_range="stored")
    assert info.stored_range == (0, 4095) and (info.lo, info.hi) == (0.0, 4095.0)
    ones = np.ones_like(img)
    back = pydicom.dcmread(dio.write_denoised_dicom(src, ones, tmp_path / "o.dcm", value_range="stored"))
    assert back.pixel_array.dtype == np.uint16 and int(back.pixel_array.max()) == 4095
    assert back.BitsStored == 12
    # an explicit (lo, hi) window clips values outside it
    img2, info2 = dio.dicom_to_float(src, value_range=(100, 200))
    assert (info2.lo, info2.hi) == (100.0, 200.0) and img2.min() >= 0 and img2.max() <= 1
    assert dio.float_to_stored(np.full(img2.shape, 0.5), info2).max() == 150
    with pytest.raises(ValueError, match="value_range"):
        dio.dicom_to_float(src, value_range=(5, 5))
    with pytest.raises(ValueError, match="value_range"):
        dio.dicom_to_float(src, value_range="window")


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_eight_bit_and_multiframe(tmp_path: Path) -> None:
    src8 = pydicom.dcmread(_testfile("image_dfl.dcm"))  # deflated, 8-bit unsigned
    img8, info8 = dio.dicom_to_float(src8)
    assert info8.dtype == np.uint8
    back8 = pydicom.dcmread(dio.write_denoised_dicom(src8, 1 - img8, tmp_path / "8.dcm"))
    assert back8.pixel_array.dtype == np.uint8
    assert back8.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    expected = info8.hi + info8.lo - src8.pixel_array.astype(int)  # inverted within [lo, hi]
    assert np.max(np.abs(back8.pixel_array.astype(int) - expected)) <= 1

    multi = pydicom.dcmread(_testfile("rtdose.dcm"))  # 15 frames of 10x10, 32-bit
    imgm, infom = dio.dicom_to_float(multi)
    assert imgm.shape == (15, 10, 10) and infom.dtype == np.uint32
    backm = pydicom.dcmread(dio.write_denoised_dicom(multi, imgm, tmp_path / "m.dcm"))
    assert backm.pixel_array.shape == (15, 10, 10)
    assert np.array_equal(backm.pixel_array, multi.pixel_array)


def test_bad_images_raise_value_error(ct: pydicom.Dataset, tmp_path: Path) -> None:
    img, _ = dio.dicom_to_float(ct)
    target = tmp_path / "bad.dcm"
    with pytest.raises(ValueError, match="shape"):
        dio.denoised_dicom(ct, img[:64])
    with pytest.raises(ValueError, match="shape"):
        dio.write_denoised_dicom(ct, np.zeros((28, 28), np.float32), target)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dio.write_denoised_dicom(ct, img * 2.0, target)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        dio.denoised_dicom(ct, img - 0.5)
    bad = img.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dio.denoised_dicom(ct, bad)
    with pytest.raises(ValueError, match="description"):
        dio.denoised_dicom(ct, img, description="  ")
    with pytest.raises(ValueError, match="DicomPixelInfo"):
        dio.float_to_stored(img, {"lo": 0, "hi": 1})
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary files left behind


def test_bad_datasets_and_files(tmp_path: Path) -> None:
    plan = pydicom.dcmread(_testfile("rtplan.dcm"))
    with pytest.raises(ValueError, match="PixelData"):
        dio.dicom_to_float(plan)
    with pytest.raises(ValueError, match="PixelData"):
        dio.write_denoised_dicom(plan, np.zeros((2, 2)), tmp_path / "p.dcm")
    rgb = pydicom.dcmread(_testfile("SC_rgb_small_odd.dcm"))
    with pytest.raises(ValueError, match="grey-scale"):
        dio.dicom_to_float(rgb)
    with pytest.raises(ValueError, match="Dataset or a path"):
        dio.dicom_to_float(np.zeros((4, 4)))
    with pytest.raises(FileNotFoundError, match="not found"):
        dio.read_dicom(tmp_path / "missing.dcm")
    with pytest.raises(FileNotFoundError):
        dio.write_denoised_dicom(tmp_path / "missing.dcm", np.zeros((4, 4)), tmp_path / "x.dcm")
    not_dicom = tmp_path / "notes.txt"
    not_dicom.write_text("hello")
    with pytest.raises(ValueError, match="not a DICOM"):
        dio.dicom_to_float(not_dicom)


def test_reading_from_path_and_output_folder_checks(tmp_path: Path) -> None:
    path = _testfile("CT_small.dcm")
    img, _ = dio.dicom_to_float(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dio.write_denoised_dicom(path, img, tmp_path / "no_such_dir" / "x.dcm")
    with pytest.raises(ValueError, match="folder"):
        dio.write_denoised_dicom(path, img, tmp_path)
    out = dio.write_denoised_dicom(path, img, tmp_path / "x.dcm")
    with pytest.raises(ValueError, match="overwrite=False"):
        dio.write_denoised_dicom(path, img, out, overwrite=False)
    assert pydicom.dcmread(out).Rows == 128


def test_write_is_atomic_when_saving_fails(
    ct: pydicom.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    img, _ = dio.dicom_to_float(ct)
    target = tmp_path / "keep.dcm"
    target.write_bytes(b"previous content")

    def broken_write(path: Path, ds: pydicom.Dataset) -> None:
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(dio, "_dcmwrite", broken_write)
    with pytest.raises(OSError, match="disk full"):
        dio.write_denoised_dicom(ct, img, target)
    assert target.read_bytes() == b"previous content"  # old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.dcm"]  # temp file removed


def test_anonymise(ct: pydicom.Dataset) -> None:
    ct.PatientBirthDate = "19700101"
    ct.InstitutionName = "General Hospital"
    ct.add_new(0x00091001, "LO", "private secret")
    anon = dio.anonymise(ct)
    assert str(anon.PatientName) == "ANONYMOUS" and anon.PatientID == "ANONYMOUS"
    assert "PatientBirthDate" not in anon and "InstitutionName" not in anon
    assert anon.PatientIdentityRemoved == "YES"
    assert not any(elem.tag.is_private for elem in anon)
    assert np.array_equal(anon.pixel_array, ct.pixel_array)
    # the original keeps its data
    assert ct.PatientBirthDate == "19700101" and 0x00091001 in ct
    kept = dio.anonymise(ct, remove_private=False, patient_id="P01")
    assert 0x00091001 in kept and kept.PatientID == "P01"
    with pytest.raises(ValueError, match="Dataset"):
        dio.anonymise({"PatientName": "x"})
