"""What the tests share, imported as ``support.<module>`` (pytest puts tests/ and sample_data/ on the path).

- helpers: the Jiaozuo workbook of a table with some values changed (make_workbook), TABLE_IDS, a workbook's text dump
- harness: the corpus harness — one Case, the Jiaozuo sample's bytes, the writing/editing builders, zip surgery,
  and the assertions every checked file's report and marked-up copy must pass
- corpus: the hostile and broken files; saved_files: every format people save (both lists of harness Cases)
- layouts: hand-made layouts of the two annexes, as offices retype them; criteria: scores worked out from the
  criteria's own words, for the property tests
- third_table: a third table in a fixture directory and its worked example
- package_rules: Excel's rules for the parts of a package (style ids, comment authors, VML shape ids, relationships,
  content types), asserted over a marked-up copy
- strict: an ordinary .xlsx turned into Strict Open XML by hand, with the standard's names
- libreoffice: LibreOffice conversions, cached by content (safe for parallel workers)
- rich: the workbook with a picture, a chart, a pivot table and x14 validations the in-place writer's tests mark up,
  and a clerk's edit of values as a program that edits the sheet's XML saves it; resaved: what Excel and WPS do to a
  marked-up copy saved again (renumbered formats, shared strings, reordered sheets, rewritten comments), by hand, and
  the re-check of such a copy through openpyxl to compare with
- measured: the selfscore command in its own process, with its wall time and peak memory; slow: a workbook that
  takes seconds to check
- live_server: `selfscore serve`, nginx, or an app in a thread, on free loopback ports; databases: a throwaway
  PostgreSQL cluster; collection_web: a reviewer's and a clerk's steps through the collection pages
- word: a Word document (.docx) written from its XML, for the annexes `selfscore table new` reads
- scenarios: a table's named scenarios — its Jiaozuo sample or worked example, and every test's literal facts
  for it — for scoring two definitions of one table alike
- browser: Debian's Chromium for Playwright (the ``browser`` fixture is in tests/web/conftest.py), and the steps the
  browser tests of collections share: signing in, creating a collection, a clerk's upload through a unit's link

No test module imports another: what two test files share belongs here, or in a conftest.py as a fixture.
"""
