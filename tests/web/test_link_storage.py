"""What a unit's link may store, on a real `selfscore serve` (SQLite and PostgreSQL): only workbooks the checker reads,
within the unit's quota; and how the reviewer gets an original back."""

from __future__ import annotations

import re
from urllib.parse import unquote

from support.collection_web import client, new_collection, plain_workbook, serve, unit_rows, upload, workbook
from support.live_server import XLSX

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script><table><tr><td>1</td></tr></table></body></html>"
CSV = "单位,得分\n温县,100\n".encode()


def _history(reviewer, collection_id: int) -> str:
    return reviewer.get(f"/collections/{collection_id}").text


def test_a_link_stores_only_workbooks_within_the_units_quota(tmp_path, database_args):
    # 2 submissions an hour and 20 KB of originals per unit: a template workbook is about 14 KB, a plain one 5 KB
    with serve(tmp_path, database_args, "--processes", "1", "--unit-submissions-per-hour", "2",
               "--unit-mb-per-collection", "0.02") as server:
        reviewer, collection_id, unit_links = new_collection(server)
        with client(server) as clerk:
            # Not a workbook: refused at the door with its real format named, nothing stored.
            refused = upload(clerk, unit_links["温县"], HTML, "温县.xls")
            assert refused.status_code == 415
            assert "「温县.xls」是网页（HTML）文件" in refused.text and "没有保存" in refused.text
            text = upload(clerk, unit_links["温县"], CSV, "温县.xlsx")
            assert text.status_code == 415 and "CSV 或 TXT 文本文件" in text.text
            empty = upload(clerk, unit_links["温县"], b"", "温县.xlsx")
            assert empty.status_code == 415 and "空文件" in empty.text
            assert unit_rows(reviewer, collection_id)["温县"]["status"] == "missing"

            # Submissions per hour: the third is refused with Retry-After; another unit is not affected.
            for number in (1, 2):
                stored = upload(clerk, unit_links["温县"], plain_workbook(f"第{number}次"), "温县.xlsx")
                assert stored.status_code == 200 and "/submissions/" in stored.url.path
            third = upload(clerk, unit_links["温县"], plain_workbook("第3次"), "温县.xlsx")
            assert third.status_code == 429 and "一小时内已提交 2 次，达到上限" in third.text and "没有保存" in third.text
            assert 3300 < int(third.headers["retry-after"]) <= 3600
            assert unit_rows(reviewer, collection_id)["温县"]["resubmissions"] == "1"

            # Bytes per collection: the second template workbook would take the unit past 20 KB.
            first = upload(clerk, unit_links["孟州市"], workbook(tmp_path, "孟州市", unit="孟州市"), "孟州市.xlsx")
            assert first.status_code == 200 and "通过" in first.text
            second = upload(clerk, unit_links["孟州市"], workbook(tmp_path, "孟州市", unit="孟州市"), "孟州市.xlsx")
            assert second.status_code == 413 and "超过每个单位 20 KB 的上限" in second.text
            assert "retry-after" not in second.headers
            assert unit_rows(reviewer, collection_id)["孟州市"]["resubmissions"] == "0"

            # The reviewer's download of an original: the extension its content calls for, and nosniff.
            sent_as_xls = upload(clerk, unit_links["修武县"], workbook(tmp_path, "修武县", unit="修武县"), "修武县.xls")
            assert sent_as_xls.status_code == 200
        names = []
        for original in re.findall(r'href="(\d+/submissions/\d+/original)"', _history(reviewer, collection_id)):
            response = reviewer.get(f"/collections/{original}")
            assert response.status_code == 200
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-type"] == XLSX
            names.append(unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1]))
        assert sorted(names) == ["修武县-第1次-修武县.xlsx", "孟州市-第1次-孟州市.xlsx", "温县-第2次-温县.xlsx"]
        reviewer.close()


def test_an_original_that_is_no_workbook_stored_before_this_defence_is_not_handed_back(reviewer, app, database):
    from sqlalchemy import select

    from selfscore.collect.models import Submission, Unit
    from selfscore.collect.times import utcnow
    from support.collection_web import create

    collection_id = create(reviewer)
    with database.transaction() as session:  # as a link stored an .html before it refused such files
        unit_id = session.scalar(select(Unit.id).where(Unit.collection_id == collection_id, Unit.name == "温县"))
        row = Submission(unit_id=unit_id, number=1, received_at=utcnow(), file_name="温县.html", original=HTML,
                         original_sha256="0" * 64, original_size=len(HTML), report={}, status="unreadable", errors=1,
                         warnings=0)
        session.add(row)
        session.flush()
        submission_id = row.id
    response = reviewer.get(f"/collections/{collection_id}/submissions/{submission_id}/original")
    assert response.status_code == 403 and HTML not in response.content
    assert "原文件是网页（HTML）文件" in response.text and "不是工作簿，为安全起见不提供下载" in response.text
