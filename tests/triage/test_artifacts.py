import json
import shutil

import pytest

from triage.artifacts import active_model_id, load_model
from triage.errors import ModelNotFoundError, ModelVerificationError


def _copy(models_dir, tmp_path):
    target = tmp_path / "models"
    shutil.copytree(models_dir, target)
    return target, target / active_model_id(target)


def test_model_card_is_complete(models_dir, taxonomy):
    model = load_model(models_dir, taxonomy)
    meta = model.meta
    for key in ("id", "created_at", "versions", "taxonomy", "classes", "thresholds",
                "training_data", "metrics", "sha256"):
        assert key in meta
    assert meta["classes"] == taxonomy.codes
    assert set(meta["versions"]) >= {"python", "scikit-learn", "underthesea", "joblib"}


def test_tampered_artifact_is_refused(models_dir, taxonomy, tmp_path):
    target, mdir = _copy(models_dir, tmp_path)
    with (mdir / "model.joblib").open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelVerificationError, match="sha256"):
        load_model(target, taxonomy)


def test_other_library_version_is_refused(models_dir, taxonomy, tmp_path):
    target, mdir = _copy(models_dir, tmp_path)
    meta = json.loads((mdir / "meta.json").read_text())
    meta["versions"]["scikit-learn"] = "0.1"
    (mdir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelVerificationError, match="scikit-learn"):
        load_model(target, taxonomy)


def test_other_taxonomy_is_refused(models_dir, taxonomy, tmp_path):
    target, mdir = _copy(models_dir, tmp_path)
    meta = json.loads((mdir / "meta.json").read_text())
    meta["taxonomy"]["fingerprint"] = "0" * 16
    (mdir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelVerificationError, match="taxonomy"):
        load_model(target, taxonomy)


def test_incomplete_card_and_missing_model(models_dir, taxonomy, tmp_path):
    target, mdir = _copy(models_dir, tmp_path)
    meta = json.loads((mdir / "meta.json").read_text())
    del meta["sha256"]
    (mdir / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelVerificationError, match="lacks"):
        load_model(target, taxonomy)
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "empty", taxonomy)
    with pytest.raises(ModelVerificationError, match="not a model id"):
        load_model(target, taxonomy, model_id="../../etc")
