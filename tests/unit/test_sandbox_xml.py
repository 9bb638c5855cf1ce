"""The local server's XML answers: every one is a document a strict XML 1.0 parser
accepts, whatever text goes into it, or it is refused before it is written."""

from __future__ import annotations

from urllib.parse import unquote

import defusedxml.ElementTree as ET
import pytest

from cosdesk.sandbox import xml_responses as xml

# Every character XML 1.0 cannot carry in any form (besides lone surrogates).
NOT_XML = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"] + ["\ufffe", "\uffff"]


def entries(key: str) -> list[xml.ObjectEntry]:
    return [xml.ObjectEntry(key, 0.0, '"etag"', 1, "STANDARD")]


def listing(key: str, *, encode: bool) -> bytes:
    return xml.list_bucket_result(
        bucket="b-1250000000",
        app_id="1250000000",
        prefix="",
        marker="",
        max_keys=1000,
        delimiter="",
        encode=encode,
        is_truncated=False,
        next_marker=None,
        contents=entries(key),
        common_prefixes=[],
    )


@pytest.mark.parametrize("character", NOT_XML, ids=[f"U+{ord(c):04X}" for c in NOT_XML])
def test_text_xml_cannot_carry_is_refused(character: str) -> None:
    assert not xml.is_xml_text(f"a{character}b")
    with pytest.raises(xml.NotXmlText):
        xml.escape_text(f"a{character}b")
    with pytest.raises(xml.NotXmlText):
        listing(f"key{character}", encode=False)


CARRIED = ["tab\there", "line\nbreak", "carriage\rreturn", "del\x7f", "<&>'\"", "文档 🚀"]


@pytest.mark.parametrize("text", CARRIED)
def test_text_xml_can_carry_round_trips_through_a_strict_parser(text: str) -> None:
    document = xml.document("Root", [("Text", text)])
    assert ET.fromstring(document).findtext("Text") == text


@pytest.mark.parametrize("character", NOT_XML, ids=[f"U+{ord(c):04X}" for c in NOT_XML])
def test_url_encoded_listing_carries_any_key(character: str) -> None:
    key = f"dir/key{character}end"
    root = ET.fromstring(listing(key, encode=True))
    assert root.findtext("EncodingType") == "url"
    assert unquote(root.findtext("Contents/Key") or "") == key


def test_error_document_is_always_written_and_parses() -> None:
    every_control = "".join(chr(code) for code in range(0x20))
    raw_path = f"/raw{every_control}path"
    document = xml.error_document("NoSuchKey", f"message {every_control}", raw_path, "r", "t")
    root = ET.fromstring(document)
    assert root.findtext("Code") == "NoSuchKey"
    resource = root.findtext("Resource") or ""
    assert xml.is_xml_text(resource) and "%01" in resource and "%00" in resource
    assert unquote(resource) == raw_path


def test_list_buckets_result_has_what_the_sdks_read() -> None:
    document = xml.list_buckets_result(
        owner_app_id="1250000000",
        buckets=[xml.BucketEntry("a-1250000000", "ap-guangzhou", 1_700_000_000.0)],
        marker="",
        max_keys=2000,
        is_truncated=False,
    )
    root = ET.fromstring(document)
    assert root.tag == "ListAllMyBucketsResult"
    assert root.findtext("Owner/ID") == "qcs::cam::uin/1250000000:uin/1250000000"
    bucket = root.find("Buckets/Bucket")
    assert bucket is not None
    assert bucket.findtext("Name") == "a-1250000000"
    assert bucket.findtext("Location") == "ap-guangzhou"
    assert bucket.findtext("CreationDate") == "2023-11-14T22:13:20Z"


def test_delete_result_lists_deleted_keys_and_failures() -> None:
    document = xml.delete_result(["a&b", " spaced "], [xml.DeleteFailure("x", "KeyTooLong", "too long")])
    root = ET.fromstring(document)
    assert [element.text for element in root.findall("Deleted/Key")] == ["a&b", " spaced "]
    assert root.findtext("Error/Key") == "x" and root.findtext("Error/Code") == "KeyTooLong"


def test_copy_results_carry_etag_and_time() -> None:
    copied = ET.fromstring(xml.copy_object_result('"abc"', 42, 0.0))
    assert copied.tag == "CopyObjectResult"
    assert (copied.findtext("ETag"), copied.findtext("CRC64")) == ('"abc"', "42")
    assert copied.findtext("LastModified") == "1970-01-01T00:00:00.000Z"
    part = ET.fromstring(xml.copy_part_result('"def"', 0.0))
    assert (part.tag, part.findtext("ETag")) == ("CopyPartResult", '"def"')
