"""What the tests share: workbooks built from the real template, the corpora of hostile and saved files, live servers."""
