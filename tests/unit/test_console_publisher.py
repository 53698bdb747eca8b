"""The deploy's console publisher: every file of the build into the bucket, hashed assets cached for a
year and index.html never, index.html written last (until then the old one names assets all present)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("console_publisher", ROOT / "functions/console_publisher/publish.py")
publisher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(publisher)


class RecordingS3:
    def __init__(self):
        self.puts = []

    def put_object(self, **kwargs):
        self.puts.append(kwargs)


def test_the_build_is_published_with_its_cache_rules_and_index_html_last(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "assets" / "index-abc123.css").write_text("body{}")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    s3 = RecordingS3()
    published = publisher.publish("console-bucket", tmp_path, s3)
    assert published[-1] == "index.html" and len(published) == 4
    rules = {put["Key"]: (put["CacheControl"], put["ContentType"]) for put in s3.puts}
    assert rules == {
        "index.html": ("no-cache", "text/html"),
        "favicon.svg": ("no-cache", "image/svg+xml"),
        "assets/index-abc123.js": ("public, max-age=31536000, immutable", "text/javascript"),
        "assets/index-abc123.css": ("public, max-age=31536000, immutable", "text/css"),
    }
    assert {put["Bucket"] for put in s3.puts} == {"console-bucket"}
