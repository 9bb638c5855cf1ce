"""Safe parsing of COS answers: results, URL-encoded keys, hostile and broken XML."""

from __future__ import annotations

import time

import pytest

from cosdesk.cos import xml


def test_list_parts_result_is_parsed_with_markers_and_owners() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
  <Bucket>examplebucket-1250000000</Bucket><EncodingType>url</EncodingType>
  <Key>dir%2Fa%20b%25.txt</Key><UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc833cf654b9ecc6361</UploadId>
  <Initiator><ID>qcs::cam::uin/100000000001:uin/100000000011</ID><DisplayName>100000000011</DisplayName></Initiator>
  <Owner><ID>qcs::cam::uin/100000000001:uin/100000000001</ID><DisplayName>100000000001</DisplayName></Owner>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>1</PartNumber><LastModified>2020-03-25T10:07:02.000Z</LastModified>
        <ETag>"e1"</ETag><Size>1048576</Size></Part>
  <Part><PartNumber>2</PartNumber><LastModified>2020-03-25T10:07:03.000Z</LastModified>
        <ETag>"e2"</ETag><Size>1048576</Size></Part>
</ListPartsResult>"""
    result = xml.parse_list_parts(xml.parse(body))
    assert result.key == "dir/a b%.txt"
    assert result.is_truncated
    assert result.next_part_number_marker == 2
    assert result.max_parts == 2
    assert result.storage_class == "STANDARD"
    assert result.initiator is not None and result.initiator.display_name == "100000000011"
    assert [(p.part_number, p.etag, p.size) for p in result.parts] == [
        (1, '"e1"', 1048576),
        (2, '"e2"', 1048576),
    ]
    assert result.parts[0].last_modified is not None and result.parts[0].last_modified.year == 2020


def test_url_encoded_keys_with_percent_plus_newline_and_unicode_are_decoded() -> None:
    body = b"""<ListBucketResult><Name>b-1</Name><EncodingType>url</EncodingType><Prefix>a%2B</Prefix>
<Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>a%2Bb%25c%0Ad%E4%B8%AD%20e</Key><Size>3</Size><ETag>"x"</ETag></Contents>
<CommonPrefixes><Prefix>a%2Bdir%2F</Prefix></CommonPrefixes></ListBucketResult>"""
    result = xml.parse_list_objects(xml.parse(body))
    assert result.contents[0].key == "a+b%c\nd中 e"
    assert result.prefix == "a+"
    assert result.common_prefixes == ("a+dir/",)


def test_keys_are_left_alone_without_encoding_type() -> None:
    body = b"<ListBucketResult><Name>b-1</Name><Contents><Key>100%25</Key><Size>1</Size></Contents>"
    body += b"</ListBucketResult>"
    assert xml.parse_list_objects(xml.parse(body)).contents[0].key == "100%25"


def test_list_multipart_uploads_result_is_parsed() -> None:
    body = b"""<ListMultipartUploadsResult xmlns="http://www.qcloud.com/">
<Bucket>b-1</Bucket><Encoding-Type>url</Encoding-Type><KeyMarker/><UploadIdMarker/>
<NextKeyMarker>k%202</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated><Prefix/><Delimiter>%2F</Delimiter>
<Upload><Key>k%201</Key><UploadId>u1</UploadId><StorageClass>STANDARD</StorageClass>
<Initiated>2024-01-02T03:04:05.000Z</Initiated></Upload>
<Upload><Key>k%202</Key><UploadId>u2</UploadId></Upload>
<CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes></ListMultipartUploadsResult>"""
    result = xml.parse_list_uploads(xml.parse(body))
    assert [(u.key, u.upload_id) for u in result.uploads] == [("k 1", "u1"), ("k 2", "u2")]
    assert result.next_key_marker == "k 2"
    assert result.next_upload_id_marker == "u2"
    assert result.delimiter == "/"
    assert result.common_prefixes == ("dir/",)
    assert result.key_marker is None
    assert result.uploads[0].initiated is not None


def test_leading_whitespace_before_the_declaration_is_accepted() -> None:
    body = b"     \n\n   <?xml version='1.0' encoding='UTF-8'?>"
    body += b'<CompleteMultipartUploadResult><ETag>"e-2"</ETag></CompleteMultipartUploadResult>'
    assert xml.parse_complete(xml.parse(body))["etag"] == '"e-2"'


def test_complete_result_without_etag_is_an_error() -> None:
    with pytest.raises(xml.XmlError, match="Complete Multipart Upload answer has no <ETag>"):
        xml.parse_complete(
            xml.parse(b"<CompleteMultipartUploadResult><Key>k</Key></CompleteMultipartUploadResult>")
        )


def test_error_document_fields() -> None:
    body = b"<Error><Code>NoSuchUpload</Code><Message>gone</Message><Resource>/k</Resource>"
    body += b"<RequestId>r1</RequestId></Error>"
    assert xml.parse_error(xml.parse(body)) == {
        "code": "NoSuchUpload",
        "message": "gone",
        "request_id": "r1",
        "resource": "/k",
    }


def test_billion_laughs_is_refused_at_once() -> None:
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY e0 "lol">{entities}]><lolz>&e9;</lolz>'
    started = time.monotonic()
    with pytest.raises(xml.XmlError, match="unsafe XML"):
        xml.parse(bomb.encode())
    assert time.monotonic() - started < 1


def test_external_entity_is_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'
    with pytest.raises(xml.XmlError, match="unsafe XML"):
        xml.parse(body)


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe garbage", b"<unclosed>", b'{"json": true}', b"   "])
def test_garbage_gives_a_clear_error_not_a_parser_traceback(garbage: bytes) -> None:
    with pytest.raises(xml.XmlError) as caught:
        xml.parse(garbage)
    assert "not XML" in str(caught.value) or "empty body" in str(caught.value)


# --- read by fields, not by the root element's name ----------------------------
# rclone's S3 server (gofakes3) names its Initiate answer <InitiateMultipartUpload>,
# leaves IsTruncated out of List Parts and sends NextPartNumberMarker 0: these are
# its answers as captured on loopback.


def test_initiate_answer_is_read_by_its_fields_whatever_the_root_is_called() -> None:
    rclone_answer = b"""<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUpload>
  <Bucket>bucket-1250000000</Bucket>
  <Key>k1</Key>
  <UploadId>504ed957-0365-49e8-baae-88e59e68450e</UploadId>
</InitiateMultipartUpload>"""
    assert xml.parse_initiate(xml.parse(rclone_answer)) == (
        "bucket-1250000000",
        "k1",
        "504ed957-0365-49e8-baae-88e59e68450e",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>", "has no <UploadId>"),
        (
            b"<InitiateMultipartUpload><UploadId> </UploadId></InitiateMultipartUpload>",
            "has an empty <UploadId>",
        ),
        (b"<Something/>", "Initiate Multipart Upload answer has no <UploadId>"),
    ],
)
def test_initiate_answer_without_an_upload_id_is_an_error(body: bytes, message: str) -> None:
    with pytest.raises(xml.XmlError, match=message):
        xml.parse_initiate(xml.parse(body))


def test_complete_answer_is_read_by_its_fields_whatever_the_root_is_called() -> None:
    body = b'<CompleteMultipartUpload><Key>k</Key><ETag> "abc-2" </ETag></CompleteMultipartUpload>'
    fields = xml.parse_complete(xml.parse(body))
    assert fields["etag"] == '"abc-2"'
    assert fields["key"] == "k"


def test_list_parts_answer_from_rclone_is_complete_and_has_no_next_marker() -> None:
    rclone_answer = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult>
  <Bucket>bucket-1250000000</Bucket><Key>k1</Key>
  <UploadId>d0a0c075-002b-4039-a3aa-b9a72ed98bc6</UploadId>
  <StorageClass>STANDARD</StorageClass>
  <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>0</NextPartNumberMarker>
  <MaxParts>1000</MaxParts>
  <Part><PartNumber>1</PartNumber><LastModified>2026-12-04T15:53:10.627Z</LastModified>
    <ETag>&#34;13860f0b20379afd93691a7334cb19f3&#34;</ETag><Size>1100000</Size></Part>
</ListPartsResult>"""
    result = xml.parse_list_parts(xml.parse(rclone_answer))
    assert not result.is_truncated
    assert result.next_part_number_marker is None
    assert result.upload_id == "d0a0c075-002b-4039-a3aa-b9a72ed98bc6"
    assert [(p.part_number, p.etag, p.size) for p in result.parts] == [
        (1, '"13860f0b20379afd93691a7334cb19f3"', 1100000)
    ]


def test_listings_are_read_whatever_their_roots_are_called() -> None:
    parts = xml.parse_list_parts(
        xml.parse(
            b"<Parts><UploadId>u</UploadId><Part><PartNumber>2</PartNumber><ETag>e</ETag>"
            b"<Size>5</Size></Part></Parts>"
        )
    )
    uploads = xml.parse_list_uploads(
        xml.parse(
            b"<Uploads><Bucket>b-1</Bucket><Upload><Key>k</Key><UploadId>u</UploadId></Upload></Uploads>"
        )
    )
    objects = xml.parse_list_objects(
        xml.parse(b"<Objects><Name>b-1</Name><Contents><Key>k</Key><Size>7</Size></Contents></Objects>")
    )
    assert [(p.part_number, p.size) for p in parts.parts] == [(2, 5)]
    assert [(u.key, u.upload_id) for u in uploads.uploads] == [("k", "u")]
    assert [(o.key, o.size) for o in objects.contents] == [("k", 7)]


_PART = "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag><Size>{size}</Size></Part>"


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (
            "<Part><ETag>e</ETag><Size>1</Size></Part>",
            "a <Part> in the List Parts answer has no <PartNumber>",
        ),
        ("<Part><PartNumber>1</PartNumber><Size>1</Size></Part>", "a <Part> .* has no <ETag>"),
        ("<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>", "a <Part> .* has no <Size>"),
        (_PART.format(number=1, etag="e", size="big"), "<Size> is not a non-negative integer"),
        (_PART.format(number=1, etag="e", size="-1"), "<Size> is not a non-negative integer"),
        (_PART.format(number=1, etag="", size="1"), "has an empty <ETag>"),
        (_PART.format(number=0, etag="e", size="1"), "<PartNumber> 0, outside 1..10000"),
        (_PART.format(number=10001, etag="e", size="1"), "<PartNumber> 10001, outside 1..10000"),
        (_PART.format(number="1.5", etag="e", size="1"), "<PartNumber> is not a non-negative integer"),
    ],
)
def test_a_part_that_resume_could_not_compare_is_an_error(part: str, message: str) -> None:
    body = f"<ListPartsResult><UploadId>u</UploadId>{part}</ListPartsResult>".encode()
    with pytest.raises(xml.XmlError, match=message):
        xml.parse_list_parts(xml.parse(body))


def test_a_document_that_is_not_a_listing_is_not_taken_for_an_empty_one() -> None:
    # An HTML page or another answer must not read as "no parts, no uploads, no objects".
    page = xml.parse(b"<html><body><p>Welcome to nginx</p></body></html>")
    with pytest.raises(xml.XmlError, match="List Parts answer has no <UploadId>"):
        xml.parse_list_parts(page)
    with pytest.raises(xml.XmlError, match="List Multipart Uploads answer has no <Bucket>"):
        xml.parse_list_uploads(page)
    with pytest.raises(xml.XmlError, match="List Objects answer has no <Name>"):
        xml.parse_list_objects(page)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            "<Upload><UploadId>u</UploadId></Upload>",
            "a <Upload> in the List Multipart Uploads answer has no <Key>",
        ),
        ("<Upload><Key>k</Key></Upload>", "a <Upload> .* has no <UploadId>"),
        ("<Upload><Key>k</Key><UploadId></UploadId></Upload>", "a <Upload> .* has an empty <UploadId>"),
    ],
)
def test_an_upload_without_key_or_upload_id_is_an_error(upload: str, message: str) -> None:
    body = f"<ListMultipartUploadsResult><Bucket>b-1</Bucket>{upload}</ListMultipartUploadsResult>".encode()
    with pytest.raises(xml.XmlError, match=message):
        xml.parse_list_uploads(xml.parse(body))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("<Contents><Size>1</Size></Contents>", "a <Contents> in the List Objects answer has no <Key>"),
        ("<Contents><Key>k</Key></Contents>", "a <Contents> .* has no <Size>"),
        ("<Contents><Key>k</Key><Size>1e3</Size></Contents>", "<Size> is not a non-negative integer"),
    ],
)
def test_an_object_without_key_or_size_is_an_error(entry: str, message: str) -> None:
    body = f"<ListBucketResult><Name>b-1</Name>{entry}</ListBucketResult>".encode()
    with pytest.raises(xml.XmlError, match=message):
        xml.parse_list_objects(xml.parse(body))


@pytest.mark.parametrize("value", ["yes", "1", "maybe"])
def test_is_truncated_other_than_true_or_false_is_an_error(value: str) -> None:
    body = f"<ListBucketResult><Name>b-1</Name><IsTruncated>{value}</IsTruncated></ListBucketResult>"
    with pytest.raises(xml.XmlError, match="not true or false"):
        xml.parse_list_objects(xml.parse(body.encode()))


def test_an_absent_is_truncated_means_the_listing_is_complete() -> None:
    body = b"<ListMultipartUploadsResult><Bucket>b-1</Bucket></ListMultipartUploadsResult>"
    assert not xml.parse_list_uploads(xml.parse(body)).is_truncated
    body = b"<ListBucketResult><Name>b-1</Name><IsTruncated>TRUE</IsTruncated></ListBucketResult>"
    assert xml.parse_list_objects(xml.parse(body)).is_truncated


def test_complete_body_quotes_etags_and_escapes_them() -> None:
    body = xml.complete_multipart_body([(1, "abc"), (2, '"def"'), (3, "<&>")]).decode()
    assert '<Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part>' in body
    assert '<Part><PartNumber>2</PartNumber><ETag>"def"</ETag></Part>' in body
    assert "&lt;&amp;&gt;" in body
    root = xml.parse(body.encode())
    assert [p.findtext("PartNumber") for p in root.findall("Part")] == ["1", "2", "3"]


def test_delete_result_names_deleted_keys_and_failures_with_their_reasons() -> None:
    root = xml.parse(
        b"<DeleteResult><Deleted><Key>  a  </Key></Deleted>"
        b"<Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"
    )
    deleted, failures = xml.parse_delete_result(root)
    assert deleted == ("  a  ",)
    assert [(failure.key, failure.code, failure.message) for failure in failures] == [
        ("b", "AccessDenied", "no")
    ]


def test_get_service_names_each_bucket_with_its_region_and_refuses_one_without() -> None:
    answer = (
        b"<ListAllMyBucketsResult><Owner><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Owner>"
        b"<Buckets><Bucket><Name>a-1250000000</Name><Location>ap-beijing</Location>"
        b"<CreationDate>2024-01-02T03:04:05Z</CreationDate></Bucket></Buckets>"
        b"<Marker></Marker><MaxKeys>2000</MaxKeys><IsTruncated>false</IsTruncated></ListAllMyBucketsResult>"
    )
    result = xml.parse_list_buckets(xml.parse(answer))
    assert [(bucket.name, bucket.region) for bucket in result.buckets] == [("a-1250000000", "ap-beijing")]
    assert result.buckets[0].created is not None and result.buckets[0].created.year == 2024
    assert result.is_truncated is False and result.max_keys == 2000
    without_region = answer.replace(b"<Location>ap-beijing</Location>", b"")
    with pytest.raises(xml.XmlError, match="Location"):
        xml.parse_list_buckets(xml.parse(without_region))
