"""The import rules of STYLE.md: triage imports neither service nor training (nor FastAPI,
SQLAlchemy, or the environment); training never imports service; service never training."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "triage": {"service", "training", "fastapi", "sqlalchemy", "starlette", "uvicorn",
               "pydantic", "pydantic_settings", "alembic"},
    "training": {"service", "fastapi", "sqlalchemy", "uvicorn"},
    "service": {"training"},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_no_forbidden_import_direction():
    bad = []
    for layer, forbidden in FORBIDDEN.items():
        for path in (ROOT / layer).rglob("*.py"):
            for lineno, mod in _imports(path):
                if mod in forbidden:
                    bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {mod}")
    assert not bad, bad


def test_core_never_reads_the_environment():
    bad = []
    for path in (ROOT / "triage").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("os.environ", "os.getenv", "getenv("):
            if needle in text:
                bad.append(f"{path.relative_to(ROOT)} uses {needle}")
    assert not bad, bad


def test_the_walker_sees_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from service.app import create_app\nimport training.train\n")
    assert {m for _, m in _imports(sample)} == {"service", "training"}
