"""The documents cite only what the repository holds: every module, file and `module::name` they
name exists, and nothing points outside the repository."""

import re

import pytest

from helpers import ROOT

DOCS = ["README.md", "docs/ODD.md", "docs/validity.md", "benchmarks/README.md"]
CITED = re.compile(r"\b((?:sim|scenarios|docs|tests|benchmarks|experiments|tools)/[\w./-]*\.(?:py|md|toml|csv))(?:::(\w+))?")


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_document_cites_exists(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    cited = CITED.findall(text)
    assert cited or doc.endswith("validity.md"), f"{doc} cites no path: is the pattern still right?"
    missing = []
    for path, name in cited:
        if "<" in path or "*" in path or path.endswith("/mine.toml"):  # a reader's own file, in an example
            continue
        file = ROOT / path
        if not file.is_file():
            missing.append(path)
        elif name and not re.search(rf"^\s*(def|class)\s+{name}\b|^{name}\b\s*[:=]", file.read_text(encoding="utf-8"), re.M):
            missing.append(f"{path}::{name}")
    assert missing == [], f"{doc} cites what is not in the repository"


def test_nothing_points_outside_the_repository():
    sources = [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md"), *ROOT.glob("scenarios/**/*.toml"),
               *ROOT.glob("scenarios/**/*.csv"), *ROOT.glob("sim/**/*.py")]
    outside = [str(p.relative_to(ROOT)) for p in sources
               if re.search(r"\.\./shared/|/work/shared", p.read_text(encoding="utf-8"))]
    assert outside == []
